import { canonicalJson, keyedHash } from './canonical';
import { groupOf } from './identity';

/**
 * Redaction of secret values before anything is stored. Values are replaced by
 * keyed hashes (HMAC with the install key), so a change is still visible as a
 * different hash and drift on a Secret is still detected, but nothing stored
 * reveals a value.
 */

/** A JSON pointer (RFC 6901) whose target is sensitive in objects of a kind. `*` as a segment matches any key or index. */
export interface SensitivePointer {
  /** Kind, or '*' for every kind. */
  kind: string;
  /** API group ('' = core); any group when omitted. */
  group?: string;
  pointer: string;
}

/**
 * Configurable sensitive paths, beyond Secret data which is always redacted.
 * Patterns are case-insensitive globs over the whole name: `*` matches any
 * run of characters (including '/' and '.'), `?` one character.
 */
export interface SensitiveRules {
  /** ConfigMap `data` / `binaryData` keys. */
  configMapKeys: readonly string[];
  /** Container env var names whose literal `value` is redacted (any `env` list, so CRDs with pod templates are covered). */
  envVarNames: readonly string[];
  /** Keys of any `annotations` map (top-level and in pod templates). */
  annotationKeys: readonly string[];
  pointers: readonly SensitivePointer[];
}

export const DEFAULT_SENSITIVE_RULES: SensitiveRules = Object.freeze({
  configMapKeys: Object.freeze([
    '*password*',
    '*passwd*',
    '*secret*',
    '*token*',
    '*apikey*',
    '*api_key*',
    '*api-key*',
    '*private_key*',
    '*private-key*',
    '*credential*',
  ]),
  envVarNames: Object.freeze([
    '*PASSWORD*',
    '*PASSWD*',
    '*_SECRET',
    '*_SECRET_*',
    'SECRET',
    '*_TOKEN',
    '*_TOKEN_*',
    'TOKEN',
    '*API_KEY*',
    '*APIKEY*',
    '*ACCESS_KEY*',
    '*PRIVATE_KEY*',
    '*CREDENTIALS*',
  ]),
  annotationKeys: Object.freeze(['*password*', '*token*', '*apikey*', '*api-key*', '*credential*', '*private-key*']),
  pointers: Object.freeze([]),
}) as SensitiveRules;

/** Concatenates rule sets (e.g. defaults + driftline.yaml). */
export function mergeSensitiveRules(...sets: Partial<SensitiveRules>[]): SensitiveRules {
  return {
    configMapKeys: sets.flatMap((s) => s.configMapKeys ?? []),
    envVarNames: sets.flatMap((s) => s.envVarNames ?? []),
    annotationKeys: sets.flatMap((s) => s.annotationKeys ?? []),
    pointers: sets.flatMap((s) => s.pointers ?? []),
  };
}

export interface RedactOptions {
  /** The install key for keyed hashes. */
  key: Buffer | string;
  /** Defaults to DEFAULT_SENSITIVE_RULES. */
  sensitive?: SensitiveRules;
}

export const LAST_APPLIED_ANNOTATION = 'kubectl.kubernetes.io/last-applied-configuration';

const HASHED = /^hmac-sha256:[0-9a-f]{64}$/;

/** True for a value redactObject produced; such values are left as they are, so redaction is idempotent. */
export function isRedactedValue(value: unknown): boolean {
  return typeof value === 'string' && HASHED.test(value);
}

/**
 * Returns a redacted deep copy of a Kubernetes object (the input is not
 * modified). Deterministic for a given key.
 *  - Secret (core): `data` values become keyedHash(decoded bytes), `stringData`
 *    values keyedHash(utf-8 bytes) and are merged into `data` as the API
 *    server does (stringData wins), so Git's stringData and the cluster's data
 *    compare equal when the values are.
 *  - The last-applied-configuration annotation (any kind) is parsed, redacted
 *    with the same rules and re-serialised; if it is not JSON it is hashed whole.
 *  - ConfigMap keys, env vars, annotation keys and pointers per `sensitive`.
 */
