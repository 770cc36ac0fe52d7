import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import pino from 'pino';
import { freshDatabase, TestDatabase } from '../support/db';
import { parseConfig } from '../support/config';
import { AlertsRepository } from '../../api/src/alerts/alerts.repository';
import { DeliveryWorkerService } from '../../api/src/alerts/delivery-worker.service';

const DAY = 86_400_000;

/** retention.alertDeliveries: old sent and dead deliveries go (with their attempts); pending ones and recent ones stay. */
describe('alert delivery retention', () => {
  let db: TestDatabase;
  beforeAll(async () => {
    db = await freshDatabase();
  });
  afterAll(async () => {
    await db?.drop();
  });

  const insert = async (key: string, status: string, ageDays: number, now: Date) => {
    const [row] = await db.dataSource!.query(
      `INSERT INTO deliveries (channel, channel_type, kind, idempotency_key, message, status, max_attempts, created_at, updated_at)
       VALUES ('ops', 'webhook', 'drift', $1, '{}'::jsonb, $2, 3, $3, $3) RETURNING id`,
      [key, status, new Date(now.getTime() - ageDays * DAY)],
    );
    await db.dataSource!.query(`INSERT INTO delivery_attempts (delivery_id, attempt, started_at, outcome) VALUES ($1, 1, $2, $3)`, [row.id, new Date(now.getTime() - ageDays * DAY), status === 'pending' ? 'retry' : status]);
  };

  it('deletes sent and dead deliveries older than the retention, with their attempts, and keeps the rest', async () => {
    const now = new Date('2026-11-27T12:00:00Z');
    await insert('old-sent', 'sent', 40, now);
    await insert('old-dead', 'dead', 31, now);
    await insert('old-pending', 'pending', 40, now);
    await insert('recent-sent', 'sent', 10, now);
    const yaml = `channels:\n  - { name: ops, type: webhook, url: "https://hooks.example.com/x" }\nretention:\n  alertDeliveries: 30d\n`;
    const { config } = parseConfig(yaml, 'test.yaml');
    const worker = new DeliveryWorkerService(new AlertsRepository(db.dataSource!), config, pino({ level: 'silent' }), { workers: false });
    expect(await worker.prune(now)).toBe(2);
    const left = await db.dataSource!.query(`SELECT idempotency_key FROM deliveries ORDER BY idempotency_key`);
    expect(left.map((r: { idempotency_key: string }) => r.idempotency_key)).toEqual(['old-pending', 'recent-sent']);
    const attempts = await db.dataSource!.query(`SELECT count(*)::int AS n FROM delivery_attempts`);
    expect(attempts[0].n).toBe(2);

    // Without the setting nothing is ever deleted.
    const keepAll = new DeliveryWorkerService(new AlertsRepository(db.dataSource!), parseConfig('{}', 'test.yaml').config, pino({ level: 'silent' }), { workers: false });
    expect(await keepAll.prune(new Date(now.getTime() + 400 * DAY))).toBe(0);
  });
});
