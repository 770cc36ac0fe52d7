import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { browserUnavailable, launch, screenshot } from '../support/browser';
import { freshDatabase, TestDatabase } from '../support/db';
import { startTestServer, TestServer } from '../support/app';
import { startOidcIssuer, OidcIssuer } from '../support/oidc-issuer';

const unavailable = browserUnavailable();
if (unavailable) process.stdout.write(`\n[browser] ${unavailable}\n`);

const CLIENT = { client_id: 'driftline', client_secret: 'browser-test-secret' };

describe.skipIf(!!unavailable)('signing in to the web app in Chromium', () => {
  let db: TestDatabase;
  let issuer: OidcIssuer;
  let app: TestServer;
  beforeAll(async () => {
    db = await freshDatabase({ connect: false });
    issuer = await startOidcIssuer({
      users: [
        { sub: 'u-alice', email: 'alice@example.com', groups: ['sre'] },
        { sub: 'u-mallory', email: 'mallory@example.com', groups: ['marketing'] },
      ],
    });
    app = await startTestServer({
      databaseUrl: db.url,
      config: {
        repositories: [{ name: 'infra', path: '/tmp' }],
        environments: [{ name: 'prod', repository: 'infra', paths: ['clusters/prod/**'] }],
        auth: { oidc: { issuer: issuer.url, clientId: CLIENT.client_id, clientSecret: CLIENT.client_secret, scopes: ['openid', 'email', 'groups'], roles: { viewer: ['sre'] } } },
      },
    });
    issuer.addClient({ ...CLIENT, redirect_uris: [`${app.url}/api/v1/auth/oidc/callback`] });
  });
  afterAll(async () => {
    await app?.close();
    await issuer?.close();
    await db?.drop();
  });

  const header = (page: Page) => page.getByRole('group', { name: 'Signed in' });

  it('sends a visitor to sign-in, refuses a wrong token, and returns to the page asked for with a right one', async () => {
    const token = await app.tokenFor('auditor', { name: 'carol-ci' });
    const b = await launch();
    try {
      await b.page.goto(`${app.url}/environments?from=link`);
      await b.page.getByRole('heading', { name: 'Sign in to Driftline' }).waitFor();
      const url = new URL(b.page.url());
      expect(url.pathname).toBe('/sign-in');
      expect(url.searchParams.get('returnTo')).toBe('/environments?from=link');
      expect(await b.page.title()).toBe('Sign in · Driftline');
      // Nothing of the app shows before sign-in.
      expect(await b.page.getByRole('navigation', { name: 'Main' }).count()).toBe(0);
      await b.page.getByRole('button', { name: 'Sign in with SSO' }).waitFor();
      expect(await b.page.getByLabel('API token').getAttribute('type')).toBe('password');
      await screenshot(b.page, 'auth-sign-in');

      await b.page.getByLabel('API token').fill('dl_not-a-real-token');
      await b.page.getByRole('button', { name: 'Sign in', exact: true }).click();
      await b.page.getByRole('alert').filter({ hasText: 'That token was not accepted' }).waitFor();
      expect(new URL(b.page.url()).pathname).toBe('/sign-in');
      await screenshot(b.page, 'auth-sign-in-error');

      await b.page.getByLabel('API token').fill(token);
      await b.page.getByRole('button', { name: 'Sign in', exact: true }).click();
      await b.page.waitForURL((u) => u.pathname === '/environments' && u.search === '?from=link');
      await header(b.page).getByText('carol-ci').waitFor();
      await header(b.page).getByText('auditor', { exact: true }).waitFor();
      await b.page.getByRole('list', { name: 'Environments' }).getByRole('heading', { name: 'prod' }).waitFor();
      // The token is nowhere the page's scripts can read it: the session is an HttpOnly cookie.
      expect(await b.page.evaluate(() => document.cookie)).not.toContain('driftline_session');
      await screenshot(b.page, 'auth-signed-in');

      await header(b.page).getByRole('button', { name: 'Sign out' }).click();
      await b.page.waitForURL((u) => u.pathname === '/sign-in');
      await b.page.goto(`${app.url}/drift`);
      await b.page.waitForURL((u) => u.pathname === '/sign-in' && u.searchParams.get('returnTo') === '/drift');
    } finally {
      await b.close();
    }
  });

  it('signs in from a #token= link and takes the token out of the address bar', async () => {
    const token = await app.tokenFor('admin', { name: 'demo-link' });
    const b = await launch();
    try {
      await b.page.goto(`${app.url}/#token=${token}`);
      await header(b.page).getByText('demo-link').waitFor();
      await header(b.page).getByText('admin', { exact: true }).waitFor();
      // The header can show the user a moment before the router has moved from / to the start page.
      await b.page.waitForURL(`${app.url}/environments`);
      expect(await b.page.evaluate(() => window.location.hash)).toBe('');
      await screenshot(b.page, 'auth-link-signed-in');

      // A link whose token does not work says so on the sign-in page.
      await header(b.page).getByRole('button', { name: 'Sign out' }).click();
      await b.page.waitForURL((u) => u.pathname === '/sign-in');
      await b.page.goto(`${app.url}/#token=dl_revoked-or-made-up`);
      await b.page.getByRole('alert').filter({ hasText: 'The sign-in link is invalid or has expired' }).waitFor();
      expect(b.page.url()).not.toContain('dl_revoked-or-made-up');
      // No entry of this tab's history holds a token: going back passes through none.
      for (let i = 0; i < 4 && (await b.page.goBack()); i++) {
        expect(b.page.url()).not.toContain('token=');
      }
    } finally {
      await b.close();
    }
  });

  it('goes to sign-in when the session ends while the app is open', async () => {
    const token = await app.tokenFor('viewer', { name: 'dave' });
    const b = await launch();
    try {
      await b.page.goto(`${app.url}/#token=${token}`);
      await header(b.page).getByText('dave').waitFor();
      // Signing out in another tab ends the same session; this tab finds out at its next API call.
      const tab = await b.context.newPage();
      await tab.goto(`${app.url}/environments`);
      await header(tab).getByRole('button', { name: 'Sign out' }).click();
      await tab.waitForURL((u) => u.pathname === '/sign-in');
      await b.page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Reports' }).click();
      await b.page.waitForURL((u) => u.pathname === '/sign-in' && u.searchParams.get('returnTo') === '/reports');
    } finally {
      await b.close();
    }
  });

  it('signs in with SSO through a real OpenID Provider and comes back to the page asked for', async () => {
    const b = await launch();
    try {
      await b.page.goto(`${app.url}/drift`);
      await b.page.getByRole('button', { name: 'Sign in with SSO' }).click();
      await b.page.waitForURL((u) => u.pathname === '/drift');
      await header(b.page).getByText('alice@example.com').waitFor();
      await header(b.page).getByText('viewer', { exact: true }).waitFor();
      await screenshot(b.page, 'auth-sso-signed-in');
    } finally {
      await b.close();
    }
  });

  it('tells an SSO user whose groups grant no role why, and leads back to sign-in', async () => {
    issuer.signInAs('u-mallory');
    const b = await launch({ width: 390, height: 844 });
    try {
      await b.page.goto(`${app.url}/drift`);
      await b.page.getByRole('button', { name: 'Sign in with SSO' }).click();
      await b.page.getByRole('heading', { name: 'Sign-in failed' }).waitFor();
      await b.page.getByText('mallory@example.com signed in at the identity provider, but no value of the "groups" claim grants a Driftline role').waitFor();
      await screenshot(b.page, 'auth-sso-refused-phone');
      await b.page.getByRole('link', { name: 'Back to sign-in' }).click();
      await b.page.getByLabel('API token').waitFor();
    } finally {
      issuer.signInAs('u-alice');
      await b.close();
    }
  });

  it('fits a 390 px phone screen, signed out and signed in', async () => {
    const token = await app.tokenFor('auditor', { name: 'erin.longname@example.com' });
    const b = await launch({ width: 390, height: 844 });
    const overflow = () => b.page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
    try {
      await b.page.goto(`${app.url}/environments`);
      await b.page.getByLabel('API token').waitFor();
      expect(await overflow()).toBeLessThanOrEqual(0);
      await screenshot(b.page, 'auth-sign-in-phone');
      await b.page.getByLabel('API token').fill(token);
      await b.page.getByRole('button', { name: 'Sign in', exact: true }).click();
      await header(b.page).getByText('auditor', { exact: true }).waitFor();
      await b.page.getByRole('heading', { name: 'prod' }).waitFor();
      expect(await overflow()).toBeLessThanOrEqual(0);
      await header(b.page).getByRole('button', { name: 'Sign out' }).waitFor();
      await screenshot(b.page, 'auth-signed-in-phone');
    } finally {
      await b.close();
    }
  });
});
