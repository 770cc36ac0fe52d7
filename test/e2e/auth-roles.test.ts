import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freshDatabase, TestDatabase } from '../support/db';
import { startTestServer, TestServer } from '../support/app';
import { GitRepoBuilder } from '../support/git-repo-builder';
import { ChatReceiver } from '../support/chat-receivers';
import { configMap, startSimCluster } from '../unit/cluster/support';
import type { SimCluster } from '../../api/src/cluster/sim';
import { GitIndexService } from '../../api/src/git/git-index.service';
import { LiveRecorderService } from '../../api/src/cluster/live-recorder.service';
import { ReportsService } from '../../api/src/reports/reports.service';
import { TokensService } from '../../api/src/auth/tokens.service';
import type { Role } from '../../api/src/auth/principal';

/**
 * Every route × every kind of caller. The table says the least role each route
 * needs ('public' for none); a route the server has that the table lacks fails
 * the test, so a new endpoint cannot ship without a decision on who may call it.
 */
type Need = Role | 'public';
interface Call {
  path: string;
  body?: unknown;
  headers?: Record<string, string>;
}
interface Route {
  method: 'GET' | 'POST' | 'DELETE';
  /** As the OpenAPI document writes it ({param}), or a non-API path. */
  template: string;
  need: Need;
  /** The status an allowed caller gets with these sample values. */
  ok: number;
  call: () => Call | Promise<Call>;
}

const ENV = 'prod';
let db: TestDatabase;
let app: TestServer;
let repo: GitRepoBuilder;
let sim: SimCluster;
let receiver: ChatReceiver;
let sha: string;
let objectId: string;
let reportId: string;
let n = 0;

