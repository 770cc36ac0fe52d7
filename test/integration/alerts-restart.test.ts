import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { dump } from 'js-yaml';
import { freshDatabase, TestDatabase } from '../support/db';
import { startTestServer, TestServer } from '../support/app';
import { ChatReceiver } from '../support/chat-receivers';
import { DRIFTLINE_BIN, ROOT, runCli } from '../support/cli';
import { alertsOptions } from '../../api/src/alerts/alerts.options';
import { scenario, Scenario, json } from './alerts-scenario';

/**
 * No message is lost when a process dies: the evaluation commits its messages
 * to the outbox with the announcement, and whichever process runs the delivery
 * worker next sends them. Uses the built `driftline` command as a separate
 * process (npm test builds it first).
 */
describe('alerts across a restart', () => {
  let db: TestDatabase;
  let hook: ChatReceiver;
  let slow: ChatReceiver;
  let s: Scenario;
  let dataDir: string;
  let configFile: string;
  const servers: TestServer[] = [];

  beforeEach(async () => {
    db = await freshDatabase();
    hook = await ChatReceiver.start('webhook', { secret: 'k' });
    slow = await ChatReceiver.start('webhook');
    dataDir = mkdtempSync(join(tmpdir(), 'driftline-alerts-restart-'));
    s = await scenario(db.dataSource, () => ({
      dataDir,
      channels: [
        { name: 'hook', type: 'webhook', url: hook.url, secret: 'k' },
        { name: 'slow', type: 'webhook', url: slow.url, timeout: '3s' },
      ],
      alerts: [
        { name: 'prod-drift', environments: ['prod'], schedule: '*/15 * * * *', channels: ['hook'] },
        { name: 'prod-audit', environments: ['prod'], schedule: '*/15 * * * *', channels: ['slow'] },
      ],
    }));
    await s.deploy(['web'], 0);
    await s.edit('web', 'registry.example.com/web:hotfix', 30);
    configFile = join(dataDir, 'driftline.yaml');
    writeFileSync(configFile, dump({ ...s.raw, database: { url: 'env:DATABASE_URL' } }));
  });
  afterEach(async () => {
    for (const x of servers.splice(0)) await x.close();
    await hook.close();
    await slow.close();
    await s.cleanup();
    await db.drop();
  });

  const env = () => ({ DATABASE_URL: db.url, DRIFTLINE_DATA_DIR: dataDir });
  const start = async () => {
    const x = await startTestServer({ databaseUrl: db.url, config: s.raw, dataDir, features: [alertsOptions({ scheduler: 'off', pollIntervalMs: 100 })] });
    servers.push(x);
    return x;
  };
  const deliveries = () => db.dataSource.query(`SELECT channel, status, attempts FROM deliveries ORDER BY id`);

  it('a process that committed the outbox and died before sending: the next worker sends it, once', async () => {
    // The evaluating process exits right after its commit, without sending anything.
    const r = await runCli(['alerts', 'evaluate', '--rule', 'prod-drift', '--no-deliver', '--json', '--config', configFile], { env: env() });
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ rule: 'prod-drift', duplicate: false, messages: [{ kind: 'drift', title: 'Drift in prod: 1 new' }], attempts: [] });
    expect(hook.requests).toHaveLength(0);
    expect(await deliveries()).toEqual([{ channel: 'hook', status: 'pending', attempts: 0 }]);
    // A server starts: its worker finds the committed message and sends it.
    const first = await start();
    await hook.waitForRequests(1);
    await first.close();
    // Another restart sends nothing more.
    await start();
    await new Promise((res) => setTimeout(res, 1000));
    expect(hook.requests).toHaveLength(1);
    expect(hook.messages).toHaveLength(1);
    expect(hook.problems).toEqual([]);
    expect(await deliveries()).toEqual([{ channel: 'hook', status: 'sent', attempts: 1 }]);
    // And evaluating again says nothing new: the drift was announced.
    const again = await runCli(['alerts', 'evaluate', '--rule', 'prod-drift', '--json', '--config', configFile], { env: env() });
    expect(JSON.parse(again.stdout)).toMatchObject({ messages: [], deliveries: [] });
  });

  it('a process killed while sending: the lease expires, the next worker sends again with the same Idempotency-Key', async () => {
    slow.reply({ hang: true });
    const child = spawn(process.execPath, [DRIFTLINE_BIN, 'alerts', 'evaluate', '--rule', 'prod-audit', '--config', configFile], {
      cwd: ROOT,
      env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/tmp', LOG_LEVEL: 'warn', ...env() },
      stdio: 'ignore',
    });
    const exited = new Promise<number | null>((res) => child.on('exit', (_code, signal) => res(signal === 'SIGKILL' ? -9 : _code)));
    await slow.waitForRequests(1, 30_000);
    child.kill('SIGKILL');
    expect(await exited).toBe(-9);
    expect(await deliveries()).toEqual([{ channel: 'slow', status: 'pending', attempts: 1 }]);
    const app = await start();
    await slow.waitForRequests(2, 20_000);
    // Not before the dead process's lease (3 s timeout + 5 s margin from its claim) ran out.
    expect(slow.requests[1]!.at - slow.requests[0]!.at).toBeGreaterThanOrEqual(8000 - 200);
    expect(slow.requests[0]!.idempotencyKey).toBe(slow.requests[1]!.idempotencyKey);
    expect(slow.messages).toHaveLength(1); // the receiver that dropped nothing saw one message
    await new Promise((res) => setTimeout(res, 300));
    const page = await json(app.get('/api/v1/alerts/deliveries'));
    expect(page.items[0]).toMatchObject({ channel: 'slow', status: 'sent', attempts: 2 });
    expect(page.items[0].attemptLog.map((a: { outcome: string }) => a.outcome)).toEqual(['interrupted', 'sent']);
  });
});
