import { Client } from 'pg';
import { hostname } from 'node:os';
import { randomBytes } from 'node:crypto';
import { lockKey } from '../db/locks';

/** Who this process is, in clusters.leader: host, pid and a random suffix (a restarted pid is someone else). */
export function leaderIdentity(): string {
  return `${hostname()}/${process.pid}/${randomBytes(3).toString('hex')}`;
}

/**
 * The right to record one cluster: a PostgreSQL session advisory lock
 * (pg_try_advisory_lock) held on a dedicated connection, outside the pool. When
 * the process dies its session ends and the lock is free for another replica.
 * `alive()` probes the session; a lease whose connection failed is lost.
 */
export class ClusterLease {
  private lost = false;
  private released = false;

  private constructor(
    private readonly client: Client,
    private readonly key: string,
  ) {
    client.on('error', () => {
      this.lost = true;
    });
    client.on('end', () => {
      this.lost = true;
    });
  }

  static async tryAcquire(url: string, cluster: string, timeoutMs = 5000): Promise<ClusterLease | null> {
    const client = new Client({ connectionString: url, application_name: 'driftline-cluster-lease', keepAlive: true, connectionTimeoutMillis: timeoutMs, query_timeout: timeoutMs });
    client.on('error', () => undefined);
    await client.connect();
    try {
      const key = lockKey(`cluster-watch:${cluster}`);
      const r = await client.query('SELECT pg_try_advisory_lock($1::bigint) AS ok', [key]);
      if (!r.rows[0]?.ok) {
        await client.end().catch(() => undefined);
        return null;
      }
      return new ClusterLease(client, key);
    } catch (e) {
      await client.end().catch(() => undefined);
      throw e;
    }
  }

  /** The lock's session still answers. */
  async alive(): Promise<boolean> {
    if (this.lost || this.released) return false;
    try {
      await this.client.query('SELECT 1');
      return !this.lost;
    } catch {
      this.lost = true;
      return false;
    }
  }

  async release(): Promise<void> {
    if (this.released) return;
    this.released = true;
    if (!this.lost) await this.client.query('SELECT pg_advisory_unlock($1::bigint)', [this.key]).catch(() => undefined);
    await this.client.end().catch(() => undefined);
  }
}
