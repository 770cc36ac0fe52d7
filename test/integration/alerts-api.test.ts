import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freshDatabase, TestDatabase } from '../support/db';
import { startTestServer, TestServer } from '../support/app';
import { ChatReceiver } from '../support/chat-receivers';
import { alertsOptions } from '../../api/src/alerts/alerts.options';
import { AlertEvaluatorService } from '../../api/src/alerts/alert-evaluator.service';
import { DeliveryWorkerService } from '../../api/src/alerts/delivery-worker.service';
import { at, scenario, Scenario, json } from './alerts-scenario';

/** The alerts API: channels (never their URLs), rules with their next run, deliveries with attempts, test messages. */
describe('alerts API', () => {
  let db: TestDatabase;
  let app: TestServer;
  let slack: ChatReceiver;
  let hook: ChatReceiver;
  let broken: ChatReceiver;
  let s: Scenario;
  const now = at(40);

  beforeAll(async () => {
    db = await freshDatabase();
    slack = await ChatReceiver.start('slack');
    hook = await ChatReceiver.start('webhook', { secret: 'topsecret' });
    broken = await ChatReceiver.start('discord');
    s = await scenario(db.dataSource, () => ({
      channels: [
        { name: 'sre', type: 'slack', url: slack.url },
        { name: 'audit', type: 'webhook', url: hook.url, secret: 'topsecret', timeout: '2s' },
        { name: 'gone', type: 'discord', url: broken.url },
      ],
      alerts: [
        { name: 'prod-drift', environments: ['prod'], schedule: '*/15 * * * *', timezone: 'Europe/Berlin', grace: '5m', reminder: '4h', channels: ['sre', 'audit'] },
        { name: 'prod-discord', environments: ['prod'], schedule: '0 9 * * 1-5', channels: ['gone'], maxAttempts: 2, digest: true },
      ],
    }));
    await s.deploy(['web'], 0);
    await s.edit('web', 'registry.example.com/web:hotfix', 30);
    app = await startTestServer({ databaseUrl: db.url, config: s.raw, workers: false, features: [alertsOptions({ clock: () => now, backoffBaseMs: 20 })] });
  });
  afterAll(async () => {
    await app?.close();
    for (const r of [slack, hook, broken]) await r?.close();
    await s?.cleanup();
    await db?.drop();
  });

  it('lists channels with a masked URL, never the webhook path', async () => {
    const res = await app.get('/api/v1/alerts/channels');
    expect(res.status).toBe(200);
    const text = await res.text();
    for (const r of [slack, hook, broken]) expect(text).not.toContain(r.token);
    expect(text).not.toContain('topsecret');
    expect(JSON.parse(text)).toEqual([
      { name: 'sre', type: 'slack', url: `http://${new URL(slack.url).host}/…`, signed: false, timeoutMs: 10_000, rules: ['prod-drift'] },
      { name: 'audit', type: 'webhook', url: expect.stringMatching(/^http:\/\/127\.0\.0\.1:\d+\/…$/), signed: true, timeoutMs: 2000, rules: ['prod-drift'] },
      { name: 'gone', type: 'discord', url: expect.stringMatching(/^http:\/\/127\.0\.0\.1:\d+\/…$/), signed: false, timeoutMs: 10_000, rules: ['prod-discord'] },
    ]);
  });

  it('lists rules with their next run in their time zone', async () => {
    const rules = await json(app.get('/api/v1/alerts/rules'));
    expect(rules).toMatchObject([
      { name: 'prod-drift', schedule: '*/15 * * * *', timezone: 'Europe/Berlin', graceMs: 300_000, reminderMs: 14_400_000, notifyResolved: true, digest: false, channels: ['sre', 'audit'], maxAttempts: 8, nextRunAt: at(45).toISOString(), scheduler: 'off', lastEvaluation: null },
      // 09:00 in UTC (the default zone) on the next weekday after Monday 2026-06-01 10:40.
      { name: 'prod-discord', nextRunAt: '2026-06-02T09:00:00.000Z', digest: true },
    ]);
  });

  it('sends a test message and says what the receiver answered', async () => {
    const res = await app.get('/api/v1/alerts/channels/audit/test', { method: 'POST' });
    expect(res.status).toBe(200);
    const body = await json(res);
    expect(body).toMatchObject({ channel: 'audit', type: 'webhook', ok: true, statusCode: 200, error: null });
    expect(hook.requests).toHaveLength(1);
    expect(hook.problems).toEqual([]);
    expect(hook.requests[0]!.body).toMatchObject({ v: 1, type: 'driftline.alert', kind: 'test' });
    broken.reply({ status: 401, body: '{"message": "Invalid Webhook Token"}' });
    const failed = await json(app.get('/api/v1/alerts/channels/gone/test', { method: 'POST' }));
    expect(failed).toMatchObject({ channel: 'gone', ok: false, statusCode: 401, error: 'HTTP 401: {"message": "Invalid Webhook Token"}' });
    const missing = await app.get('/api/v1/alerts/channels/nope/test', { method: 'POST' });
    expect(missing.status).toBe(404);
    expect(await json(missing)).toMatchObject({ code: 'channel.not_found' });
  });

  it('lists deliveries by status, newest first, with every attempt, page by page', async () => {
    const evaluator = app.app.get(AlertEvaluatorService);
    const worker = app.app.get(DeliveryWorkerService);
    slack.reply({ status: 500 });
    const r = await evaluator.evaluate('prod-drift', { tick: at(45), trigger: 'schedule' });
    expect(r.messages.map((m) => m.kind)).toEqual(['drift']);
    await worker.deliverNow(r.deliveries); // slack: 500 (retry later), audit: sent
    const d = await evaluator.evaluate('prod-discord', { tick: at(46), trigger: 'schedule' });
    broken.reply({ status: 500 }, { status: 500 });
    await worker.deliverNow(d.deliveries);
    await new Promise((res) => setTimeout(res, 100));
    await worker.deliverNow(d.deliveries); // second and last attempt: dead

    const dead = await json(app.get('/api/v1/alerts/deliveries?status=dead'));
    expect(dead.items.map((x: { channel: string; kind: string }) => [x.channel, x.kind])).toEqual([
      ['gone', 'digest'],
      ['gone', 'test'],
    ]);
    expect(dead.items[0]).toMatchObject({ status: 'dead', attempts: 2, maxAttempts: 2, rule: 'prod-discord', environments: ['prod'], lastStatusCode: 500, nextAttemptAt: null });
    expect(dead.items[0].attemptLog.map((a: { outcome: string; statusCode: number }) => [a.statusCode, a.outcome])).toEqual([
      [500, 'retry'],
      [500, 'dead'],
    ]);
    const pending = await json(app.get('/api/v1/alerts/deliveries?status=pending'));
    expect(pending.items).toHaveLength(1);
    expect(pending.items[0]).toMatchObject({ channel: 'sre', kind: 'drift', title: 'Drift in prod: 1 new', attempts: 1, lastStatusCode: 500 });
    expect(pending.items[0].nextAttemptAt).not.toBeNull();

    // Paging: 5 deliveries in all, 2 per page.
    const seen: number[] = [];
    let cursor: string | null = null;
    do {
      const page: { items: { id: number }[]; nextCursor: string | null } = await json(app.get(`/api/v1/alerts/deliveries?limit=2${cursor ? `&cursor=${cursor}` : ''}`));
      seen.push(...page.items.map((x) => x.id));
      cursor = page.nextCursor;
    } while (cursor);
    expect(seen).toHaveLength(5);
    expect([...seen].sort((a, b) => b - a)).toEqual(seen);
    expect((await app.get('/api/v1/alerts/deliveries?status=lost')).status).toBe(400);
    expect((await app.get('/api/v1/alerts/deliveries?cursor=garbage')).status).toBe(400);

    const rules = await json(app.get('/api/v1/alerts/rules'));
    expect(rules[0].lastEvaluation).toEqual({ tick: at(45).toISOString(), evaluatedAt: at(40).toISOString(), trigger: 'schedule', messages: 1 });
  });

  it('documents the alerts API in OpenAPI', async () => {
    const doc = await json(app.get('/api/docs-json'));
    expect(Object.keys(doc.paths)).toEqual(expect.arrayContaining(['/api/v1/alerts/channels', '/api/v1/alerts/rules', '/api/v1/alerts/deliveries', '/api/v1/alerts/channels/{name}/test']));
    expect(doc.components.schemas.DeliveryDto.properties.attemptLog).toBeDefined();
  });
});
