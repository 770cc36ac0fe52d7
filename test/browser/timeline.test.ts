import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import pino from 'pino';
import type { Page } from 'playwright-core';
import { browserUnavailable, launch, screenshot } from '../support/browser';
import { freshDatabase, TestDatabase } from '../support/db';
import { serve, RunningServer } from '../../api/src/server';

const unavailable = browserUnavailable();
if (unavailable) process.stdout.write(`\n[browser] ${unavailable}\n`);

const ZONE = 'Europe/Berlin';
const MIN = 60_000;

/** A datetime-local value for an instant, in the zone the browser runs in (what a person would type). */
function localInput(iso: string | Date): string {
  const s = new Intl.DateTimeFormat('sv-SE', { timeZone: ZONE, year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', hourCycle: 'h23' }).format(new Date(iso));
  return s.replace(' ', 'T');
}

/** The query of the page's URL as a plain object. */
function queryOf(page: Page): Record<string, string> {
  return Object.fromEntries(new URL(page.url()).searchParams);
}

/**
 * The six journeys of the timeline UI, on the demo (a generated GitOps repository for
 * dev/staging/prod over 30 days and a simulated cluster with a `kubectl edit` hotfix in prod,
 * a manual scale and a deleted ConfigMap), driven like a user: roles, labels and visible text.
 */
describe.skipIf(!!unavailable)('timeline journeys in Chromium', () => {
  let db: TestDatabase;
  let app: RunningServer;
  let dataDir: string;
  let incidents: { hotfix: Date; scale: Date; deletedConfigMap: Date };
  let anchor: Date;

  beforeAll(async () => {
    db = await freshDatabase({ connect: false });
    dataDir = mkdtempSync(join(tmpdir(), 'driftline-browser-demo-'));
    app = await serve({ demo: true, port: 0, host: '127.0.0.1', env: { DRIFTLINE_DATA_DIR: dataDir, DATABASE_URL: db.url }, logger: pino({ level: process.env.TEST_LOG_LEVEL ?? 'silent' }) });
    incidents = app.demo!.scenario.incidents;
    anchor = app.demo!.scenario.anchor;
  });
  afterAll(async () => {
    await app?.close();
    await db?.drop();
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  });

  it('(1) finds the kubectl edit hotfix in the 10 minutes around it and reads its diff', async () => {
    const b = await launch({ signIn: { url: app.url, token: app.demoToken } });
    try {
      const { page } = b;
      await page.goto(`${app.url}/environments/prod/timeline?preset=7d`);
      await page.getByRole('heading', { name: /Timeline\s+prod/ }).waitFor();
      // Select the 10 minutes around the hotfix with the custom window.
      await page.getByLabel('From', { exact: true }).fill(localInput(new Date(incidents.hotfix.getTime() - 5 * MIN)));
      await page.getByLabel('To', { exact: true }).fill(localInput(new Date(incidents.hotfix.getTime() + 5 * MIN)));
      await page.getByRole('button', { name: 'Apply', exact: true }).click();
      await page.waitForURL(/from=.*&to=|to=.*&from=/);
      const q = queryOf(page);
      expect(Date.parse(q.to!) - Date.parse(q.from!)).toBe(10 * MIN);
      const events = page.getByRole('list', { name: 'Events in the window' });
      const edit = events.getByRole('link', { name: /configured by kubectl-edit/ }).first();
      await edit.waitFor();
      expect(await edit.getAttribute('aria-label')).toMatch(/Deployment shop-prod\/checkout configured by kubectl-edit/);
      // The density strip under the lanes counts the 10 minutes on screen, not the 7 days loaded: its
      // bars stand where the events are (a 7-day bucket drew one bar across the whole window).
      await expect.poll(() => densityCoverage(page), { timeout: 10_000, interval: 250 }).toBeLessThan(0.3);
      expect(await densityCoverage(page)).toBeGreaterThan(0);
      // And the chart's counts are those of the window too: as many as the events listed beside it.
      const counted = [...(await page.locator('.counts').innerText()).matchAll(/\d+/g)].reduce((a, m) => a + Number(m[0]), 0);
      expect(counted).toBe(await events.getByRole('link').count());
      await screenshot(page, 'timeline-hotfix-window');
      await edit.click();
      await page.getByRole('heading', { name: /Live change to Deployment shop-prod\/checkout/ }).waitFor();
      await expect.poll(() => page.getByText('kubectl-edit', { exact: true }).count()).toBeGreaterThan(0);
      // The diff against the previous live revision shows the hotfix image, as an added line.
      const diff = page.getByRole('region', { name: 'Diff against the previous live revision' });
      await diff.waitFor();
      await expect.poll(() => diff.getByText(/image: .*-hotfix1/).count()).toBeGreaterThan(0);
      expect(await diff.locator('tr.add', { hasText: '-hotfix1' }).count()).toBe(1);
      // Side by side puts the old image beside the new one.
      await page.getByRole('group', { name: 'Diff against the previous live revision layout' }).getByRole('button', { name: 'Side by side' }).click();
      const pair = diff.locator('tr', { hasText: '-hotfix1' }).first();
      await expect.poll(() => pair.locator('td.add').textContent()).toMatch(/image: \S+-hotfix1/);
      expect(await pair.locator('td.del').textContent()).toMatch(/image: \S+checkout:[\d.]+$/);
      await page.getByRole('region', { name: 'Diff against Git' }).waitFor();
      await screenshot(page, 'timeline-hotfix-diff');
    } finally {
      await b.close();
    }
  });

  it('(2) opens a drifted object from the overview and sees since when it drifted and what began it', async () => {
    const b = await launch({ signIn: { url: app.url, token: app.demoToken } });
    try {
      const { page } = b;
      await page.goto(`${app.url}/environments`);
      const prod = page.getByRole('list', { name: 'Environments' }).getByRole('listitem').filter({ has: page.getByRole('heading', { name: 'prod' }) });
      await prod.getByText('Drifted', { exact: true }).waitFor();
      await screenshot(page, 'overview');
      await prod.getByRole('link', { name: /drifted object/ }).click();
      await page.getByRole('heading', { name: /Drift\s+prod/ }).waitFor();
      const item = page.getByRole('listitem').filter({ has: page.getByRole('heading', { name: 'Deployment shop-prod/checkout' }) });
      await item.waitFor();
      // Since when: the drift began with the hotfix (the exact time in the datetime attribute, UTC on hover).
      const since = item.locator('dd', { hasText: 'since' }).locator('time').first();
      expect(await since.getAttribute('datetime')).toBe(incidents.hotfix.toISOString());
      expect(await since.getAttribute('title')).toMatch(/UTC$/);
      expect(await item.textContent()).toMatch(/Drifted for\s*2 d 4 h/);
      // What began it: the kubectl edit, linked to that live change.
      const began = item.getByRole('link', { name: /kubectl-edit \(live change/ });
      await began.waitFor();
      await screenshot(page, 'drift-prod');
      await item.getByRole('link', { name: 'Deployment shop-prod/checkout' }).click();
      await page.getByRole('heading', { name: 'Deployment shop-prod/checkout' }).waitFor();
      await page.getByText('the cluster differs from Git').waitFor();
      await page.getByRole('region', { name: 'Diff between the two revisions' }).waitFor();
      await screenshot(page, 'object-history-checkout');
    } finally {
      await b.close();
    }
  });

  it('(3) compares prod at two times and sees what was created, changed and deleted', async () => {
    const b = await launch({ signIn: { url: app.url, token: app.demoToken } });
    try {
      const { page } = b;
      await page.goto(`${app.url}/environments/prod/compare`);
      await page.getByRole('heading', { name: /Compare\s+prod/ }).waitFor();
      await page.getByLabel('T1', { exact: true }).fill(localInput(new Date(incidents.deletedConfigMap.getTime() - 60 * MIN)));
      await page.getByLabel('T2', { exact: true }).fill(localInput(new Date(incidents.deletedConfigMap.getTime() + 60 * MIN)));
      await page.getByRole('button', { name: 'Compare', exact: true }).click();
      await page.waitForURL(/a=.*b=/);
      const deleted = page.getByRole('region', { name: /^Deleted/ });
      await deleted.getByText('ConfigMap shop-prod/payments-config').waitFor();
      expect(await deleted.getByRole('heading').textContent()).toMatch(/Deleted\s*1/);
      for (const name of ['Created', 'Changed']) await page.getByRole('region', { name: new RegExp(`^${name}`) }).waitFor();
      // State at each time: drift went up by the deleted ConfigMap.
      const t1 = page.getByRole('group', { name: 'State at T1' });
      const t2 = page.getByRole('group', { name: 'State at T2' });
      await t2.getByText('ConfigMap shop-prod/payments-config').waitFor();
      expect(await t1.getByText('ConfigMap shop-prod/payments-config').count()).toBe(0);
      // Open the deleted object's diff.
      await deleted.getByText('ConfigMap shop-prod/payments-config').click();
      await deleted.getByRole('region', { name: /Diff of ConfigMap shop-prod\/payments-config/ }).waitFor();
      await screenshot(page, 'compare-prod');
      // A longer window in one click, Git side.
      await page.getByRole('button', { name: 'Last 7 d' }).click();
      await page.getByRole('button', { name: /In Git/ }).click();
      await page.waitForURL(/side=desired/);
      await page.getByRole('region', { name: /^Changed/ }).waitFor();
    } finally {
      await b.close();
    }
  });

  it('(4) opens a commit and sees the objects it changed in each environment', async () => {
    const b = await launch({ signIn: { url: app.url, token: app.demoToken } });
    try {
      const { page } = b;
      // The bootstrap commit, 30 days ago: open it from dev's timeline, Git lane only.
      const start = new Date(anchor.getTime() - 30 * 86_400_000);
      await page.goto(`${app.url}/environments/dev/timeline?from=${new Date(start.getTime() - MIN).toISOString()}&to=${new Date(start.getTime() + 60 * MIN).toISOString()}`);
      await page.getByRole('group', { name: 'Lanes' }).getByLabel('Live').uncheck();
      await page.getByRole('group', { name: 'Lanes' }).getByLabel('Drift').uncheck();
      await page.waitForURL(/lanes=git/);
      await page.getByRole('list', { name: 'Events in the window' }).getByRole('link').first().click();
      await page.getByRole('heading', { name: 'Bootstrap shop environments (#1180)' }).waitFor();
      await page.getByText('#1180', { exact: true }).waitFor();
      for (const env of ['dev', 'staging', 'prod']) {
        const section = page.getByRole('region', { name: `Objects changed in ${env}` });
        await section.waitFor();
        expect(await section.getByText(/Deployment shop-\w+\/checkout/).count()).toBeGreaterThan(0);
      }
      await page.getByRole('region', { name: /Diff of Deployment shop-dev\/web in dev/, includeHidden: true }).waitFor({ state: 'attached' });
      await screenshot(page, 'commit-bootstrap');
    } finally {
      await b.close();
    }
  });

  it('(5) opens the same view from a pasted timeline link', async () => {
    const a = await launch({ signIn: { url: app.url, token: app.demoToken } });
    const b = await launch({ signIn: { url: app.url, token: app.demoToken } });
    try {
      await a.context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: app.url });
      await a.page.goto(`${app.url}/environments/prod/timeline?preset=7d`);
      await a.page.getByLabel('Kind').fill('Deployment');
      await a.page.getByLabel('Kind').press('Enter');
      await a.page.waitForURL(/kind=Deployment/);
      await a.page.getByRole('button', { name: 'Copy link' }).click();
      await a.page.getByRole('status').filter({ hasText: 'Link to this window copied.' }).waitFor();
      // The copied link pins the window (no relative preset), so it shows the same events whenever it is opened.
      const url = await a.page.evaluate(() => navigator.clipboard.readText());
      expect(url).toMatch(/from=.*to=/);
      expect(url).not.toMatch(/preset=/);
      await a.page.goto(url);
      const view = async (p: Page) => {
        await p.getByRole('list', { name: 'Events in the window' }).waitFor();
        return {
          heading: (await p.getByRole('heading', { name: /^Events/ }).textContent())!.replace(/\s+/g, ' '),
          rows: await p.getByRole('list', { name: 'Events in the window' }).getByRole('link').evaluateAll((ls) => ls.slice(0, 12).map((l) => l.getAttribute('aria-label'))),
          kind: await p.getByLabel('Kind').inputValue(),
          from: await p.getByLabel('From', { exact: true }).inputValue(),
          to: await p.getByLabel('To', { exact: true }).inputValue(),
        };
      };
      const before = await view(a.page);
      expect(before.kind).toBe('Deployment');
      expect(before.rows.length).toBeGreaterThan(0);
      expect(before.rows.every((r) => /Deployment /.test(r ?? ''))).toBe(true);
      await b.page.goto(url);
      expect(await view(b.page)).toEqual(before);
      await screenshot(b.page, 'timeline-pasted-link');
    } finally {
      await a.close();
      await b.close();
    }
  });

  it('(6) shows a change made in the cluster on the open timeline without a reload', async () => {
    const b = await launch({ signIn: { url: app.url, token: app.demoToken } });
    try {
      const { page } = b;
      await page.goto(`${app.url}/environments/prod/timeline?preset=15m`);
      await page.getByRole('status').filter({ hasText: /^Live/ }).waitFor();
      const list = page.getByRole('list', { name: 'Events in the window' });
      const before = await list.getByRole('link', { name: /Deployment shop-prod\/web .*kubectl/ }).count();
      const navigations: string[] = [];
      page.on('framenavigated', (f) => f === page.mainFrame() && navigations.push(f.url()));
      const kubeconfig = app.demo!.loaded.config.clusters[0]!.kubeconfig!;
      const kubectl = process.env.KUBECTL ?? '/usr/bin/kubectl';
      // A replica count the Deployment does not have yet (the demo's own manual scale may already be there).
      const current = Number((app.demo!.sim.get({ apiVersion: 'apps/v1', kind: 'Deployment', namespace: 'shop-prod', name: 'web' }) as { spec?: { replicas?: number } } | undefined)?.spec?.replicas ?? 1);
      const replicas = current + 3;
      if (existsSync(kubectl)) await promisify(execFile)(kubectl, ['--kubeconfig', kubeconfig, '-n', 'shop-prod', 'scale', 'deployment/web', `--replicas=${replicas}`]);
      // Without kubectl, the same change straight into the simulated cluster (the watcher sees it either way).
      else app.demo!.sim.patch({ apiVersion: 'apps/v1', kind: 'Deployment', namespace: 'shop-prod', name: 'web' }, { spec: { replicas } }, { manager: 'kubectl-scale', type: 'merge' });
      const row = list.getByRole('link', { name: /Deployment shop-prod\/web .*kubectl/ });
      await expect.poll(() => row.count(), { timeout: 30_000, interval: 500 }).toBeGreaterThan(before);
      expect(navigations).toEqual([]);
      // And on the chart: the change's marker (the orange triangle of a person's change) in the Live lane,
      // at the right end of the window. It used to sit on the axis' last instant, where the chart dropped it.
      await expect.poll(() => humanMarkerPixels(page), { timeout: 10_000, interval: 250 }).toBeGreaterThan(0);
      await screenshot(page, 'timeline-live-update');
    } finally {
      await b.close();
    }
  });

  it('works at 390 px: overview, timeline and drift without horizontal scrolling', async () => {
    const b = await launch({ width: 390, height: 844, signIn: { url: app.url, token: app.demoToken } });
    try {
      const { page } = b;
      const overflow = () => page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
      await page.goto(`${app.url}/environments`);
      await page.getByRole('heading', { name: 'prod' }).waitFor();
      expect(await overflow()).toBeLessThanOrEqual(0);
      await screenshot(page, 'overview-phone');
      await page.goto(`${app.url}/environments/prod/drift`);
      await page.getByRole('heading', { name: 'Deployment shop-prod/checkout' }).waitFor();
      await page.getByRole('img', { name: /Drift intervals/ }).waitFor();
      expect(await overflow()).toBeLessThanOrEqual(0);
      await screenshot(page, 'drift-phone');
      await page.goto(`${app.url}/environments/prod/timeline?preset=7d`);
      await page.getByRole('list', { name: 'Events in the window' }).waitFor();
      expect(await overflow()).toBeLessThanOrEqual(0);
      await screenshot(page, 'timeline-phone');
    } finally {
      await b.close();
    }
  });
});

/**
 * Pixels of the human-change marker colour (#ea580c) in the chart's Live lane, right fifth of the plot
 * (the canvas is read directly: what a person sees, not what the component meant to draw).
 */
function humanMarkerPixels(page: Page): Promise<number> {
  return page.evaluate(() => {
    const canvas = document.querySelector('.swimlanes canvas') as HTMLCanvasElement | null;
    const ctx = canvas?.getContext('2d');
    if (!canvas || !ctx) return 0;
    const scale = canvas.width / canvas.getBoundingClientRect().width;
    // Grid: 8 px from the top, 32 px per lane + 16; Live is the second of three lanes.
    const laneTop = Math.floor((8 + 37) * scale);
    const laneBottom = Math.ceil((8 + 2 * 37.33) * scale);
    const x0 = Math.floor(canvas.width * 0.8);
    const { data } = ctx.getImageData(x0, laneTop, canvas.width - x0, laneBottom - laneTop);
    let n = 0;
    for (let i = 0; i < data.length; i += 4) if (Math.abs(data[i]! - 0xea) < 40 && Math.abs(data[i + 1]! - 0x58) < 40 && data[i + 2]! < 70) n++;
    return n;
  });
}

/** The share of the density strip's columns (under the lanes) with a bar in them, read from the chart's canvas. */
function densityCoverage(page: Page): Promise<number> {
  return page.evaluate(() => {
    const canvas = document.querySelector('.swimlanes canvas') as HTMLCanvasElement | null;
    const ctx = canvas?.getContext('2d');
    if (!canvas || !ctx) return -1;
    const box = canvas.getBoundingClientRect();
    const scale = canvas.width / box.width;
    // Second grid: 64 px from the left, 16 from the right, 32 px per lane (three) + 32 from the top, 44 high.
    const x0 = Math.ceil(64 * scale);
    const x1 = Math.floor((box.width - 16) * scale);
    const y0 = Math.ceil((32 * 3 + 32) * scale);
    const y1 = Math.floor((32 * 3 + 32 + 44) * scale);
    const { data } = ctx.getImageData(x0, y0, x1 - x0, y1 - y0);
    const w = x1 - x0;
    let filled = 0;
    for (let x = 0; x < w; x++) {
      for (let y = 0; y < y1 - y0; y++) {
        const i = (y * w + x) * 4;
        const r = data[i]!, g = data[i + 1]!, b = data[i + 2]!;
        if (Math.max(r, g, b) - Math.min(r, g, b) > 60) {
          filled++;
          break;
        }
      }
    }
    return filled / w;
  });
}

