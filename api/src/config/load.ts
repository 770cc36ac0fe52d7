import { readFileSync, existsSync } from 'node:fs';
import { resolve, dirname, isAbsolute } from 'node:path';
import { homedir } from 'node:os';
import * as yaml from 'js-yaml';
import type { z } from 'zod';
import { configSchema, crossCheck, DriftlineConfig, SENSITIVE_KEYS } from './schema';

export interface ConfigProblem {
  path: string;
  message: string;
}

export class ConfigError extends Error {
  constructor(
    readonly source: string,
    readonly problems: ConfigProblem[],
  ) {
    super(`${source}: ${problems.length} problem(s)\n` + problems.map((p) => `  ${p.path || '(root)'}: ${p.message}`).join('\n'));
    this.name = 'ConfigError';
  }
}

export interface LoadedConfig {
  config: DriftlineConfig;
  /** Where it came from: a file path, or null when nothing was configured (demo mode). */
  source: string | null;
  /** A copy safe to print or log: references shown as written, literal secrets masked. */
  masked: unknown;
}

/** The environment variables Driftline reads. Only config/ reads process.env. */
export interface ConfigEnv {
  DRIFTLINE_CONFIG?: string;
  DATABASE_URL?: string;
  PORT?: string;
  DRIFTLINE_DATA_DIR?: string;
  [name: string]: string | undefined;
}

/** `environments[1].paths` from a zod issue path. */
export function formatPath(path: readonly PropertyKey[]): string {
  let out = '';
  for (const part of path) {
    if (typeof part === 'number') out += `[${part}]`;
    else out += (out ? '.' : '') + String(part);
  }
  return out;
}

function issuesToProblems(issues: readonly z.core.$ZodIssue[]): ConfigProblem[] {
  const out: ConfigProblem[] = [];
  for (const issue of issues) {
    if (issue.code === 'unrecognized_keys') {
      for (const key of issue.keys) out.push({ path: formatPath([...issue.path, key]), message: 'unknown key' });
      continue;
    }
    if (issue.code === 'invalid_union' && issue.errors.length) {
      // Report the branch that got furthest instead of "invalid input".
      const best = issue.errors.reduce((a, b) => (b.length < a.length ? b : a));
      out.push(...issuesToProblems(best.map((i) => ({ ...i, path: [...issue.path, ...i.path] }))));
      continue;
    }
    out.push({ path: formatPath(issue.path), message: issue.message });
  }
  return out;
}

/** Resolve env:NAME and file:PATH references. Unresolvable references are problems, never silent. */
function resolveRefs(value: unknown, env: ConfigEnv, baseDir: string, path: (string | number)[], problems: ConfigProblem[]): unknown {
  if (typeof value === 'string') {
    if (value.startsWith('env:')) {
      const name = value.slice(4);
      const v = env[name];
      if (v === undefined || v === '') {
        problems.push({ path: formatPath(path), message: `environment variable ${name} is not set` });
        return value;
      }
      return v;
    }
    if (value.startsWith('file:') && !value.startsWith('file://')) {
      const p = expandPath(value.slice(5), baseDir);
      try {
        return readFileSync(p, 'utf8').trim();
      } catch (e) {
        problems.push({ path: formatPath(path), message: `cannot read ${p}: ${(e as NodeJS.ErrnoException).code ?? 'error'}` });
        return value;
      }
    }
    return value;
  }
  if (Array.isArray(value)) return value.map((v, i) => resolveRefs(v, env, baseDir, [...path, i], problems));
  if (value && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) out[k] = resolveRefs(v, env, baseDir, [...path, k], problems);
    return out;
  }
  return value;
}

export function expandPath(p: string, baseDir: string): string {
  if (p === '~' || p.startsWith('~/')) return resolve(homedir(), p.slice(2));
  return isAbsolute(p) ? p : resolve(baseDir, p);
}

