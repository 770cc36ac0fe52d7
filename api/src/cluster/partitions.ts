import type { DataSource } from 'typeorm';
import { lockKey } from '../db/locks';

const PARENT = 'live_revisions';
const NAME_RE = /^live_revisions_y(\d{4})m(\d{2})$/;

/** First instant of the UTC month of a time. */
export function monthStart(d: Date): Date {
  return new Date(Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), 1));
}

export function nextMonth(d: Date): Date {
  return new Date(Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + 1, 1));
}

export function partitionName(month: Date): string {
  return `${PARENT}_y${month.getUTCFullYear()}m${String(month.getUTCMonth() + 1).padStart(2, '0')}`;
}

/** The month a partition name covers, or null for a name that is not one of ours. */
export function monthOfPartition(name: string): Date | null {
  const m = NAME_RE.exec(name);
  return m ? new Date(Date.UTC(Number(m[1]), Number(m[2]) - 1, 1)) : null;
}

/**
 * Monthly partitions of live_revisions. A write makes sure the partitions of its
 * months exist first (rows that land in the DEFAULT partition for a range would
 * block creating that partition later). Creating a partition moves any rows the
 * DEFAULT partition holds for its range into it, so it also repairs that case.
 * Retention drops whole partitions.
 */
export class RevisionPartitions {
  private readonly known = new Set<string>();
  private loaded = false;
  private readonly creating = new Map<string, Promise<void>>();

  constructor(private readonly ds: DataSource) {}

  async existing(): Promise<string[]> {
    const rows: { name: string }[] = await this.ds.query(
      `SELECT c.relname AS name FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid JOIN pg_class p ON p.oid = i.inhparent WHERE p.relname = $1`,
      [PARENT],
    );
    return rows.map((r) => r.name).filter((n) => NAME_RE.test(n)).sort();
  }

  /** The partitions for the months of these times (and nothing else) exist afterwards. */
  async ensure(times: Iterable<Date>): Promise<void> {
    if (!this.loaded) {
      for (const n of await this.existing()) this.known.add(n);
      this.loaded = true;
    }
    const months = new Map<string, Date>();
    for (const t of times) {
      const m = monthStart(t);
      const name = partitionName(m);
      if (!this.known.has(name)) months.set(name, m);
    }
    for (const [name, month] of months) {
      let p = this.creating.get(name);
      if (!p) {
        p = this.create(name, month).finally(() => this.creating.delete(name));
        this.creating.set(name, p);
      }
      await p;
      this.known.add(name);
    }
  }

  /** The current month and the next: called at start and daily, so writes never wait on DDL at a month boundary. */
  ensureAhead(now = new Date()): Promise<void> {
    return this.ensure([now, nextMonth(now)]);
  }

  private async create(name: string, month: Date): Promise<void> {
    const from = month.toISOString();
    const to = nextMonth(month).toISOString();
    await this.ds.transaction(async (m) => {
      // Replicas creating the same partition take turns.
      await m.query('SELECT pg_advisory_xact_lock($1::bigint)', [lockKey('live_revisions:partitions')]);
      const exists = await m.query(`SELECT to_regclass($1) AS t`, [name]);
      if (exists[0]?.t) return;
      const stray = await m.query(`SELECT count(*)::int AS n FROM ${PARENT}_default WHERE observed_at >= $1 AND observed_at < $2`, [from, to]);
      const moving = (stray[0]?.n ?? 0) > 0;
      if (moving) {
        await m.query(`CREATE TEMP TABLE live_revisions_moving (LIKE ${PARENT}) ON COMMIT DROP`);
        await m.query(
          `WITH d AS (DELETE FROM ${PARENT}_default WHERE observed_at >= $1 AND observed_at < $2 RETURNING *) INSERT INTO live_revisions_moving SELECT * FROM d`,
          [from, to],
        );
      }
      await m.query(`CREATE TABLE ${name} PARTITION OF ${PARENT} FOR VALUES FROM ('${from}') TO ('${to}')`);
      if (moving) await m.query(`INSERT INTO ${PARENT} OVERRIDING SYSTEM VALUE SELECT * FROM live_revisions_moving`);
    });
  }

  /** Drops the monthly partitions that end before the cutoff; answers their names. */
  async dropBefore(cutoff: Date): Promise<string[]> {
    const dropped: string[] = [];
    for (const name of await this.existing()) {
      const month = monthOfPartition(name)!;
      if (nextMonth(month).getTime() > cutoff.getTime()) continue;
      await this.ds.query(`DROP TABLE IF EXISTS ${name}`);
      this.known.delete(name);
      dropped.push(name);
    }
    return dropped;
  }
}
