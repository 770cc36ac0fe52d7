import { compare, type Operation } from 'fast-json-patch';
import { canonicalJson } from '../canonical';

export type JsonPatchOperation = Operation;

const isContainer = (v: unknown): v is object => typeof v === 'object' && v !== null;

/**
 * RFC 6902 operations that turn `a` into `b` (fast-json-patch compare). Keys
 * are visited in sorted order, so the same pair always gives the same patch.
 * When either side is not an object or array the patch replaces the whole
 * document (`path: ""`).
 */
export function jsonPatch(a: unknown, b: unknown): Operation[] {
  if (!isContainer(a) || !isContainer(b) || Array.isArray(a) !== Array.isArray(b)) {
    if (a === b || (a !== undefined && b !== undefined && canonicalJson(a) === canonicalJson(b))) return [];
    return [{ op: 'replace', path: '', value: b ?? null }];
  }
  return compare(sorted(a), sorted(b));
}

function sorted(v: object): object {
  return JSON.parse(canonicalJson(v)) as object;
}
