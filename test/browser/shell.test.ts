import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { browserUnavailable, launch, screenshot } from '../support/browser';
import { freshDatabase, TestDatabase } from '../support/db';
import { startTestServer, TestServer } from '../support/app';

const unavailable = browserUnavailable();
if (unavailable) process.stdout.write(`\n[browser] ${unavailable}\n`);

describe.skipIf(!!unavailable)('the web shell in Chromium', () => {
  let db: TestDatabase;
  let app: TestServer;
  beforeAll(async () => {
    db = await freshDatabase({ connect: false });
    app = await startTestServer({
      databaseUrl: db.url,
      config: { repositories: [{ name: 'infra', path: '/tmp' }], environments: [{ name: 'prod', repository: 'infra', paths: ['clusters/prod/**'] }, { name: 'staging', repository: 'infra', paths: ['clusters/staging/**'] }] },
    });
  });
  afterAll(async () => {
    await app?.close();
    await db?.drop();
  });

  it('shows the Driftline title, the navigation and the configured environments', async () => {
    const b = await launch({ signIn: { url: app.url, token: app.token } });
    try {
      await b.page.goto(app.url + '/');
      await b.page.waitForURL(/\/environments$/);
      expect(await b.page.title()).toBe('Environments · Driftline');
      const nav = b.page.getByRole('navigation', { name: 'Main' });
      await nav.getByRole('link', { name: 'Environments' }).waitFor();
      const list = b.page.getByRole('list', { name: 'Environments' });
      await list.getByRole('heading', { name: 'prod' }).waitFor();
      await list.getByRole('heading', { name: 'staging' }).waitFor();
      await screenshot(b.page, 'shell-environments');
      // An unknown client route shows a not-found page, not a blank screen.
      await b.page.goto(app.url + '/no/such/page');
      await b.page.getByRole('heading', { name: 'Page not found' }).waitFor();
    } finally {
      await b.close();
    }
  });

  it('works on a 390 px phone screen', async () => {
    const b = await launch({ width: 390, height: 844, signIn: { url: app.url, token: app.token } });
    try {
      await b.page.goto(app.url + '/environments');
      await b.page.getByRole('heading', { name: 'prod' }).waitFor();
      const overflow = await b.page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
      expect(overflow).toBeLessThanOrEqual(0);
      await screenshot(b.page, 'shell-phone');
    } finally {
      await b.close();
    }
  });
});
