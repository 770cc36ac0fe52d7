import { existsSync, mkdirSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, BrowserContext, Page } from 'playwright-core';

export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
export const SCREENSHOTS = join(__dirname, '..', '..', 'artifacts', 'screenshots');

/** Why browser tests cannot run here, or null when they can. Printed, never silent. */
export function browserUnavailable(): string | null {
  return existsSync(CHROMIUM) ? null : `chromium not found at ${CHROMIUM} (apt-get install -y chromium); browser tests skipped`;
}

const FLAGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];

/**
 * A browser. With `signIn`, it is signed in the way a person is: the token is
 * exchanged at POST /api/v1/auth/session for the HttpOnly session cookie.
 */
export async function launch(
  opts: { width?: number; height?: number; timezoneId?: string; signIn?: { url: string; token: string | null } } = {},
): Promise<{ context: BrowserContext; page: Page; close(): Promise<void> }> {
  const context = await chromium.launchPersistentContext(mkdtempSync(join(tmpdir(), 'driftline-chromium-')), {
    executablePath: CHROMIUM,
    headless: true,
    args: FLAGS,
    viewport: { width: opts.width ?? 1280, height: opts.height ?? 800 },
    timezoneId: opts.timezoneId ?? 'Europe/Berlin',
  });
  if (opts.signIn) await signIn(context, opts.signIn.url, opts.signIn.token);
  const page = context.pages()[0] ?? (await context.newPage());
  return { context, page, close: () => context.close() };
}

export async function screenshot(page: Page, name: string): Promise<string> {
  mkdirSync(SCREENSHOTS, { recursive: true });
  const path = join(SCREENSHOTS, `${name}.png`);
  await page.screenshot({ path, fullPage: true });
  return path;
}

/** Put a session cookie for `token` into the browser, as the sign-in page would. */
export async function signIn(context: BrowserContext, url: string, token: string | null): Promise<void> {
  if (!token) throw new Error('signIn: no token (startTestServer makes one; the demo has demoToken)');
  const res = await fetch(url + '/api/v1/auth/session', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ token }) });
  if (res.status !== 204) throw new Error(`sign-in failed: ${res.status} ${await res.text()}`);
  const cookie = res.headers.getSetCookie().find((c) => c.startsWith('driftline_session='));
  if (!cookie) throw new Error('sign-in set no driftline_session cookie');
  const value = cookie.slice('driftline_session='.length).split(';')[0]!;
  await context.addCookies([{ name: 'driftline_session', value, url, httpOnly: true, sameSite: 'Strict' }]);
}
