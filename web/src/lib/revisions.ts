/** One object's revisions on both sides (Git and cluster) as one newest-first list, and diff points for them. */
import type { TimelineEvent } from './events';

export interface Revision {
  key: string;
  side: 'desired' | 'live';
  at: string;
  /** The point the diff API takes: desired@ISO or live@ISO. */
  point: string;
  change: string;
  who: string | null;
  /** Git: the commit; live: the revision id. */
  commit?: { sha: string; subject: string };
  revisionId?: number;
}

export interface LiveRevisionLike {
  id: number;
  observedAt: string;
  change: string;
  manager: string | null;
}

export function mergeRevisions(desired: readonly TimelineEvent[], live: readonly LiveRevisionLike[]): Revision[] {
  const out: Revision[] = [];
  for (const e of desired) {
    if (e.lane !== 'git') continue;
    out.push({ key: e.key, side: 'desired', at: e.at, point: `desired@${e.at}`, change: e.change, who: e.actor, ...(e.commit ? { commit: { sha: e.commit.sha, subject: e.commit.subject } } : {}) });
  }
  for (const r of live) out.push({ key: `l${String(r.id).padStart(20, '0')}`, side: 'live', at: r.observedAt, point: `live@${r.observedAt}`, change: r.change, who: r.manager, revisionId: r.id });
  return out.sort((a, b) => (a.at < b.at ? 1 : a.at > b.at ? -1 : a.key < b.key ? 1 : -1));
}

/** The default pair to compare: the newest revision against the one before it (or Git against the cluster now). */
export function defaultPair(revs: readonly Revision[]): { a: string; b: string } {
  if (revs.length >= 2) return { a: revs[1]!.point, b: revs[0]!.point };
  return { a: 'desired', b: 'live' };
}

/** The revision just older than `key` on the same side, for "what did this change do". */
export function previousOnSide(revs: readonly Revision[], key: string): Revision | null {
  const i = revs.findIndex((r) => r.key === key);
  if (i < 0) return null;
  const side = revs[i]!.side;
  return revs.slice(i + 1).find((r) => r.side === side) ?? null;
}