export function redactObject<T>(body: T, opts: RedactOptions): T {
  if (!isObject(body)) return body;
  const ctx: RedactContext = { key: opts.key, rules: compile(opts.sensitive ?? DEFAULT_SENSITIVE_RULES) };
  const out = redactBody(body, ctx);
  const annotations = isObject(out.metadata) ? out.metadata.annotations : undefined;
  if (isObject(annotations) && LAST_APPLIED_ANNOTATION in annotations) {
    annotations[LAST_APPLIED_ANNOTATION] = redactLastApplied(annotations[LAST_APPLIED_ANNOTATION], ctx);
  }
  return out as T;
}

interface CompiledRules {
  configMapKeys: RegExp | null;
  envVarNames: RegExp | null;
  annotationKeys: RegExp | null;
  pointers: readonly { kind: string; group?: string; segments: string[] }[];
}

interface RedactContext {
  key: Buffer | string;
  rules: CompiledRules;
}

const compiledCache = new WeakMap<SensitiveRules, CompiledRules>();

function compile(rules: SensitiveRules): CompiledRules {
  let c = compiledCache.get(rules);
  if (!c) {
    c = {
      configMapKeys: globsToRegExp(rules.configMapKeys),
      envVarNames: globsToRegExp(rules.envVarNames),
      annotationKeys: globsToRegExp(rules.annotationKeys),
      pointers: rules.pointers.map((p) => ({ kind: p.kind, group: p.group, segments: parsePointer(p.pointer) })),
    };
    compiledCache.set(rules, c);
  }
  return c;
}

/** Case-insensitive whole-string glob: `*` any run, `?` one character. */
export function globsToRegExp(patterns: readonly string[]): RegExp | null {
  if (patterns.length === 0) return null;
  const alternatives = patterns.map((p) =>
    p.replace(/[.+^${}()|[\]\\*?]/g, (ch) => (ch === '*' ? '.*' : ch === '?' ? '.' : '\\' + ch)),
  );
  return new RegExp(`^(?:${alternatives.join('|')})$`, 'is');
}

function parsePointer(pointer: string): string[] {
  if (pointer === '' || pointer[0] !== '/') throw new Error(`not a JSON pointer to a field: "${pointer}"`);
  return pointer
    .slice(1)
    .split('/')
    .map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'));
}

function redactBody(body: Record<string, unknown>, ctx: RedactContext): Record<string, unknown> {
  const out = copy(body, undefined, ctx) as Record<string, unknown>;
  const apiVersion = typeof out.apiVersion === 'string' ? out.apiVersion : '';
  const kind = typeof out.kind === 'string' ? out.kind : '';
  const group = groupOf(apiVersion);
  if (group === '' && kind === 'Secret') redactSecret(out, ctx);
  if (group === '' && kind === 'ConfigMap' && ctx.rules.configMapKeys) redactConfigMap(out, ctx, ctx.rules.configMapKeys);
  for (const p of ctx.rules.pointers) {
    if ((p.kind === '*' || p.kind === kind) && (p.group === undefined || p.group === group)) {
      redactAtPointer(out, p.segments, 0, ctx);
    }
  }
  return out;
}

/** Deep copy that redacts env values and sensitive annotation keys on the way. */
function copy(value: unknown, parentKey: string | undefined, ctx: RedactContext): unknown {
  if (Array.isArray(value)) {
    const out = new Array<unknown>(value.length);
    for (let i = 0; i < value.length; i++) out[i] = copy(value[i], undefined, ctx);
    if (parentKey === 'env' && ctx.rules.envVarNames) redactEnv(out, ctx, ctx.rules.envVarNames);
    return out;
  }
  if (value !== null && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const k of Object.keys(value)) setOwn(out, k, copy((value as Record<string, unknown>)[k], k, ctx));
    if (parentKey === 'annotations' && ctx.rules.annotationKeys) {
      for (const k of Object.keys(out)) {
        if (k !== LAST_APPLIED_ANNOTATION && ctx.rules.annotationKeys.test(k)) out[k] = hashValue(out[k], ctx);
      }
    }
    return out;
  }
  return value;
}

function redactEnv(env: unknown[], ctx: RedactContext, names: RegExp): void {
  for (const item of env) {
    if (isObject(item) && typeof item.name === 'string' && 'value' in item && names.test(item.name)) {
      item.value = hashValue(item.value, ctx);
    }
  }
}

