import { createHash, createHmac } from 'node:crypto';

/**
 * Canonical JSON: object keys sorted by code point, no whitespace, `undefined`
 * members dropped. Two documents with the same content always give the same
 * string, so its sha256 is a content address.
 */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(sortKeys(value));
}

function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map((v) => (v === undefined ? null : sortKeys(v)));
  if (value !== null && typeof value === 'object') {
    if (value instanceof Date) return value.toISOString();
    const out: Record<string, unknown> = {};
    for (const key of Object.keys(value).sort()) {
      const v = (value as Record<string, unknown>)[key];
      if (v !== undefined) out[key] = sortKeys(v);
    }
    return out;
  }
  return value;
}

export function sha256Hex(data: string | Buffer): string {
  return createHash('sha256').update(data).digest('hex');
}

/** Content address of a document: sha256 of its canonical JSON. */
export function documentHash(body: unknown): string {
  return sha256Hex(canonicalJson(body));
}

/** Keyed hash used for secret values: HMAC-SHA256 with the install key, prefixed so it is recognisable. */
export function keyedHash(key: Buffer | string, value: string | Buffer): string {
  return 'hmac-sha256:' + createHmac('sha256', key).update(value).digest('hex');
}