const ROUTES: Route[] = [
  { method: 'GET', template: '/healthz', need: 'public', ok: 200, call: () => ({ path: '/healthz' }) },
  { method: 'GET', template: '/readyz', need: 'public', ok: 200, call: () => ({ path: '/readyz' }) },
  { method: 'GET', template: '/metrics', need: 'public', ok: 200, call: () => ({ path: '/metrics' }) },
  { method: 'GET', template: '/api/docs-json', need: 'viewer', ok: 200, call: () => ({ path: '/api/docs-json' }) },
  { method: 'GET', template: '/api/docs', need: 'viewer', ok: 200, call: () => ({ path: '/api/docs' }) },
  { method: 'GET', template: '/api/v1/info', need: 'viewer', ok: 200, call: () => ({ path: '/api/v1/info' }) },
  { method: 'GET', template: '/api/v1/auth/config', need: 'public', ok: 200, call: () => ({ path: '/api/v1/auth/config' }) },
  { method: 'POST', template: '/api/v1/auth/session', need: 'public', ok: 204, call: async () => ({ path: '/api/v1/auth/session', body: { token: await app.tokenFor('viewer') } }) },
  { method: 'DELETE', template: '/api/v1/auth/session', need: 'viewer', ok: 204, call: () => ({ path: '/api/v1/auth/session' }) },
  { method: 'GET', template: '/api/v1/auth/me', need: 'viewer', ok: 200, call: () => ({ path: '/api/v1/auth/me' }) },
  // Browser navigations of the OIDC sign-in; this server has no auth.oidc, so they answer 404 to everyone (test/e2e/auth-oidc.test.ts covers them).
  { method: 'GET', template: '/api/v1/auth/oidc/login', need: 'public', ok: 404, call: () => ({ path: '/api/v1/auth/oidc/login?returnTo=/drift' }) },
  { method: 'GET', template: '/api/v1/auth/oidc/callback', need: 'public', ok: 404, call: () => ({ path: '/api/v1/auth/oidc/callback?code=x&state=y' }) },
  { method: 'GET', template: '/api/v1/tokens', need: 'admin', ok: 200, call: () => ({ path: '/api/v1/tokens' }) },
  { method: 'POST', template: '/api/v1/tokens', need: 'admin', ok: 201, call: () => ({ path: '/api/v1/tokens', body: { name: `made-${++n}`, role: 'viewer', expires: '1d' } }) },
  {
    method: 'DELETE',
    template: '/api/v1/tokens/{id}',
    need: 'admin',
    ok: 200,
    call: async () => {
      const t = await app.app.get(TokensService).create({ name: `doomed-${++n}`, role: 'viewer', createdBy: 'test' });
      return { path: `/api/v1/tokens/${t.id}` };
    },
  },
  { method: 'GET', template: '/api/v1/repositories', need: 'viewer', ok: 200, call: () => ({ path: '/api/v1/repositories' }) },
  { method: 'GET', template: '/api/v1/repositories/{name}/problems', need: 'viewer', ok: 200, call: () => ({ path: '/api/v1/repositories/infra/problems' }) },
  { method: 'POST', template: '/api/v1/repositories/{name}/index', need: 'admin', ok: 200, call: () => ({ path: '/api/v1/repositories/infra/index?fetch=false' }) },
  { method: 'GET', template: '/api/v1/commits', need: 'viewer', ok: 200, call: () => ({ path: '/api/v1/commits' }) },
  { method: 'GET', template: '/api/v1/commits/{sha}', need: 'viewer', ok: 200, call: () => ({ path: `/api/v1/commits/${sha}` }) },
  { method: 'GET', template: '/api/v1/environments/{env}/desired', need: 'viewer', ok: 200, call: () => ({ path: `/api/v1/environments/${ENV}/desired` }) },
  { method: 'GET', template: '/api/v1/environments/{env}/renders', need: 'viewer', ok: 200, call: () => ({ path: `/api/v1/environments/${ENV}/renders` }) },
  {
    method: 'POST',
    template: '/api/v1/hooks/git/{repository}',
    need: 'public',
    ok: 202,
    call: () => ({ path: '/api/v1/hooks/git/infra', body: { ref: 'refs/heads/main' }, headers: { 'x-gitlab-token': 's3cret' } }),
  },
  { method: 'GET', template: '/api/v1/environments', need: 'viewer', ok: 200, call: () => ({ path: '/api/v1/environments' }) },
  { method: 'GET', template: '/api/v1/environments/{env}/drift', need: 'viewer', ok: 200, call: () => ({ path: `/api/v1/environments/${ENV}/drift` }) },
  { method: 'GET', template: '/api/v1/environments/{env}/drift/history', need: 'viewer', ok: 200, call: () => ({ path: `/api/v1/environments/${ENV}/drift/history` }) },
  { method: 'GET', template: '/api/v1/environments/{env}/state', need: 'viewer', ok: 200, call: () => ({ path: `/api/v1/environments/${ENV}/state` }) },
  {
    method: 'GET',
    template: '/api/v1/environments/{env}/diff',
    need: 'viewer',
    ok: 200,
    call: () => ({ path: `/api/v1/environments/${ENV}/diff?from=2026-01-01T00:00:00Z&to=${encodeURIComponent(new Date().toISOString())}` }),
  },
  { method: 'GET', template: '/api/v1/objects/{id}/diff', need: 'viewer', ok: 200, call: () => ({ path: `/api/v1/objects/${objectId}/diff?a=desired&b=live&environment=${ENV}` }) },
  { method: 'GET', template: '/api/v1/clusters', need: 'viewer', ok: 200, call: () => ({ path: '/api/v1/clusters' }) },
  { method: 'POST', template: '/api/v1/clusters/{name}/snapshot', need: 'admin', ok: 200, call: () => ({ path: '/api/v1/clusters/prod/snapshot' }) },
  { method: 'GET', template: '/api/v1/objects', need: 'viewer', ok: 200, call: () => ({ path: '/api/v1/objects' }) },
  { method: 'GET', template: '/api/v1/objects/{id}/history', need: 'viewer', ok: 200, call: () => ({ path: `/api/v1/objects/${objectId}/history` }) },
  { method: 'GET', template: '/api/v1/environments/{env}/timeline', need: 'viewer', ok: 200, call: () => ({ path: `/api/v1/environments/${ENV}/timeline?from=2026-01-01T00:00:00Z&to=${encodeURIComponent(new Date(Date.now() + 60_000).toISOString())}` }) },
  { method: 'GET', template: '/api/v1/environments/{env}/timeline/stream', need: 'viewer', ok: 200, call: () => ({ path: `/api/v1/environments/${ENV}/timeline/stream` }) },
  { method: 'GET', template: '/api/v1/alerts/channels', need: 'viewer', ok: 200, call: () => ({ path: '/api/v1/alerts/channels' }) },
  { method: 'GET', template: '/api/v1/alerts/rules', need: 'viewer', ok: 200, call: () => ({ path: '/api/v1/alerts/rules' }) },
  { method: 'GET', template: '/api/v1/alerts/deliveries', need: 'viewer', ok: 200, call: () => ({ path: '/api/v1/alerts/deliveries' }) },
  { method: 'POST', template: '/api/v1/alerts/channels/{name}/test', need: 'admin', ok: 200, call: () => ({ path: '/api/v1/alerts/channels/ops/test' }) },
  { method: 'POST', template: '/api/v1/reports', need: 'auditor', ok: 202, call: () => ({ path: '/api/v1/reports', body: { environments: [ENV], from: '2026-01-01T00:00:00Z', to: '2026-12-31T00:00:00Z', format: 'csv' } }) },
  { method: 'GET', template: '/api/v1/reports', need: 'auditor', ok: 200, call: () => ({ path: '/api/v1/reports' }) },
  { method: 'GET', template: '/api/v1/reports/{id}', need: 'auditor', ok: 200, call: () => ({ path: `/api/v1/reports/${reportId}` }) },
  { method: 'GET', template: '/api/v1/reports/{id}/download', need: 'auditor', ok: 200, call: () => ({ path: `/api/v1/reports/${reportId}/download` }) },
];

