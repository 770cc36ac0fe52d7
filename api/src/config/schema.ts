import { z } from 'zod';
import { CronExpressionParser } from 'cron-parser';

/**
 * The `driftline.yaml` contract (../shared/DESIGN.md). Keys may be added, never
 * renamed without a migration path. Parsed once at boot; the process refuses to
 * start on any problem, naming the key path.
 */

const durationRe = /^(\d+(?:\.\d+)?)(ms|s|m|h|d)$/;
const UNIT_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/** "60s", "10m", "4h", "90d" → milliseconds, or an issue on the context. */
function textToMs(v: string, ctx: z.core.$RefinementCtx): number {
  const m = durationRe.exec(v.trim());
  if (!m) {
    ctx.addIssue({ code: 'custom', message: `expected a duration like 30s, 10m, 4h or 7d, got "${v}"` });
    return z.NEVER;
  }
  return Math.round(Number(m[1]) * UNIT_MS[m[2]!]!);
}

/** "60s", "10m", "4h", "90d" → milliseconds. A bare number means seconds. */
export const duration = z.union([z.string(), z.number()]).transform((v, ctx) => (typeof v === 'number' ? Math.round(v * 1000) : textToMs(v, ctx)));

/** The same, text only (an API field). */
export const durationText = z.string().transform(textToMs);

export function parseDuration(v: string): number {
  const r = duration.safeParse(v);
  if (!r.success) throw new Error(r.error.issues[0]?.message ?? 'bad duration');
  return r.data;
}

/** A value that may be given literally or as a reference: env:NAME or file:PATH. */
export const secretRef = z.string().min(1, 'must not be empty');

const name = z
  .string()
  .regex(/^[a-z0-9]([a-z0-9-_.]{0,61}[a-z0-9])?$/, 'expected a lowercase name (letters, digits, - _ .), at most 63 characters');

const nonEmptyList = <T extends z.ZodType>(item: T) =>
  z.array(item, { error: 'expected a non-empty list' }).min(1, 'expected a non-empty list');

export const repositorySchema = z
  .strictObject({
    name,
    url: z.string().min(1).optional(),
    path: z.string().min(1).optional(),
    branch: z.string().min(1).default('main'),
    pollInterval: duration.default(60_000),
    auth: z
      .strictObject({ token: secretRef.optional(), sshKey: secretRef.optional(), username: z.string().optional() })
      .optional(),
    webhookSecret: secretRef.optional(),
    maxFileSize: z.number().int().positive().default(5 * 1024 * 1024),
  })
  .refine((r) => (r.url ? !r.path : !!r.path), { message: 'give exactly one of url or path' });

export const clusterSchema = z
  .strictObject({
    name,
    kubeconfig: z.string().min(1).optional(),
    context: z.string().min(1).optional(),
    inCluster: z.boolean().optional(),
    kinds: z.array(z.string().min(1)).default([]),
    excludeKinds: z.array(z.string().min(1)).optional(),
    resyncInterval: duration.default(600_000),
  })
  .refine((c) => !(c.inCluster && c.kubeconfig), { message: 'give kubeconfig or inCluster, not both' });

