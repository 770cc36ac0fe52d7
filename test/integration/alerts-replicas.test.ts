import { afterEach, describe, expect, it } from 'vitest';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freshDatabase, TestDatabase } from '../support/db';
import { startTestServer, TestServer } from '../support/app';
import { ChatReceiver } from '../support/chat-receivers';
import { GitRepoBuilder } from '../support/git-repo-builder';
import { alertsOptions } from '../../api/src/alerts/alerts.options';
import { AlertEvaluatorService } from '../../api/src/alerts/alert-evaluator.service';
import { deployment, scenario, Scenario, json } from './alerts-scenario';

/**
 * Schedules across replicas: every replica registers the same pg-boss cron
 * schedules on the one database; pg-boss sends one job per tick and one
 * replica evaluates it, so each tick makes one evaluation and one message.
 * pg-boss also runs on the embedded database (PGlite), through its own pool
 * to the same socket.
 */
describe('alert schedules across replicas', () => {
  let db: TestDatabase | null = null;
  let hook: ChatReceiver | null = null;
  let s: Scenario | null = null;
  let repo: GitRepoBuilder | null = null;
  const servers: TestServer[] = [];

  afterEach(async () => {
    for (const x of servers.splice(0)) await x.close();
    await hook?.close();
    await s?.cleanup();
    await repo?.cleanup();
    await db?.drop();
    db = null;
    hook = null;
    s = null;
    repo = null;
  });

  const ticksOf = async (d: TestDatabase, rule = 'every-minute') =>
    (await d.dataSource.query(`SELECT tick, trigger, messages FROM alert_evaluations WHERE rule = $1 ORDER BY tick`, [rule])) as { tick: Date; trigger: string; messages: number }[];

  it('two replicas on one PostgreSQL: one evaluation and one message per tick', async () => {
    db = await freshDatabase();
    hook = await ChatReceiver.start('webhook');
    const url = hook.url;
    s = await scenario(db.dataSource, () => ({
      channels: [{ name: 'hook', type: 'webhook', url }],
      alerts: [{ name: 'every-minute', environments: ['prod'], schedule: '* * * * *', digest: true, channels: ['hook'] }],
    }));
    await s.deploy(['web'], 0);
    await s.edit('web', 'registry.example.com/web:hotfix', 30);
    const options = alertsOptions({ cronMonitorIntervalSeconds: 1, pollIntervalMs: 100 });
    // Replicas share the install key (here: one data folder); the database refuses a different one.
    const dataDir = mkdtempSync(join(tmpdir(), 'driftline-replicas-'));
    const replica = async () => {
      const x = await startTestServer({ databaseUrl: db!.url, config: s!.raw, dataDir, features: [options] });
      servers.push(x);
      return x;
    };
    const a = await replica();
    const b = await replica();
    for (const x of [a, b]) expect((await json(x.get('/api/v1/alerts/rules')))[0]).toMatchObject({ name: 'every-minute', scheduler: 'pg-boss' });

    // pg-boss sends the occurrence of the current minute at once, then one per minute.
    await hook.waitForRequests(1, 20_000);
    await hook.waitForRequests(2, 75_000);
    await new Promise((r) => setTimeout(r, 3000)); // room for a duplicate to show up
    const ticks = await ticksOf(db);
    expect(ticks).toHaveLength(2);
    expect(ticks.every((t) => t.trigger === 'schedule' && t.messages === 1 && t.tick.getTime() % 60_000 === 0)).toBe(true);
    expect(ticks[1]!.tick.getTime() - ticks[0]!.tick.getTime()).toBe(60_000);
    expect(hook.requests).toHaveLength(2);
    expect(hook.messages.map((m) => (m.body as { tick: string }).tick)).toEqual(ticks.map((t) => t.tick.toISOString()));
    expect(hook.problems).toEqual([]);

    // The same tick evaluated on both replicas at once (a retried job, a clock skew): one evaluation.
    const tick = new Date(Math.floor(Date.now() / 60_000) * 60_000 + 3_600_000);
    const results = await Promise.all([a, b].map((x) => x.app.get(AlertEvaluatorService).evaluate('every-minute', { tick, trigger: 'schedule' })));
    expect(results.map((r) => r.duplicate).sort()).toEqual([false, true]);
  }, 150_000);

  it('falls back to an in-process cron that honours seconds, one evaluation per tick', async () => {
    db = await freshDatabase();
    hook = await ChatReceiver.start('webhook');
    const url = hook.url;
    s = await scenario(db.dataSource, () => ({
      channels: [{ name: 'hook', type: 'webhook', url }],
      alerts: [{ name: 'every-2s', environments: ['prod'], schedule: '*/2 * * * * *', digest: true, channels: ['hook'] }],
    }));
    const app = await startTestServer({ databaseUrl: db.url, config: s.raw, features: [alertsOptions({ scheduler: 'in-process', pollIntervalMs: 50 })] });
    servers.push(app);
    expect((await json(app.get('/api/v1/alerts/rules')))[0]).toMatchObject({ scheduler: 'in-process' });
    await hook.waitForRequests(3, 10_000);
    const ticks = (await ticksOf(db, 'every-2s')).map((t) => t.tick.getTime());
    expect(ticks.every((t, i) => t % 2000 === 0 && (i === 0 || t - ticks[i - 1]! === 2000))).toBe(true);
    expect(hook.messages.length).toBeGreaterThanOrEqual(3);
  });

  it('runs its schedules through pg-boss on the embedded database (PGlite)', async () => {
    hook = await ChatReceiver.start('webhook');
    repo = await GitRepoBuilder.create();
    await repo.commit({ files: { 'clusters/prod/web.yaml': deployment('web', 'nginx:1.27') }, message: 'add web' });
    const app = await startTestServer({
      config: {
        repositories: [{ name: 'infra', path: repo.dir }],
        environments: [{ name: 'prod', repository: 'infra', paths: ['clusters/prod/**'] }],
        channels: [{ name: 'hook', type: 'webhook', url: hook.url }],
        alerts: [{ name: 'every-minute', environments: ['prod'], schedule: '* * * * *', digest: true, channels: ['hook'] }],
      },
      features: [alertsOptions({ cronMonitorIntervalSeconds: 1, pollIntervalMs: 100 })],
    });
    servers.push(app);
    expect(app.db.kind).toBe('embedded');
    expect((await json(app.get('/api/v1/alerts/rules')))[0]).toMatchObject({ scheduler: 'pg-boss' });
    // A schedule of every minute is due within a minute: usually pg-boss sends the current minute's
    // occurrence at its first check, but a check that misses that window sends at the next minute.
    await hook.waitForRequests(1, 65_000);
    await new Promise((r) => setTimeout(r, 2000));
    expect(hook.messages).toHaveLength(1);
    expect(hook.requests[0]!.body).toMatchObject({ v: 1, kind: 'digest', rule: 'every-minute', sections: [{ environment: 'prod' }] });
    const page = await json(app.get('/api/v1/alerts/deliveries'));
    expect(page.items).toMatchObject([{ status: 'sent', attempts: 1, kind: 'digest' }]);
  }, 120_000);
});
