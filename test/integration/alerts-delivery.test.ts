import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { freshDatabase, TestDatabase } from '../support/db';
import { ChatReceiver, ReceiverFormat, startReceivers } from '../support/chat-receivers';
import { alertServices, at, scenario, Scenario } from './alerts-scenario';
import { testMessage } from '../../api/src/alerts/alerts.service';
import { idempotencyKey } from '../../api/src/alerts/alert-evaluator.service';
import type { AlertsOptions } from '../../api/src/alerts/alerts.options';

/**
 * The outbox worker against real HTTP receivers: retries with backoff, honours
 * Retry-After, times out a receiver that hangs, gives up into `dead`, records
 * every attempt, and sends each provider a payload its documented structure
 * and limits accept.
 */
describe('alert delivery', () => {
  let db: TestDatabase;

  beforeEach(async () => {
    db = await freshDatabase();
  });
  afterEach(async () => {
    await db.drop();
  });

  describe('retries', () => {
    let hook: ChatReceiver;
    let s: Scenario;
    beforeEach(async () => {
      hook = await ChatReceiver.start('webhook', { secret: 'k' });
      s = await scenario(db.dataSource, () => ({ channels: [{ name: 'hook', type: 'webhook', url: hook.url, secret: 'k', timeout: '400ms' }] }));
    });
    afterEach(async () => {
      await hook.close();
      await s.cleanup();
    });

    /** Queue one message for the hook, as an evaluation would. */
    async function queue(maxAttempts: number, options: AlertsOptions) {
      const svc = alertServices(db.dataSource, s.config, { pollIntervalMs: 25, ...options });
      const message = { ...testMessage('hook', 'https://driftline.example.com', at(0)), kind: 'drift' as const };
      const [id] = await svc.repo.insertDeliveries(db.dataSource, [
        { evaluationId: null, rule: 'r', channel: 'hook', channelType: 'webhook', kind: 'drift', idempotencyKey: idempotencyKey(message.id, 'hook'), message, maxAttempts },
      ]);
      return { ...svc, id: id! };
    }

    async function deliveryOf(svc: Awaited<ReturnType<typeof queue>>) {
      const [view] = await svc.alerts.views(await svc.repo.deliveriesByIds([svc.id]));
      return view!;
    }

    async function until(pred: () => Promise<boolean>, timeoutMs = 20_000) {
      const deadline = Date.now() + timeoutMs;
      while (!(await pred())) {
        if (Date.now() > deadline) throw new Error('timed out waiting');
        await new Promise((r) => setTimeout(r, 25));
      }
    }

    it('500 three times then 200: one delivery, four attempts, with growing (jittered) delays', async () => {
      hook.reply({ status: 500, body: 'boom' }, { status: 500 }, { status: 502 });
      const svc = await queue(8, { backoffBaseMs: 200 });
      svc.worker.start();
      await until(async () => (await deliveryOf(svc)).status === 'sent');
      await svc.worker.stop();
      const d = await deliveryOf(svc);
      expect(d).toMatchObject({ status: 'sent', attempts: 4, lastStatusCode: 200, lastError: null });
      expect(d.attemptLog.map((a) => [a.attempt, a.statusCode, a.outcome])).toEqual([
        [1, 500, 'retry'],
        [2, 500, 'retry'],
        [3, 502, 'retry'],
        [4, 200, 'sent'],
      ]);
      expect(d.attemptLog[0]!.error).toBe('HTTP 500: boom');
      expect(d.attemptLog.every((a) => a.latencyMs !== null && a.finishedAt !== null)).toBe(true);
      // Four requests, one message: every attempt carried the same Idempotency-Key.
      expect(hook.requests).toHaveLength(4);
      expect(new Set(hook.requests.map((r) => r.idempotencyKey))).toEqual(new Set([d.idempotencyKey]));
      expect(hook.messages).toHaveLength(1);
      // Backoff: ≥ half of 200, 400, 800 ms (equal jitter), and each wait at most the full step plus polling.
      const gaps = hook.requests.slice(1).map((r, i) => r.at - hook.requests[i]!.at);
      expect(gaps[0]).toBeGreaterThanOrEqual(100);
      expect(gaps[1]).toBeGreaterThanOrEqual(200);
      expect(gaps[2]).toBeGreaterThanOrEqual(400);
      expect(hook.problems).toEqual([]);
    });

    it('429 with Retry-After: 2 → the next attempt waits at least 2 s', async () => {
      hook.reply({ status: 429, headers: { 'Retry-After': '2' }, body: 'slow down' });
      const svc = await queue(5, { backoffBaseMs: 50 });
      svc.worker.start();
      await until(async () => (await deliveryOf(svc)).status === 'sent');
      await svc.worker.stop();
      const d = await deliveryOf(svc);
      expect(d.attemptLog.map((a) => [a.statusCode, a.retryAfterMs, a.outcome])).toEqual([
        [429, 2000, 'retry'],
        [200, null, 'sent'],
      ]);
      expect(hook.requests[1]!.at - hook.requests[0]!.at).toBeGreaterThanOrEqual(2000);
    });

    it('a receiver that hangs times out and the attempt is retried', async () => {
      hook.reply({ hang: true });
      const svc = await queue(5, { backoffBaseMs: 50 });
      svc.worker.start();
      await until(async () => (await deliveryOf(svc)).status === 'sent');
      await svc.worker.stop();
      const d = await deliveryOf(svc);
      expect(d.attemptLog.map((a) => [a.statusCode, a.error, a.outcome])).toEqual([
        [null, 'timed out after 400 ms', 'retry'],
        [200, null, 'sent'],
      ]);
      expect(d.attemptLog[0]!.latencyMs).toBeGreaterThanOrEqual(390);
      expect(hook.messages).toHaveLength(1);
    });

    it('gives up after maxAttempts: the delivery is dead, with every attempt and the last error', async () => {
      hook.reply({ status: 503 }, { status: 503 }, { status: 503 }, { status: 503 });
      const svc = await queue(3, { backoffBaseMs: 20 });
      svc.worker.start();
      await until(async () => (await deliveryOf(svc)).status === 'dead');
      await new Promise((r) => setTimeout(r, 200));
      await svc.worker.stop();
      const d = await deliveryOf(svc);
      expect(d).toMatchObject({ status: 'dead', attempts: 3, maxAttempts: 3, lastStatusCode: 503, lastError: 'HTTP 503 (gave up after 3 attempts)', nextAttemptAt: null });
      expect(d.attemptLog.map((a) => a.outcome)).toEqual(['retry', 'retry', 'dead']);
      expect(hook.requests).toHaveLength(3);
    });

    it('a 4xx that waiting cannot fix (404: the webhook is gone) is dead at once', async () => {
      hook.reply({ status: 404, body: 'no_such_webhook' });
      const svc = await queue(8, { backoffBaseMs: 20 });
      await svc.worker.pass();
      const d = await deliveryOf(svc);
      expect(d).toMatchObject({ status: 'dead', attempts: 1, lastStatusCode: 404, lastError: 'HTTP 404: no_such_webhook' });
      expect(hook.requests).toHaveLength(1);
    });

    it('never shows the webhook URL in an error', async () => {
      await hook.close();
      const svc = await queue(1, {});
      await svc.worker.pass();
      const d = await deliveryOf(svc);
      expect(d.status).toBe('dead');
      expect(d.lastError).toMatch(/ECONNREFUSED/);
      expect(JSON.stringify(d)).not.toContain(hook.token);
    });
  });

  it('sends every provider a payload that fits its documented structure and limits, cut with "and N more"', async () => {
    const receivers = await startReceivers({ secret: 'whsec' });
    const formats = Object.keys(receivers) as ReceiverFormat[];
    const s = await scenario(db.dataSource, () => ({
      channels: formats.map((f) => ({ name: f, type: f, url: receivers[f].url, ...(f === 'webhook' ? { secret: 'whsec' } : {}) })),
      alerts: [{ name: 'prod-drift', environments: ['prod'], schedule: '*/15 * * * *', channels: formats }],
    }));
    try {
      // 60 drifted Deployments with long names: more than any chat message can list.
      const names = Array.from({ length: 60 }, (_, i) => `service-${String(i).padStart(2, '0')}-${'x'.repeat(40)}`);
      await s.deploy(names, 0);
      for (const [i, n] of names.entries()) await s.edit(n, `registry.example.com/${n}:hotfix-${'y'.repeat(30)}`, 10 + i / 10, i % 2 ? 'kubectl-edit' : 'kubectl-patch');
      const now = at(30);
      const svc = alertServices(db.dataSource, s.config, { clock: () => now });
      const r = await svc.evaluator.evaluate('prod-drift', { tick: now });
      expect(r.deliveries).toHaveLength(6);
      const reports = await svc.worker.deliverNow(r.deliveries);
      expect(reports.map((x) => [x.channel, x.outcome])).toEqual(expect.arrayContaining(formats.map((f) => [f, 'sent'])));
      for (const f of formats) {
        const rec = receivers[f];
        expect(rec.requests, f).toHaveLength(1);
        expect(rec.problems, f).toEqual([]);
        expect(rec.requests[0]!.idempotencyKey, f).toMatch(/^dl-[0-9a-f]{32}$/);
      }
      // Each chat provider shows some objects and says how many more there are.
      for (const f of ['slack', 'teams', 'googlechat', 'mattermost', 'discord'] as const) {
        const raw = receivers[f].requests[0]!.raw;
        expect(raw, f).toMatch(/and \d+ more objects/);
        expect(raw, f).toContain('service-00-');
        expect(raw, f).toContain('https://driftline.example.com/environments/prod/drift');
        expect(raw, f).toMatch(/kubectl-(edit|patch)/);
      }
      // The generic webhook carries the whole stored message: 50 items and the rest counted.
      const hookBody = receivers.webhook.requests[0]!.body as { v: number; sections: { items: unknown[]; omitted: number; counts: { new: { total: number } } }[] };
      expect(hookBody.v).toBe(1);
      expect(hookBody.sections[0]!.items).toHaveLength(50);
      expect(hookBody.sections[0]!.omitted).toBe(10);
      expect(hookBody.sections[0]!.counts.new.total).toBe(60);
      const slack = receivers.slack.requests[0]!.body as { blocks: unknown[] };
      expect(slack.blocks.length).toBeLessThanOrEqual(50);
    } finally {
      for (const rec of Object.values(receivers)) await rec.close();
      await s.cleanup();
    }
  });
});