export const ignoreRuleSchema = z
  .strictObject({
    group: z.string().optional(),
    kind: z.string().optional(),
    namespace: z.string().optional(),
    name: z.string().optional(),
    pointer: z.string().regex(/^\//, 'a JSON pointer starts with /').optional(),
    manager: z.string().optional(),
  })
  .refine((r) => r.pointer || r.manager || r.name || r.kind, { message: 'an ignore rule needs a pointer, a manager, a kind or a name' });

export const environmentSchema = z.strictObject({
  name,
  repository: name,
  paths: nonEmptyList(z.string().min(1)),
  render: z.enum(['plain', 'kustomize', 'auto']).default('plain'),
  renderer: z.enum(['builtin', 'binary']).default('builtin'),
  entries: z.array(z.string().min(1)).default([]),
  cluster: name.optional(),
  namespaces: z.array(z.string().min(1)).default(['*']),
  defaultNamespace: z.string().min(1).default('default'),
  applier: z.string().min(1).default('kustomize-controller'),
  humanManagers: z.array(z.string().min(1)).default([]),
  controllerManagers: z.array(z.string().min(1)).default([]),
  ignore: z.array(ignoreRuleSchema).default([]),
});

export const channelSchema = z.strictObject({
  name,
  type: z.enum(['slack', 'teams', 'googlechat', 'mattermost', 'discord', 'webhook']),
  url: secretRef,
  secret: secretRef.optional(),
  /** How long one delivery attempt may take before it counts as failed (default 10s). */
  timeout: duration.optional(),
});

/** A cron expression (5 or 6 fields, as pg-boss and cron-parser read it). */
const cronSchedule = z
  .string()
  .min(1)
  .superRefine((v, ctx) => {
    try {
      CronExpressionParser.parse(v);
    } catch (e) {
      ctx.addIssue({ code: 'custom', message: `"${v}" is not a cron expression (${(e as Error).message}); e.g. "*/15 * * * *"` });
    }
  });

/** An IANA time zone the runtime knows, e.g. Europe/Berlin. */
const timeZone = z
  .string()
  .min(1)
  .refine(
    (v) => {
      try {
        new Intl.DateTimeFormat('en', { timeZone: v });
        return true;
      } catch {
        return false;
      }
    },
    { error: (i) => `unknown time zone "${String(i.input)}" (an IANA name such as Europe/Berlin or UTC)` },
  );

export const alertSchema = z.strictObject({
  name,
  environments: nonEmptyList(name),
  schedule: cronSchedule,
  timezone: timeZone.default('UTC'),
  grace: duration.default(0),
  reminder: duration.optional(),
  notifyResolved: z.boolean().default(true),
  digest: z.boolean().default(false),
  kinds: z.array(z.string()).default([]),
  namespaces: z.array(z.string()).default([]),
  driftTypes: z.array(z.enum(['missing', 'modified', 'orphaned', 'unmanaged'])).default([]),
  channels: nonEmptyList(name),
  maxAttempts: z.number().int().min(1).max(50).default(8),
});

export const sensitiveSchema = z.strictObject({
  configMapKeys: z.array(z.string()).default([]),
  envNames: z.array(z.string()).default([]),
  annotations: z.array(z.string()).default([]),
});

/** Who may sign in, and how (tokens always work; OIDC is optional). */
export const authSchema = z.strictObject({
  /** How long a browser session lasts after sign-in (default 12h; never longer than the token it came from). */
  sessionTtl: duration.default(12 * 3_600_000),
  oidc: z
    .strictObject({
      issuer: z.url({ error: 'expected the issuer URL, e.g. https://login.example.com/realms/infra' }),
      clientId: z.string().min(1),
      clientSecret: secretRef.optional(),
      /** Where the issuer sends the browser back (default: server.baseUrl or the request's own origin + /api/v1/auth/oidc/callback). */
      redirectUrl: z.url().optional(),
      scopes: z.array(z.string().min(1)).default(['openid', 'profile', 'email']),
      /** The ID-token / userinfo claim holding groups or roles (a string or a list of strings). */
      roleClaim: z.string().min(1).default('groups'),
      /** Claim values granting each role; the highest matching role wins. A user matching none is refused. */
      roles: z
        .strictObject({ admin: z.array(z.string()).default([]), auditor: z.array(z.string()).default([]), viewer: z.array(z.string()).default([]) })
        .default({ admin: [], auditor: [], viewer: [] }),
      /** The claim shown as the signed-in name (default: email, then preferred_username, then sub). */
      nameClaim: z.string().min(1).optional(),
    })
    .optional(),
});

export const configSchema = z
  .strictObject({
    database: z.strictObject({ url: secretRef.optional() }).default({}),
    dataDir: z.string().min(1).default('./.driftline'),
    server: z
      .strictObject({
        port: z.number().int().min(0).max(65535).default(8080),
        host: z.string().default('0.0.0.0'),
        baseUrl: z.url({ error: 'expected an absolute URL like https://driftline.example.com' }).optional(),
        /** Browser origins allowed to call the API cross-origin; none (the default) sends no CORS headers. */
        cors: z.strictObject({ origins: z.array(z.url({ error: 'expected an origin like https://portal.example.com' })).default([]) }).optional(),
        /**
         * Requests per client IP per minute (default 1200) and per token or session per minute (default: the same);
         * 0 turns a limit off. /healthz, /readyz and /metrics are exempt.
         */
        rateLimit: z.strictObject({ perMinute: z.number().int().min(0), perTokenPerMinute: z.number().int().min(0).optional() }).optional(),
        /**
         * Behind a reverse proxy or ingress: which hops to trust for the client address (Express "trust proxy":
         * true, a hop count, or addresses/CIDRs). Without it every client is the proxy's address to the rate limiter.
         */
        trustProxy: z.union([z.boolean(), z.number().int().min(0), z.string().min(1), z.array(z.string().min(1))]).optional(),
      })
      .default({ port: 8080, host: '0.0.0.0' }),
    repositories: z.array(repositorySchema).default([]),
    clusters: z.array(clusterSchema).default([]),
    environments: z.array(environmentSchema).default([]),
    channels: z.array(channelSchema).default([]),
    alerts: z.array(alertSchema).default([]),
    sensitive: sensitiveSchema.optional(),
    auth: authSchema.default({ sessionTtl: 12 * 3_600_000 }),
    retention: z
      .strictObject({
        /** Live revisions older than this are dropped a monthly partition at a time (default: kept). */
        liveRevisions: duration.optional(),
        /** Sent and dead chat deliveries (with their attempts) older than this are deleted daily (default: kept). */
        alertDeliveries: duration.optional(),
      })
      .default({}),
  });

type Named = { name?: unknown };
const arr = (v: unknown): Named[] => (Array.isArray(v) ? (v as Named[]).filter((x) => x && typeof x === 'object') : []);
const names = (v: unknown) => new Set(arr(v).map((x) => x.name).filter((n): n is string => typeof n === 'string'));

/**
 * References between sections (environment → repository, alert → channel, …) and
 * duplicate names. Runs on the raw input even when the shape has other problems,
 * so one run of `config validate` lists every problem.
 */
export function crossCheck(raw: Record<string, unknown>): { path: (string | number)[]; message: string }[] {
  const out: { path: (string | number)[]; message: string }[] = [];
  for (const key of ['repositories', 'clusters', 'environments', 'channels', 'alerts']) {
    const seen = new Set<unknown>();
    arr(raw[key]).forEach((item, i) => {
      if (typeof item.name !== 'string') return;
      if (seen.has(item.name)) out.push({ path: [key, i, 'name'], message: `duplicate name "${item.name}"` });
      seen.add(item.name);
    });
  }
  const repos = names(raw.repositories);
  const clusters = names(raw.clusters);
  const envs = names(raw.environments);
  const channels = names(raw.channels);
  arr(raw.environments).forEach((e, i) => {
    const env = e as { repository?: unknown; cluster?: unknown; render?: unknown; entries?: unknown };
    if (typeof env.repository === 'string' && !repos.has(env.repository)) out.push({ path: ['environments', i, 'repository'], message: `no repository named "${env.repository}"` });
    if (typeof env.cluster === 'string' && !clusters.has(env.cluster)) out.push({ path: ['environments', i, 'cluster'], message: `no cluster named "${env.cluster}"` });
    if (env.render === 'kustomize' && !(Array.isArray(env.entries) && env.entries.length)) out.push({ path: ['environments', i, 'entries'], message: 'render: kustomize needs at least one entry directory' });
  });
  arr(raw.alerts).forEach((a, i) => {
    const alert = a as { environments?: unknown; channels?: unknown };
    (Array.isArray(alert.environments) ? alert.environments : []).forEach((e, j) => {
      if (typeof e === 'string' && !envs.has(e)) out.push({ path: ['alerts', i, 'environments', j], message: `no environment named "${e}"` });
    });
    (Array.isArray(alert.channels) ? alert.channels : []).forEach((c, j) => {
      if (typeof c === 'string' && !channels.has(c)) out.push({ path: ['alerts', i, 'channels', j], message: `no channel named "${c}"` });
    });
  });
  return out;
}

export type DriftlineConfigInput = z.input<typeof configSchema>;
export type DriftlineConfig = z.output<typeof configSchema>;
export type RepositoryConfig = DriftlineConfig['repositories'][number];
export type ClusterConfig = DriftlineConfig['clusters'][number];
export type EnvironmentConfig = DriftlineConfig['environments'][number];
export type ChannelConfig = DriftlineConfig['channels'][number];
export type AlertConfig = DriftlineConfig['alerts'][number];
export type IgnoreRuleConfig = EnvironmentConfig['ignore'][number];

/** Keys whose values are secrets: masked wherever config is printed or logged. */
export const SENSITIVE_KEYS = new Set(['url', 'token', 'sshKey', 'secret', 'webhookSecret', 'clientSecret', 'password']);