function redactSecret(secret: Record<string, unknown>, ctx: RedactContext): void {
  const hasData = 'data' in secret && secret.data != null;
  const hasStringData = 'stringData' in secret && secret.stringData != null;
  if (!hasData && !hasStringData) {
    delete secret.stringData;
    return;
  }
  const merged: Record<string, unknown> = {};
  if (hasData) {
    if (isObject(secret.data)) {
      for (const k of Object.keys(secret.data)) setOwn(merged, k, hashSecretValue(secret.data[k], 'base64', ctx));
    } else {
      secret.data = hashValue(secret.data, ctx); // malformed: keep nothing readable
      delete secret.stringData;
      return;
    }
  }
  if (hasStringData && !isObject(secret.stringData)) {
    secret.data = merged;
    secret.stringData = hashValue(secret.stringData, ctx); // malformed: keep nothing readable
    return;
  }
  if (hasStringData) {
    const stringData = secret.stringData as Record<string, unknown>;
    for (const k of Object.keys(stringData)) setOwn(merged, k, hashSecretValue(stringData[k], 'utf8', ctx));
  }
  secret.data = merged;
  delete secret.stringData;
}

function redactConfigMap(cm: Record<string, unknown>, ctx: RedactContext, keys: RegExp): void {
  if (isObject(cm.data)) {
    for (const k of Object.keys(cm.data)) if (keys.test(k)) cm.data[k] = hashValue(cm.data[k], ctx);
  }
  if (isObject(cm.binaryData)) {
    for (const k of Object.keys(cm.binaryData)) if (keys.test(k)) cm.binaryData[k] = hashSecretValue(cm.binaryData[k], 'base64', ctx);
  }
}

function redactAtPointer(node: unknown, segments: string[], i: number, ctx: RedactContext): void {
  if (!isObject(node) && !Array.isArray(node)) return;
  const seg = segments[i]!;
  const last = i === segments.length - 1;
  const container = node as Record<string, unknown>;
  const keys = seg === '*' ? Object.keys(container) : Object.hasOwn(container, seg) ? [seg] : [];
  for (const k of keys) {
    if (last) container[k] = hashValue(container[k], ctx);
    else redactAtPointer(container[k], segments, i + 1, ctx);
  }
}

function redactLastApplied(value: unknown, ctx: RedactContext): unknown {
  if (typeof value !== 'string') return hashValue(value, ctx);
  let parsed: unknown;
  try {
    parsed = JSON.parse(value);
  } catch {
    return hashValue(value, ctx);
  }
  if (!isObject(parsed)) return hashValue(value, ctx);
  const inner = redactBody(parsed, ctx);
  const innerAnnotations = isObject(inner.metadata) ? inner.metadata.annotations : undefined;
  if (isObject(innerAnnotations) && LAST_APPLIED_ANNOTATION in innerAnnotations) {
    innerAnnotations[LAST_APPLIED_ANNOTATION] = hashValue(innerAnnotations[LAST_APPLIED_ANNOTATION], ctx);
  }
  // kubectl writes it compact with a trailing newline; keep that shape.
  return JSON.stringify(inner) + (value.endsWith('\n') ? '\n' : '');
}

function hashSecretValue(value: unknown, encoding: 'base64' | 'utf8', ctx: RedactContext): unknown {
  if (value === null || value === undefined) return value;
  if (typeof value === 'string') {
    if (HASHED.test(value)) return value;
    return keyedHash(ctx.key, Buffer.from(value, encoding));
  }
  return keyedHash(ctx.key, canonicalJson(value));
}

function hashValue(value: unknown, ctx: RedactContext): unknown {
  if (value === null || value === undefined) return value;
  if (typeof value === 'string') return HASHED.test(value) ? value : keyedHash(ctx.key, value);
  return keyedHash(ctx.key, canonicalJson(value));
}

function isObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

/** Assignment that keeps a literal "__proto__" key as data instead of changing the prototype. */
function setOwn(target: Record<string, unknown>, key: string, value: unknown): void {
  if (key === '__proto__') Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true });
  else target[key] = value;
}
