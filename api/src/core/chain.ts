import { canonicalJson, sha256Hex } from './canonical';

/**
 * Hash chain of a record stream: hash = sha256(prev_hash + "\n" + canonical JSON of the record).
 * An export embeds chain heads; editing or removing any record later breaks every hash after it.
 */
export function chainHash(prev: string | null, record: unknown): string {
  return sha256Hex((prev ?? '') + '\n' + canonicalJson(record));
}
