import { isPlainObject } from './kubernetes';

/** Marker of a value encrypted by SOPS (the only cipher SOPS writes). */
export const SOPS_VALUE_MARKER = 'ENC[AES256_GCM,';

/** A document SOPS encrypted: a top-level `sops` block (mac, lastmodified, version…). */
export function hasSopsBlock(doc: Record<string, unknown>): boolean {
  const block = doc.sops;
  return isPlainObject(block) && ('mac' in block || 'version' in block || 'lastmodified' in block);
}

/** True when any string value under `value` is a SOPS ciphertext. */
export function containsSopsValue(value: unknown, depth = 0): boolean {
  if (typeof value === 'string') return value.startsWith(SOPS_VALUE_MARKER);
  if (depth > 100 || value === null || typeof value !== 'object') return false;
  if (Array.isArray(value)) return value.some((v) => containsSopsValue(v, depth + 1));
  for (const key in value) {
    if (containsSopsValue((value as Record<string, unknown>)[key], depth + 1)) return true;
  }
  return false;
}

export function isSopsCiphertext(value: unknown): boolean {
  return typeof value === 'string' && value.startsWith(SOPS_VALUE_MARKER);
}
