/**
 * The summary of a report, accumulated while the records are computed (pure:
 * counts, a sorted sample of commit-to-live times, sums), so it is known
 * before any record is written (the PDF puts it first).
 */
import type { GapRecord, ReportSummary } from './report.types';

/** Linear interpolation between the closest ranks (what PostgreSQL's percentile_cont gives). */
export function percentile(sorted: ArrayLike<number>, p: number): number | null {
  const n = sorted.length;
  if (!n) return null;
  const pos = p * (n - 1);
  const lo = Math.floor(pos);
  const hi = Math.ceil(pos);
  return sorted[lo]! + (pos - lo) * (sorted[hi]! - sorted[lo]!);
}

interface AuthorCount {
  author: string;
  email: string;
  changes: number;
  commits: number;
}

const round3 = (v: number | null) => (v === null ? null : Math.round(v * 1000) / 1000);

export class SummaryAccumulator {
  private readonly byChange: Record<string, number> = { created: 0, configured: 0, deleted: 0 };
  /** author name → email → the author's counts (no key string built per change). */
  private readonly authors = new Map<string, Map<string, AuthorCount>>();
  /** commit sha → its author (commits are counted once, under their author). */
  private readonly commits = new Map<string, AuthorCount>();
  private latencies = new Float64Array(1024);
  private reached = 0;
  private notReached = 0;
  private oobTotal = 0;
  private oobSeconds = 0;
  private oobOngoing = 0;
  private readonly managers = new Map<string, number>();

  /**
   * A Git change. Its author and commit are counted here when given; otherwise the caller counts them by
   * commit with authoredCommit (the same numbers: every change of a commit has its author).
   */
  gitChange(c: { change: string; author?: string; email?: string; commit?: string; commitToLiveSeconds: number | null }): void {
    this.byChange[c.change] = (this.byChange[c.change] ?? 0) + 1;
    if (c.author !== undefined) this.authoredCommit({ commit: c.commit!, author: c.author, email: c.email!, changes: 1 });
    if (c.commitToLiveSeconds === null) this.notReached++;
    else {
      if (this.reached === this.latencies.length) {
        const grown = new Float64Array(this.latencies.length * 2);
        grown.set(this.latencies);
        this.latencies = grown;
      }
      this.latencies[this.reached++] = c.commitToLiveSeconds;
    }
  }

  /** `changes` Git changes in one commit, by its author. */
  authoredCommit(c: { commit: string; author: string; email: string; changes: number }): void {
    let byEmail = this.authors.get(c.author);
    if (!byEmail) this.authors.set(c.author, (byEmail = new Map()));
    let a = byEmail.get(c.email);
    if (a) a.changes += c.changes;
    else byEmail.set(c.email, (a = { author: c.author, email: c.email, changes: c.changes, commits: 0 }));
    this.commits.set(c.commit, a);
  }

  outOfBand(o: { manager: string | null; durationSeconds: number; ongoing: boolean }): void {
    this.oobTotal++;
    this.oobSeconds += o.durationSeconds;
    if (o.ongoing) this.oobOngoing++;
    const m = o.manager ?? '(unknown)';
    this.managers.set(m, (this.managers.get(m) ?? 0) + 1);
  }

  finish(o: {
    environments: string[];
    from: string;
    to: string;
    drift: { type: string; total: number; opened: number; closed: number; open_at_end: number; duration: number | null }[];
    gaps: GapRecord[];
  }): ReportSummary {
    const all = [...this.authors.values()].flatMap((m) => [...m.values()]);
    for (const a of all) a.commits = 0;
    for (const a of this.commits.values()) a.commits++;
    const byAuthor = all
      .map((a) => ({ author: a.author, email: a.email, changes: a.changes, commits: a.commits }))
      .sort((x, y) => y.changes - x.changes || (x.email < y.email ? -1 : x.email > y.email ? 1 : x.author < y.author ? -1 : x.author > y.author ? 1 : 0));
    const lat = this.latencies.subarray(0, this.reached).slice().sort();
    const byType: Record<string, number> = {};
    for (const d of o.drift) byType[d.type] = d.total;
    const sum = (f: (d: (typeof o.drift)[number]) => number) => o.drift.reduce((a, d) => a + f(d), 0);
    return {
      environments: o.environments,
      from: o.from,
      to: o.to,
      gitChanges: { total: Object.values(this.byChange).reduce((a, b) => a + b, 0), byChange: this.byChange, byAuthor, commits: this.commits.size },
      commitToLive: {
        reached: this.reached,
        notReached: this.notReached,
        medianSeconds: round3(percentile(lat, 0.5)),
        p95Seconds: round3(percentile(lat, 0.95)),
        maxSeconds: lat.length ? round3(lat[lat.length - 1]!) : null,
      },
      outOfBand: {
        total: this.oobTotal,
        totalDurationSeconds: round3(this.oobSeconds) ?? 0,
        ongoing: this.oobOngoing,
        byManager: [...this.managers].map(([manager, changes]) => ({ manager, changes })).sort((a, b) => b.changes - a.changes || (a.manager < b.manager ? -1 : 1)),
      },
      drift: {
        total: sum((d) => d.total),
        opened: sum((d) => d.opened),
        closed: sum((d) => d.closed),
        openAtEnd: sum((d) => d.open_at_end),
        totalDurationSeconds: round3(sum((d) => Number(d.duration ?? 0))) ?? 0,
        byType,
      },
      gaps: { total: o.gaps.length, totalDurationSeconds: round3(o.gaps.reduce((a, g) => a + g.durationSeconds, 0)) ?? 0, open: o.gaps.filter((g) => g.open).length },
    };
  }
}