/** Mask a value for display: references stay as written, literals become "****" (URLs keep scheme and host). */
export function maskValue(key: string, value: unknown): unknown {
  if (typeof value !== 'string') return value;
  if (value.startsWith('env:') || (value.startsWith('file:') && !value.startsWith('file://'))) return value;
  if (!SENSITIVE_KEYS.has(key)) return value;
  try {
    const u = new URL(value);
    if (key === 'url' && (u.protocol === 'https:' || u.protocol === 'http:' || u.protocol === 'ssh:' || u.protocol === 'postgres:' || u.protocol === 'postgresql:')) {
      // Keep enough to recognise the target, drop credentials, paths and queries (webhook URLs carry tokens in their path).
      return `${u.protocol}//${u.hostname}${u.port ? ':' + u.port : ''}/****`;
    }
  } catch {
    /* not a URL */
  }
  return '****';
}

export function maskConfig(raw: unknown, key = ''): unknown {
  if (Array.isArray(raw)) return raw.map((v) => maskConfig(v, key));
  if (raw && typeof raw === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(raw)) out[k] = v && typeof v === 'object' ? maskConfig(v, k) : maskValue(k, v);
    return out;
  }
  return maskValue(key, raw);
}

/** Parse and validate configuration text. Throws ConfigError listing every problem with its key path. */
export function parseConfig(text: string, source: string, env: ConfigEnv = {}, baseDir = process.cwd()): LoadedConfig {
  let raw: unknown;
  try {
    raw = yaml.load(text, { filename: source, json: false }) ?? {};
  } catch (e) {
    const err = e as yaml.YAMLException;
    const where = err.mark ? `line ${err.mark.line + 1}, column ${err.mark.column + 1}` : '';
    throw new ConfigError(source, [{ path: '', message: `invalid YAML${where ? ' at ' + where : ''}: ${err.reason ?? err.message}` }]);
  }
  if (typeof raw !== 'object' || Array.isArray(raw) || raw === null) {
    throw new ConfigError(source, [{ path: '', message: 'expected a mapping of keys (repositories, clusters, environments, …)' }]);
  }
  const problems: ConfigProblem[] = [];
  const resolved = resolveRefs(raw, env, baseDir, [], problems) as Record<string, unknown>;
  // Environment overrides: the 12-factor way to deploy.
  if (env.DATABASE_URL) resolved.database = { ...(resolved.database as object), url: env.DATABASE_URL };
  if (env.DRIFTLINE_DATA_DIR) resolved.dataDir = env.DRIFTLINE_DATA_DIR;
  if (env.PORT) {
    const port = Number(env.PORT);
    if (!Number.isInteger(port)) problems.push({ path: 'PORT', message: `expected a port number, got "${env.PORT}"` });
    else resolved.server = { ...(resolved.server as object), port };
  }
  const parsed = configSchema.safeParse(resolved);
  if (!parsed.success) problems.push(...issuesToProblems(parsed.error.issues));
  for (const p of crossCheck(resolved)) problems.push({ path: formatPath(p.path), message: p.message });
  if (problems.length) throw new ConfigError(source, problems);
  const config = parsed.data!;
  config.dataDir = expandPath(config.dataDir, baseDir);
  for (const c of config.clusters) if (c.kubeconfig) c.kubeconfig = expandPath(c.kubeconfig, baseDir);
  for (const r of config.repositories) if (r.path) r.path = expandPath(r.path, baseDir);
  return { config, source, masked: maskConfig(raw) };
}

/**
 * Load configuration: --config, else DRIFTLINE_CONFIG, else ./driftline.yaml if present;
 * with none, an empty configuration (serve then starts the demo).
 */
export function loadConfig(opts: { configPath?: string; env?: ConfigEnv; cwd?: string } = {}): LoadedConfig {
  const env = opts.env ?? (process.env as ConfigEnv);
  const cwd = opts.cwd ?? process.cwd();
  const explicit = opts.configPath ?? env.DRIFTLINE_CONFIG;
  const path = explicit ? resolve(cwd, explicit) : resolve(cwd, 'driftline.yaml');
  if (!existsSync(path)) {
    if (explicit) throw new ConfigError(path, [{ path: '', message: 'file not found' }]);
    return { ...parseConfig('{}', '(defaults)', env, cwd), source: null };
  }
  return parseConfig(readFileSync(path, 'utf8'), path, env, dirname(path));
}

/** True when nothing is configured: serve then runs the demo environment. */
export function isUnconfigured(c: DriftlineConfig): boolean {
  return c.repositories.length === 0 && c.clusters.length === 0 && c.environments.length === 0;
}
