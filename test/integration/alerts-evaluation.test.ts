import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { freshDatabase, TestDatabase } from '../support/db';
import { ChatReceiver } from '../support/chat-receivers';
import { alertServices, at, scenario, Scenario } from './alerts-scenario';
import type { WebhookPayloadV1 } from '../../api/src/alerts/channels/webhook';

/**
 * What a rule says and when: drift past its grace period is announced once,
 * repeated only at the reminder interval, and announced once more when it is
 * resolved; drift that comes and goes inside the grace period is never
 * announced. Real drift (Git + live revisions through the drift engine), a
 * real HTTP receiver, and an alert clock the test moves.
 */
describe('alert evaluation', () => {
  let db: TestDatabase;
  let hook: ChatReceiver;
  let s: Scenario;
  let now: Date;

  const rule = {
    name: 'prod-drift',
    environments: ['prod'],
    schedule: '*/5 * * * *',
    grace: '5m',
    reminder: '1h',
    notifyResolved: true,
    channels: ['hook'],
    maxAttempts: 3,
  };

  beforeEach(async () => {
    db = await freshDatabase();
    hook = await ChatReceiver.start('webhook', { secret: 's3cret' });
    s = await scenario(db.dataSource, () => ({
      channels: [{ name: 'hook', type: 'webhook', url: hook.url, secret: 's3cret' }],
      alerts: [rule, { ...rule, name: 'prod-digest', digest: true, reminder: undefined, schedule: '0 9 * * *', timezone: 'Europe/Berlin' }, { ...rule, name: 'quiet', notifyResolved: false, reminder: undefined }],
    }));
    await s.deploy(['web', 'api', 'worker'], 0);
  });
  afterEach(async () => {
    await hook.close();
    await s.cleanup();
    await db.drop();
  });

  function services() {
    return alertServices(db.dataSource, s.config, { clock: () => now, backoffBaseMs: 50 });
  }

  /** Evaluate a rule at minute `min` and deliver what it queued; the payloads that arrived. */
  async function tick(name: string, min: number): Promise<WebhookPayloadV1[]> {
    now = at(min);
    const { evaluator, worker } = services();
    const before = hook.requests.length;
    const r = await evaluator.evaluate(name, { tick: now, trigger: 'schedule' });
    await worker.deliverNow(r.deliveries);
    return hook.requests.slice(before).map((x) => x.body as WebhookPayloadV1);
  }

  it('announces drift once after the grace period, reminds at the interval, and says when it is resolved', async () => {
    // api flaps inside the grace period: edited at 20, put back at 22.
    await s.edit('api', 'registry.example.com/api:debug', 20);
    expect(await tick('prod-drift', 20)).toEqual([]);
    await s.revert('api', 22);
    expect(await tick('prod-drift', 25)).toEqual([]);
    // web is edited by hand at 30 and stays so.
    await s.edit('web', 'registry.example.com/web:hotfix', 30, 'kubectl-edit');
    expect(await tick('prod-drift', 30)).toEqual([]); // younger than grace
    expect(await tick('prod-drift', 34)).toEqual([]);
    const [announced, ...rest] = await tick('prod-drift', 35);
    expect(rest).toEqual([]);
    expect(announced).toMatchObject({
      v: 1,
      type: 'driftline.alert',
      kind: 'drift',
      rule: 'prod-drift',
      title: 'Drift in prod: 1 new',
      sections: [
        {
          environment: 'prod',
          link: 'https://driftline.example.com/environments/prod/drift',
          counts: { new: { total: 1, byKind: { Deployment: 1 } }, persisting: { total: 0 }, resolved: { total: 0 } },
          items: [
            {
              state: 'new',
              kind: 'Deployment',
              namespace: 'shop',
              name: 'web',
              type: 'modified',
              since: at(30).toISOString(),
              cause: 'kubectl-edit (Update)',
              diff: ['spec.template.spec.containers[web].image: registry.example.com/web:1.0 → registry.example.com/web:hotfix'],
            },
          ],
        },
      ],
    });
    // Persisting: nothing until the reminder interval has passed since it was shown.
    for (const min of [40, 45, 60, 90]) expect(await tick('prod-drift', min)).toEqual([]);
    const [reminder, ...more] = await tick('prod-drift', 95);
    expect(more).toEqual([]);
    expect(reminder).toMatchObject({ kind: 'reminder', title: 'Still drifted in prod: 1 object', sections: [{ counts: { persisting: { total: 1 } }, items: [{ state: 'persisting', name: 'web' }] }] });
    expect(await tick('prod-drift', 100)).toEqual([]);
    // Put back by the GitOps tool at 110: one resolved message, then silence.
    await s.revert('web', 110);
    const [resolved, ...after] = await tick('prod-drift', 115);
    expect(after).toEqual([]);
    expect(resolved).toMatchObject({
      kind: 'resolved',
      title: 'Drift resolved in prod: 1 object back in sync',
      sections: [{ counts: { resolved: { total: 1, byKind: { Deployment: 1 } } }, items: [{ state: 'resolved', name: 'web', resolvedAt: at(110).toISOString(), resolvedBy: 'kustomize-controller (Apply)' }] }],
    });
    expect(await tick('prod-drift', 120)).toEqual([]);
    expect(await tick('prod-drift', 180)).toEqual([]);
    // Every message was signed, carried an Idempotency-Key, and fit the documented schema.
    expect(hook.problems).toEqual([]);
    expect(hook.messages).toHaveLength(3);
  });

  it('evaluates a tick once: a repeated (rule, tick) queues nothing', async () => {
    await s.edit('web', 'registry.example.com/web:hotfix', 30);
    now = at(40);
    const { evaluator } = services();
    const first = await evaluator.evaluate('prod-drift', { tick: at(40), trigger: 'schedule' });
    const again = await evaluator.evaluate('prod-drift', { tick: at(40), trigger: 'schedule' });
    const concurrent = await Promise.all([1, 2, 3].map(() => evaluator.evaluate('prod-drift', { tick: at(45), trigger: 'schedule' })));
    expect(first).toMatchObject({ duplicate: false, messages: [{ kind: 'drift' }] });
    expect(first.deliveries).toHaveLength(1);
    expect(again).toMatchObject({ duplicate: true, deliveries: [] });
    expect(concurrent.filter((r) => !r.duplicate)).toHaveLength(1);
    const rows = await db.dataSource.query(`SELECT rule, tick, messages FROM alert_evaluations WHERE rule = 'prod-drift' ORDER BY tick`);
    expect(rows.map((r: { messages: number }) => r.messages)).toEqual([1, 0]);
    expect(await db.dataSource.query(`SELECT count(*)::int AS n FROM deliveries`)).toEqual([{ n: 1 }]);
  });

  it('queues the message in the same transaction as the announcement: a failed evaluation leaves neither', async () => {
    await s.edit('web', 'registry.example.com/web:hotfix', 30);
    now = at(40);
    const { evaluator } = services();
    // Make the outbox insert fail inside the evaluation's transaction.
    await db.dataSource.query(`ALTER TABLE deliveries ADD CONSTRAINT deliveries_test_ck CHECK (channel <> 'hook') NOT VALID`);
    await expect(evaluator.evaluate('prod-drift', { tick: at(40) })).rejects.toThrow(/deliveries_test_ck/);
    expect(await db.dataSource.query(`SELECT count(*)::int AS n FROM alert_announcements`)).toEqual([{ n: 0 }]);
    expect(await db.dataSource.query(`SELECT count(*)::int AS n FROM alert_evaluations`)).toEqual([{ n: 0 }]);
    await db.dataSource.query(`ALTER TABLE deliveries DROP CONSTRAINT deliveries_test_ck`);
    // The same tick evaluates cleanly afterwards, and announces the drift.
    const r = await evaluator.evaluate('prod-drift', { tick: at(40) });
    expect(r.messages.map((m) => m.kind)).toEqual(['drift']);
  });

  it('records resolutions silently when the rule does not notify them', async () => {
    await s.edit('web', 'registry.example.com/web:hotfix', 30);
    expect((await tick('quiet', 40)).map((m) => m.kind)).toEqual(['drift']);
    await s.revert('web', 50);
    expect(await tick('quiet', 55)).toEqual([]);
    // Drifting again later is new drift (a new interval), announced again.
    await s.edit('web', 'registry.example.com/web:hotfix2', 60);
    expect((await tick('quiet', 70)).map((m) => m.title)).toEqual(['Drift in prod: 1 new']);
  });

  it('sends a digest every tick listing the state, new and persisting alike', async () => {
    await s.edit('web', 'registry.example.com/web:hotfix', 30);
    await s.edit('api', 'registry.example.com/api:hotfix', 31, 'kubectl-patch');
    const [d1] = await tick('prod-digest', 60);
    expect(d1).toMatchObject({ kind: 'digest', title: 'Drift digest (prod-digest): 2 drifted objects in prod', sections: [{ counts: { new: { total: 2 } } }] });
    const [d2] = await tick('prod-digest', 120);
    expect(d2).toMatchObject({ kind: 'digest', sections: [{ counts: { new: { total: 0 }, persisting: { total: 2 } } }] });
    expect(d2!.sections[0]!.items.map((i) => [i.name, i.state, i.cause])).toEqual([
      ['web', 'persisting', 'kubectl-edit (Update)'],
      ['api', 'persisting', 'kubectl-patch (Update)'],
    ]);
    await s.revert('web', 130);
    await s.revert('api', 130);
    const [d3] = await tick('prod-digest', 180);
    expect(d3).toMatchObject({ title: 'Drift digest (prod-digest): everything in sync in prod', sections: [{ counts: { resolved: { total: 2 } } }] });
    const [d4] = await tick('prod-digest', 240);
    expect(d4).toMatchObject({ sections: [{ counts: { new: { total: 0 }, persisting: { total: 0 }, resolved: { total: 0 } }, items: [] }] });
  });

  it('reads drift at a tick and open announcements through indexes (EXPLAIN)', async () => {
    const plans = await db.dataSource.transaction(async (m) => {
      await m.query('SET LOCAL enable_seqscan = off');
      const text = async (sql: string) => ((await m.query(`EXPLAIN ${sql}`)) as { 'QUERY PLAN': string }[]).map((p) => p['QUERY PLAN']).join('\n');
      return {
        intervals: await text(`SELECT d.id FROM drift_intervals d WHERE d.environment = 'prod' AND d.opened_at <= now() AND (d.closed_at IS NULL OR d.closed_at > now())`),
        announcements: await text(`SELECT * FROM alert_announcements WHERE rule = 'r' AND environment = 'prod' AND resolved_at IS NULL`),
        due: await text(`SELECT id FROM deliveries WHERE status = 'pending' AND next_attempt_at <= clock_timestamp() ORDER BY next_attempt_at, id LIMIT 8`),
      };
    });
    expect(plans.intervals).toMatch(/drift_intervals_env_time_idx/);
    expect(plans.announcements).toMatch(/alert_announcements_open_idx/);
    expect(plans.due).toMatch(/deliveries_due_idx/);
  });
});
