import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { pendingMigrations } from '../db/data-source';

export interface ReadinessCheck {
  name: string;
  /** Resolve to null when healthy, or a reason when not. */
  check(): Promise<string | null>;
}

/** Readiness = database reachable, schema current, and every registered check (watchers, …) healthy. */
@Injectable()
export class ReadinessService {
  private readonly checks: ReadinessCheck[] = [];

  constructor(private readonly ds: DataSource) {
    this.register({
      name: 'database',
      check: async () => {
        try {
          await withTimeout(this.ds.query('SELECT 1'), 2000);
        } catch (e) {
          return `database unreachable: ${(e as Error).message}`;
        }
        const pending = await pendingMigrations(this.ds);
        return pending.length ? `migrations not applied: ${pending.join(', ')}` : null;
      },
    });
  }

  register(check: ReadinessCheck): void {
    this.checks.push(check);
  }

  async evaluate(): Promise<{ ready: boolean; checks: { name: string; ok: boolean; reason?: string }[] }> {
    const checks = await Promise.all(
      this.checks.map(async (c) => {
        const reason = await c.check().catch((e: Error) => `check failed: ${e.message}`);
        return reason ? { name: c.name, ok: false, reason } : { name: c.name, ok: true };
      }),
    );
    return { ready: checks.every((c) => c.ok), checks };
  }
}

function withTimeout<T>(p: Promise<T>, ms: number): Promise<T> {
  return new Promise((resolve, reject) => {
    const t = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms);
    p.then((v) => (clearTimeout(t), resolve(v)), (e) => (clearTimeout(t), reject(e)));
  });
}
