import { createHash } from 'node:crypto';
import { isObj, str, type Obj } from './resource';

/**
 * The name suffix kustomize gives generated ConfigMaps and Secrets: sha256 of
 * a Go-encoded JSON object holding the kind, an empty name, the data (an empty
 * string when there is none), binaryData when present, and for Secrets the
 * type; then the first ten hex digits with 0,1,3,a,e spelled g,h,k,m,t so the
 * suffix never reads as a word or a number.
 */
export function contentHashSuffix(obj: Obj): string {
  // Rendering many commits hashes the same generated objects again and again.
  const key = JSON.stringify([obj.kind, obj.type, obj.data, obj.binaryData]);
  let suffix = suffixes.get(key);
  if (suffix === undefined) {
    suffix = computeSuffix(obj);
    if (suffixes.size >= 20_000) suffixes.clear();
    suffixes.set(key, suffix);
  }
  return suffix;
}

const suffixes = new Map<string, string>();

function computeSuffix(obj: Obj): string {
  const kind = str(obj.kind);
  const fields: Record<string, string> = {
    kind: goString(kind),
    name: goString(''),
    data: encodeStringMap(obj.data),
  };
  if (kind === 'ConfigMap') {
    const bin = obj.binaryData;
    if (isObj(bin) && Object.keys(bin).length > 0) fields.binaryData = encodeStringMap(bin);
  } else {
    fields.type = goString(str(obj.type));
  }
  const json = `{${Object.keys(fields)
    .sort()
    .map((k) => `${goString(k)}:${fields[k]}`)
    .join(',')}}`;
  const hex = createHash('sha256').update(json, 'utf8').digest('hex').slice(0, 10);
  return hex.replace(/[013ae]/g, (c) => ENCODE[c]!);
}

const ENCODE: Record<string, string> = { '0': 'g', '1': 'h', '3': 'k', a: 'm', e: 't' };

function encodeStringMap(v: unknown): string {
  if (!isObj(v) || Object.keys(v).length === 0) return goString('');
  const keys = Object.keys(v).sort(byUtf8);
  return `{${keys.map((k) => `${goString(k)}:${goString(scalarString(v[k]))}`).join(',')}}`;
}

function scalarString(v: unknown): string {
  if (v === null || v === undefined) return '';
  if (typeof v === 'string') return v;
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  return JSON.stringify(v);
}

function byUtf8(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8'));
}

/** A JSON string as Go's encoding/json writes it (HTML-safe: <, >, & and U+2028/9 escaped). */
export function goString(s: string): string {
  return JSON.stringify(s).replace(/[<>&\u2028\u2029]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}
