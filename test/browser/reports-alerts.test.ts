import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rmSync } from 'node:fs';
import type { Page } from 'playwright-core';
import { browserUnavailable, launch, screenshot } from '../support/browser';
import { freshDatabase, TestDatabase } from '../support/db';
import { startTestServer, TestServer } from '../support/app';
import { ChatReceiver } from '../support/chat-receivers';
import { GitRepoBuilder } from '../support/git-repo-builder';

const unavailable = browserUnavailable();
if (unavailable) process.stdout.write(`\n[browser] ${unavailable}\n`);

/** Errors the page logged or threw, so a page that renders but fails in the console still fails the test. */
function collectErrors(page: Page): string[] {
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(e.message));
  page.on('console', (m) => m.type() === 'error' && errors.push(m.text()));
  return errors;
}

const overflow = (page: Page) => page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);

/** The Reports and Alerts pages on the demo (dev/staging/prod, no alert channels configured), driven by roles and labels. */
describe.skipIf(!!unavailable)('reports and alerts pages in Chromium', () => {
  let db: TestDatabase;
  let app: TestServer;

  beforeAll(async () => {
    db = await freshDatabase({ connect: false });
    app = await startTestServer({ databaseUrl: db.url, demo: true, workers: true, config: {} });
  });
  afterAll(async () => {
    await app?.close();
    await db?.drop();
    if (app?.dataDir) rmSync(app.dataDir, { recursive: true, force: true });
  });

  it('(a) generates a CSV report for prod over the last 30 days, downloads it and lists it', async () => {
    const b = await launch({ signIn: { url: app.url, token: app.token } });
    try {
      const { page } = b;
      const errors = collectErrors(page);
      await page.goto(`${app.url}/reports`);
      await page.getByRole('heading', { name: 'Reports', level: 1 }).waitFor();
      expect(await page.title()).toBe('Reports · Driftline');
      // Only prod: every environment starts picked.
      const envs = page.getByRole('group', { name: 'Environments' });
      await envs.getByLabel('prod').waitFor();
      for (const name of ['dev', 'staging']) await envs.getByLabel(name).uncheck();
      await expect.poll(() => envs.getByLabel('prod').isChecked()).toBe(true);
      // The window defaults to the last 30 days.
      const from = await page.getByLabel('From').inputValue();
      const to = await page.getByLabel('To').inputValue();
      expect(Math.round((Date.parse(to) - Date.parse(from)) / 86_400_000)).toBe(30);
      await page.getByRole('group', { name: 'Format' }).getByLabel('CSV').check();
      await page.getByRole('button', { name: 'Generate report' }).click();
      // The job starts queued: a progress bar follows it (polled every second).
      const bar = page.getByRole('progressbar', { name: 'Report progress' });
      await bar.waitFor();
      expect(await bar.getAttribute('aria-valuenow')).toMatch(/^\d+$/);
      // The job is followed until it is done (a progress bar while it runs), then offers its file.
      const download = page.getByRole('link', { name: 'Download CSV', exact: true });
      await download.waitFor({ timeout: 60_000 });
      expect(await page.getByRole('progressbar').count()).toBe(0);
      await page.getByText('Done', { exact: true }).first().waitFor();
      const href = await download.getAttribute('href');
      expect(href).toMatch(/^\/api\/v1\/reports\/[0-9a-f-]{36}\/download$/);
      const res = await app.get(href!);
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toMatch(/^text\/csv/);
      expect((await res.text()).length).toBeGreaterThan(0);
      // The earlier-reports list has it: prod, CSV, done, with its download link.
      const id = href!.split('/')[4]!;
      const row = page.locator('table tbody tr').filter({ has: page.locator(`a[href="${href}"]`) });
      await row.waitFor();
      const text = (await row.textContent())!.replace(/\s+/g, ' ');
      expect(text).toMatch(/prod/);
      expect(text).not.toMatch(/staging|dev/);
      expect(text).toMatch(/CSV/);
      expect(text).toMatch(/Done/);
      expect(text).toMatch(/test-admin-\w+ \(admin\)/);
      expect(text).toMatch(/sha256 [0-9a-f]{12}/);
      const list = (await (await app.get('/api/v1/reports')).json()) as { items: { id: string; status: string }[] };
      expect(list.items.find((r) => r.id === id)?.status).toBe('done');
      await screenshot(page, 'reports');
      expect(await page.getByRole('alert').count()).toBe(0);
      expect(errors).toEqual([]);
    } finally {
      await b.close();
    }
  });

  it('(b) shows the alerts headings and empty states when no channels are configured', async () => {
    const b = await launch({ signIn: { url: app.url, token: app.token } });
    try {
      const { page } = b;
      const errors = collectErrors(page);
      await page.goto(`${app.url}/alerts`);
      await page.getByRole('heading', { name: 'Alerts', level: 1 }).waitFor();
      expect(await page.title()).toBe('Alerts · Driftline');
      for (const h of ['Channels', 'Rules', 'Delivery log']) await page.getByRole('heading', { name: h, level: 2 }).waitFor();
      await page.getByText(/No channels are configured/).waitFor();
      await page.getByText(/No alert rules are configured/).waitFor();
      await page.getByText(/No deliveries yet/).waitFor();
      // The status filter lives in the URL.
      await page.getByLabel('Status').selectOption('dead');
      await page.waitForURL(/status=dead/);
      await page.getByText('No dead deliveries.').waitFor();
      await page.getByLabel('Status').selectOption('');
      await page.waitForURL((u) => !u.searchParams.has('status'));
      await page.getByText(/No deliveries yet/).waitFor();
      expect(await page.getByRole('alert').count()).toBe(0);
      await screenshot(page, 'alerts');
      expect(errors).toEqual([]);
    } finally {
      await b.close();
    }
  });

  it('(c) shows a configured channel and rule, and the outcome of a real test message', async () => {
    // A second server configured with a Slack channel that points at a real receiver answering 403.
    const receiver = await ChatReceiver.start('slack');
    receiver.reply({ status: 403, body: 'invalid_token' });
    const repo = await GitRepoBuilder.create();
    await repo.commit({ files: { 'clusters/prod/cm.yaml': 'apiVersion: v1\nkind: ConfigMap\nmetadata: { name: a }\ndata: { v: "1" }\n' } });
    const db2 = await freshDatabase({ connect: false });
    const configured = await startTestServer({
      databaseUrl: db2.url,
      workers: true,
      config: {
        repositories: [{ name: 'infra', path: repo.dir }],
        environments: [{ name: 'prod', repository: 'infra', paths: ['clusters/prod/**'] }],
        channels: [{ name: 'sre', type: 'slack', url: receiver.url }],
        alerts: [{ name: 'prod-drift', environments: ['prod'], schedule: '*/15 * * * *', timezone: 'Europe/Berlin', grace: '10m', reminder: '24h', channels: ['sre'], maxAttempts: 2 }],
      },
    });
    const b = await launch({ width: 390, height: 844, signIn: { url: configured.url, token: configured.token } });
    try {
      const { page } = b;
      const errors = collectErrors(page);
      await page.goto(`${configured.url}/alerts`);
      const channel = page.getByRole('list', { name: 'Channels' }).getByRole('listitem').filter({ has: page.getByRole('heading', { name: 'sre' }) });
      await channel.getByText('slack', { exact: false }).first().waitFor();
      // The webhook's secret path never reaches the page.
      expect(await page.content()).not.toContain(receiver.token);
      await page.getByRole('list', { name: 'Rules' }).getByText('*/15 * * * *').waitFor();
      await channel.getByRole('button', { name: 'Send test message' }).click();
      await expect.poll(() => channel.getByRole('status').textContent(), { timeout: 15_000 }).toMatch(/403/);
      expect(receiver.requests.length).toBeGreaterThanOrEqual(1);
      expect(await overflow(page)).toBeLessThanOrEqual(0);
      await screenshot(page, 'alerts-configured-phone');
      // 403 is an error the API names in its own message; the page logs nothing else.
      expect(errors.filter((e) => !/403|Forbidden/i.test(e))).toEqual([]);
    } finally {
      await b.close();
      await configured.close();
      await db2.drop();
      await repo.cleanup();
      await receiver.close();
    }
  });

  it('works at 390 px: reports and alerts without horizontal scrolling', async () => {
    const b = await launch({ width: 390, height: 844, signIn: { url: app.url, token: app.token } });
    try {
      const { page } = b;
      await page.goto(`${app.url}/reports`);
      await page.getByRole('button', { name: 'Generate report' }).waitFor();
      await page.getByRole('heading', { name: 'Earlier reports' }).waitFor();
      await page.locator('table tbody tr').first().waitFor();
      expect(await overflow(page)).toBeLessThanOrEqual(0);
      await screenshot(page, 'reports-phone');
      await page.goto(`${app.url}/alerts?status=sent`);
      await page.getByText('No sent deliveries.').waitFor();
      expect(await page.getByLabel('Status').inputValue()).toBe('sent');
      expect(await overflow(page)).toBeLessThanOrEqual(0);
      await screenshot(page, 'alerts-phone');
    } finally {
      await b.close();
    }
  });
});