type Caller = 'none' | 'revoked' | 'expired' | 'garbage' | Role;
const CALLERS: Caller[] = ['none', 'garbage', 'revoked', 'expired', 'viewer', 'auditor', 'admin'];
const RANK: Record<Role, number> = { viewer: 0, auditor: 1, admin: 2 };
const credentials = new Map<Caller, string | null>();

function expected(route: Route, caller: Caller): number {
  if (route.need === 'public') return route.ok;
  if (caller === 'none' || caller === 'revoked' || caller === 'expired' || caller === 'garbage') return 401;
  return RANK[caller] >= RANK[route.need] ? route.ok : 403;
}

async function request(route: Route, caller: Caller): Promise<number> {
  const c = await route.call();
  const headers: Record<string, string> = { ...(c.headers ?? {}) };
  if (c.body !== undefined) headers['content-type'] = 'application/json';
  const token = credentials.get(caller);
  if (token) headers.authorization = `Bearer ${token}`;
  const ac = new AbortController();
  const res = await app.anon(c.path, { method: route.method, headers, body: c.body === undefined ? undefined : JSON.stringify(c.body), signal: ac.signal });
  // Read the answer (or, for the event stream, stop after the headers).
  if ((res.headers.get('content-type') ?? '').includes('text/event-stream')) ac.abort();
  else await res.arrayBuffer();
  return res.status;
}

beforeAll(async () => {
  db = await freshDatabase();
  repo = await GitRepoBuilder.create();
  sha = await repo.commit({ files: { 'clusters/prod/app.yaml': 'apiVersion: v1\nkind: ConfigMap\nmetadata: { name: app, namespace: default }\ndata: { v: "1" }\n' }, message: 'Add app (#1)' });
  const s = await startSimCluster();
  sim = s.sim;
  sim.apply(configMap('app', { v: '2' }), { manager: 'kubectl-edit' });
  receiver = await ChatReceiver.start('webhook');
  app = await startTestServer({
    databaseUrl: db.url,
    workers: false,
    config: {
      repositories: [{ name: 'infra', path: repo.dir, webhookSecret: 's3cret' }],
      clusters: [{ name: 'prod', kubeconfig: s.kubeconfig, kinds: ['ConfigMap'] }],
      environments: [{ name: ENV, repository: 'infra', cluster: 'prod', paths: ['clusters/prod/**'] }],
      channels: [{ name: 'ops', type: 'webhook', url: receiver.url }],
    },
  });
  await app.app.get(GitIndexService).index();
  await app.app.get(LiveRecorderService).snapshot();
  const objects = (await (await app.get('/api/v1/objects?kind=ConfigMap')).json()) as { items: { objectId: number; name: string }[] };
  objectId = String(objects.items.find((o) => o.name === 'app')!.objectId);
  const report = (await (await app.get('/api/v1/reports', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ environments: [ENV], from: '2026-01-01T00:00:00Z', to: '2026-12-31T00:00:00Z', format: 'json' }) })).json()) as { id: string };
  reportId = report.id;
  await app.app.get(ReportsService).tick();

  const tokens = app.app.get(TokensService);
  credentials.set('none', null);
  credentials.set('garbage', 'dl_000000000000_' + 'x'.repeat(43));
  for (const role of ['viewer', 'auditor', 'admin'] as Role[]) credentials.set(role, await app.tokenFor(role));
  const revoked = await tokens.create({ name: 'revoked', role: 'admin', createdBy: 'test' });
  await tokens.revoke(revoked.id);
  credentials.set('revoked', revoked.token);
  const expiring = await tokens.create({ name: 'expired', role: 'admin', expiresInMs: 1, createdBy: 'test' });
  await new Promise((r) => setTimeout(r, 20));
  credentials.set('expired', expiring.token);
});

afterAll(async () => {
  await app?.close();
  await sim?.stop();
  await receiver?.close();
  await db?.drop();
  await repo?.cleanup();
});

