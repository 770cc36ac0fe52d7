import { pointerToPath } from '../drift/pointer';
import type { FieldChange } from '../drift/types';

const MAX_VALUE = 32;

/** Strings that would read as another type are quoted: `2→"4"`, `"false"→"true"`, `""`. */
const AMBIGUOUS = /^(|-?\d+(\.\d+)?([eE][+-]?\d+)?|true|false|null)$/;

function short(v: unknown): string {
  if (typeof v === 'string') {
    if (AMBIGUOUS.test(v)) return JSON.stringify(v);
    return v.length > MAX_VALUE ? `${v.slice(0, MAX_VALUE - 1)}…` : v;
  }
  if (Array.isArray(v)) return '[…]';
  if (typeof v === 'object' && v !== null) return '{…}';
  return String(v);
}

function describe(c: FieldChange): string {
  const path = c.path || pointerToPath(c.pointer) || '(object)';
  const by = c.manager ? ` (${c.manager})` : '';
  switch (c.op) {
    case 'changed':
      return `${path} ${short(c.desired)}→${short(c.live)}${by}`;
    case 'removed':
      return `-${path}${by}`;
    default:
      return c.reason === 'applier-removed' ? `+${path} (removed from Git${c.manager ? `, applied by ${c.manager}` : ''})` : `+${path}${by}`;
  }
}

/**
 * A short human summary of drift, for chat messages and drift intervals:
 * "spec.replicas 3→5 (kubectl-scale); +spec.template.spec.containers[web].env[DEBUG] (kubectl-edit)".
 * `+` is a field only live has, `-` a field Git sets that live lacks, `a→b`
 * the Git value and the live value. At most `max` changes are listed.
 */
export function summarizeChanges(changes: readonly FieldChange[], opts: { max?: number } = {}): string {
  const max = opts.max ?? 5;
  if (changes.length === 0) return '';
  const parts = changes.slice(0, max).map(describe);
  if (changes.length > max) parts.push(`…and ${changes.length - max} more`);
  return parts.join('; ');
}