describe('who may call what', () => {
  it('the table names every route the server documents, and only those', async () => {
    const doc = (await (await app.get('/api/docs-json')).json()) as { paths: Record<string, Record<string, unknown>> };
    const documented = Object.entries(doc.paths).flatMap(([p, ops]) => Object.keys(ops).map((m) => `${m.toUpperCase()} ${p}`));
    const tabled = ROUTES.filter((r) => r.template.startsWith('/api/v1/')).map((r) => `${r.method} ${r.template}`);
    expect(documented.sort()).toEqual(tabled.sort());
  });

  it.each(ROUTES.map((r) => [`${r.method} ${r.template}`, r] as const))('%s: 401 without a valid token, 403 below its role, works at or above it', async (_name, route) => {
    const got: Record<string, number> = {};
    const want: Record<string, number> = {};
    for (const caller of CALLERS) {
      got[caller] = await request(route, caller);
      want[caller] = expected(route, caller);
    }
    expect(got).toEqual(want);
  });

  it('a refusal says why, in problem+json, with WWW-Authenticate on 401', async () => {
    const none = await app.anon('/api/v1/environments');
    expect(none.status).toBe(401);
    expect(none.headers.get('www-authenticate')).toMatch(/^Bearer realm="driftline"/);
    expect(await none.json()).toMatchObject({ code: 'auth.required', detail: expect.stringContaining('driftline token create') });
    const viewer = await app.anon('/api/v1/reports', { headers: { authorization: `Bearer ${credentials.get('viewer')}` } });
    expect(await viewer.json()).toMatchObject({ status: 403, code: 'auth.forbidden', required: 'auditor', role: 'viewer' });
    const basic = await app.anon('/api/v1/environments', { headers: { authorization: 'Basic YWRtaW46YWRtaW4=' } });
    expect(basic.status).toBe(401);
  });

  it('a session cookie works like its token, and ends when the token is revoked or on sign-out', async () => {
    const tokens = app.app.get(TokensService);
    const t = await tokens.create({ name: 'browser-user', role: 'auditor', createdBy: 'test' });
    const signIn = await app.anon('/api/v1/auth/session', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ token: t.token }) });
    expect(signIn.status).toBe(204);
    const set = signIn.headers.getSetCookie().find((c) => c.startsWith('driftline_session='))!;
    expect(set).toMatch(/HttpOnly/i);
    expect(set).toMatch(/SameSite=Strict/i);
    expect(set).not.toContain(t.token);
    const cookie = set.split(';')[0]!;
    const me = await app.anon('/api/v1/auth/me', { headers: { cookie } });
    expect(await me.json()).toMatchObject({ name: 'browser-user', role: 'auditor', via: 'session', kind: 'token' });
    expect((await app.anon('/api/v1/reports', { headers: { cookie } })).status).toBe(200);
    expect((await app.anon('/api/v1/tokens', { headers: { cookie } })).status).toBe(403);

    await tokens.revoke('browser-user');
    expect((await app.anon('/api/v1/auth/me', { headers: { cookie } })).status).toBe(401);

    const t2 = await tokens.create({ name: 'browser-user', role: 'viewer', createdBy: 'test' });
    const again = await app.anon('/api/v1/auth/session', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ token: t2.token }) });
    const cookie2 = again.headers.getSetCookie()[0]!.split(';')[0]!;
    expect((await app.anon('/api/v1/auth/me', { headers: { cookie: cookie2 } })).status).toBe(200);
    const out = await app.anon('/api/v1/auth/session', { method: 'DELETE', headers: { cookie: cookie2 } });
    expect(out.status).toBe(204);
    expect(out.headers.getSetCookie().join()).toMatch(/driftline_session=;/);
    expect((await app.anon('/api/v1/auth/me', { headers: { cookie: cookie2 } })).status).toBe(401);
    const wrong = await app.anon('/api/v1/auth/session', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ token: 'dl_nope' }) });
    expect(wrong.status).toBe(401);
  });

  it('refuses a token lifetime that is not a duration, naming the field', async () => {
    const r = await app.get('/api/v1/tokens', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ name: 'bad-expiry', role: 'viewer', expires: 'soon' }) });
    expect(r.status).toBe(400);
    expect(await r.json()).toMatchObject({ code: 'validation.failed', detail: 'expires: expected a duration like 30s, 10m, 4h or 7d, got "soon"' });
  });

  it('tokens are stored only as scrypt hashes, and the list never shows one', async () => {
    const t = await app.app.get(TokensService).create({ name: 'hash-check', role: 'viewer', createdBy: 'test' });
    const rows: { hash: string; prefix: string }[] = await db.dataSource!.query(`SELECT hash, prefix FROM api_tokens WHERE name = 'hash-check'`);
    expect(rows[0]!.hash).toMatch(/^scrypt\$16384\$8\$1\$/);
    expect(rows[0]!.hash).not.toContain(t.token.split('_')[2]);
    const list = await (await app.get('/api/v1/tokens')).text();
    expect(list).toContain('hash-check');
    expect(list).not.toContain(t.token);
    expect(list).not.toContain(rows[0]!.hash);
  });
});
