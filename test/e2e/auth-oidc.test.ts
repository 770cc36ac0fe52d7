import { createServer } from 'node:net';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freshDatabase, TestDatabase } from '../support/db';
import { startTestServer, TestServer } from '../support/app';
import { startOidcIssuer, OidcIssuer } from '../support/oidc-issuer';

const CLIENT = { client_id: 'driftline', client_secret: 'a-client-secret-for-tests-only' };
const USERS = [
  { sub: 'u-alice', email: 'alice@example.com', name: 'Alice', groups: ['sre', 'audit'] },
  { sub: 'u-bob', preferred_username: 'bob', groups: ['platform-admins'] },
  { sub: 'u-mallory', email: 'mallory@example.com', groups: ['marketing'] },
];
const ROLES = { admin: ['platform-admins'], auditor: ['audit'], viewer: ['sre'] };

/**
 * Follows redirects by hand and keeps cookies per host, as a browser does
 * (cookie paths and SameSite are the browser test's business).
 */
class Browser {
  private readonly jar = new Map<string, Map<string, string>>();
  /** Every URL visited, in order. */
  readonly visited: string[] = [];

  cookie(origin: string, name: string): string | undefined {
    return this.jar.get(new URL(origin).host)?.get(name);
  }

  setCookie(origin: string, name: string, value: string): void {
    const host = new URL(origin).host;
    if (!this.jar.has(host)) this.jar.set(host, new Map());
    this.jar.get(host)!.set(name, value);
  }

  async fetch(url: string, init: RequestInit = {}): Promise<Response> {
    const host = new URL(url).host;
    const cookies = [...(this.jar.get(host) ?? [])].map(([k, v]) => `${k}=${v}`).join('; ');
    const headers = new Headers(init.headers);
    if (cookies) headers.set('cookie', cookies);
    const r = await fetch(url, { ...init, headers, redirect: 'manual' });
    this.visited.push(url);
    for (const line of r.headers.getSetCookie()) {
      const [pair, ...attrs] = line.split(';');
      const eq = pair!.indexOf('=');
      const name = pair!.slice(0, eq).trim();
      const value = pair!.slice(eq + 1).trim();
      const expired = attrs.some((a) => /^\s*expires=/i.test(a) && new Date(a.split('=')[1]!).getTime() < Date.now()) || attrs.some((a) => /^\s*max-age=0\s*$/i.test(a));
      if (!this.jar.has(host)) this.jar.set(host, new Map());
      if (expired || !value) this.jar.get(host)!.delete(name);
      else this.jar.get(host)!.set(name, value);
    }
    return r;
  }

  /** Follow redirects until a page that is not a redirect, or until `stopAt` matches the next URL. */
  async follow(url: string, opts: { stopAt?: (next: string) => boolean; accept?: string } = {}): Promise<{ response: Response; url: string }> {
    let current = url;
    for (let hops = 0; hops < 15; hops++) {
      const r = await this.fetch(current, { headers: { accept: opts.accept ?? 'text/html' } });
      const location = r.headers.get('location');
      if (r.status < 300 || r.status >= 400 || !location) return { response: r, url: current };
      const next = new URL(location, current).href;
      if (opts.stopAt?.(next)) return { response: r, url: next };
      current = next;
    }
    throw new Error('too many redirects');
  }
}

describe('OIDC sign-in against a real OpenID Provider', () => {
  let db: TestDatabase;
  let issuer: OidcIssuer;
  let app: TestServer;
  const callbackOf = (a: TestServer) => `${a.url}/api/v1/auth/oidc/callback`;

  beforeAll(async () => {
    db = await freshDatabase({ connect: false });
    issuer = await startOidcIssuer({ users: USERS });
    app = await startTestServer({
      databaseUrl: db.url,
      config: { auth: { oidc: { issuer: issuer.url, clientId: CLIENT.client_id, clientSecret: CLIENT.client_secret, scopes: ['openid', 'profile', 'email', 'groups'], roles: ROLES } } },
    });
    issuer.addClient({ ...CLIENT, redirect_uris: [callbackOf(app)] });
  });
  afterAll(async () => {
    await app?.close();
    await issuer?.close();
    await db?.drop();
  });

  /** Start at Driftline's login route and stop when the browser is about to come back to the callback. */
  async function toCallback(b: Browser, returnTo: string): Promise<string> {
    const start = `${app.url}/api/v1/auth/oidc/login?returnTo=${encodeURIComponent(returnTo)}`;
    const { url } = await b.follow(start, { stopAt: (next) => next.startsWith(callbackOf(app)) });
    expect(url.startsWith(callbackOf(app))).toBe(true);
    return url;
  }

  it('tells the web app that SSO is on', async () => {
    expect(await (await app.get('/api/v1/auth/config')).json()).toEqual({ oidc: { loginUrl: '/api/v1/auth/oidc/login' } });
  });

  it('signs a user in: issuer login, callback, session cookie, /me shows the name and the highest role', async () => {
    const b = new Browser();
    expect((await b.fetch(`${app.url}/api/v1/auth/me`)).status).toBe(401);
    issuer.signInAs('u-alice');
    const start = await b.fetch(`${app.url}/api/v1/auth/oidc/login?returnTo=${encodeURIComponent('/environments/prod/drift?kind=Deployment')}`);
    expect(start.status).toBe(302);
    const authorize = new URL(start.headers.get('location')!);
    expect(authorize.origin).toBe(issuer.url);
    expect(authorize.searchParams.get('code_challenge_method')).toBe('S256');
    expect(authorize.searchParams.get('client_id')).toBe('driftline');
    expect(authorize.searchParams.get('state')).toBeTruthy();
    expect(authorize.searchParams.get('nonce')).toBeTruthy();
    expect(authorize.searchParams.get('redirect_uri')).toBe(callbackOf(app));
    // The pending sign-in is a sealed cookie: neither the verifier nor the nonce can be read from it.
    const sealed = b.cookie(app.url, 'driftline_oidc')!;
    expect(sealed).toBeTruthy();
    expect(decodeURIComponent(sealed)).not.toContain(authorize.searchParams.get('nonce')!);

    // Back at Driftline, the browser is sent to the page it asked for.
    const { url } = await b.follow(authorize.href, { stopAt: (next) => next.startsWith(app.url) && !next.includes('/api/') });
    expect(url).toBe(`${app.url}/environments/prod/drift?kind=Deployment`);
    expect(issuer.logins).toBeGreaterThan(0);
    expect(b.cookie(app.url, 'driftline_session')).toBeTruthy();
    expect(b.cookie(app.url, 'driftline_oidc')).toBeUndefined();

    const me = await b.fetch(`${app.url}/api/v1/auth/me`);
    expect(me.status).toBe(200);
    expect(await me.json()).toMatchObject({ name: 'alice@example.com', role: 'auditor', kind: 'oidc', via: 'session' });
    // The session opens the API like a token would, and signing out closes it.
    expect((await b.fetch(`${app.url}/api/v1/info`)).status).toBe(200);
    expect((await b.fetch(`${app.url}/api/v1/auth/session`, { method: 'DELETE' })).status).toBe(204);
    expect((await b.fetch(`${app.url}/api/v1/auth/me`)).status).toBe(401);
  }, 60_000);

  it('maps groups to the highest role and names users without email by preferred_username', async () => {
    const b = new Browser();
    issuer.signInAs('u-bob');
    await b.follow(await toCallback(b, '/alerts'));
    expect(await (await b.fetch(`${app.url}/api/v1/auth/me`)).json()).toMatchObject({ name: 'bob', role: 'admin', kind: 'oidc' });
  });

  it('refuses a user whose groups grant no role, with a page saying why', async () => {
    const b = new Browser();
    issuer.signInAs('u-mallory');
    const cb = await toCallback(b, '/');
    const page = await b.fetch(cb, { headers: { accept: 'text/html' } });
    expect(page.status).toBe(403);
    const html = await page.text();
    expect(html).toContain('Sign-in failed');
    expect(html).toContain('mallory@example.com');
    expect(html).toContain('grants a Driftline role');
    expect(html).toContain('href="/sign-in"');
    expect(b.cookie(app.url, 'driftline_session')).toBeUndefined();
    expect((await b.fetch(`${app.url}/api/v1/auth/me`)).status).toBe(401);

    // An API client gets the same refusal as problem+json.
    const api = new Browser();
    const cb2 = await toCallback(api, '/');
    const problem = await api.fetch(cb2, { headers: { accept: 'application/json' } });
    expect(problem.status).toBe(403);
    expect(problem.headers.get('content-type')).toContain('application/problem+json');
    expect(await problem.json()).toMatchObject({ status: 403, code: 'auth.oidc_no_role' });
  });

  it('refuses a callback whose state was tampered with, or whose sealed cookie was altered or missing', async () => {
    issuer.signInAs('u-alice');
    const b = new Browser();
    const cb = new URL(await toCallback(b, '/'));
    const sealed = b.cookie(app.url, 'driftline_oidc')!;
    const tampered = new URL(cb);
    tampered.searchParams.set('state', cb.searchParams.get('state')!.replace(/.$/, (c) => (c === 'A' ? 'B' : 'A')));
    const r = await b.fetch(tampered.href, { headers: { accept: 'application/json' } });
    expect(r.status).toBe(400);
    expect(await r.json()).toMatchObject({ code: 'auth.oidc_state_mismatch' });
    expect(b.cookie(app.url, 'driftline_session')).toBeUndefined();

    // A flipped byte in the sealed cookie makes it unreadable (AES-GCM), so the real code cannot be redeemed with it either.
    const parts = decodeURIComponent(sealed).split('.');
    parts[2] = parts[2]!.replace(/^./, (c) => (c === 'A' ? 'B' : 'A'));
    b.setCookie(app.url, 'driftline_oidc', parts.join('.'));
    const altered = await b.fetch(cb.href, { headers: { accept: 'application/json' } });
    expect(altered.status).toBe(400);
    expect(await altered.json()).toMatchObject({ code: 'auth.oidc_state_invalid' });

    // A callback opened in a browser that never started the sign-in (a forged link) is refused.
    const other = new Browser();
    const forged = await other.fetch(cb.href, { headers: { accept: 'application/json' } });
    expect(forged.status).toBe(400);
    expect(await forged.json()).toMatchObject({ code: 'auth.oidc_state_invalid' });
    expect(other.cookie(app.url, 'driftline_session')).toBeUndefined();
  });

  it('never returns to another site: returnTo=//evil.example and absolute URLs become /', async () => {
    issuer.signInAs('u-alice');
    for (const returnTo of ['//evil.example/x', 'https://evil.example/', '/\\evil.example', 'javascript:alert(1)']) {
      const b = new Browser();
      const done = await b.fetch(await toCallback(b, returnTo), { headers: { accept: 'text/html' } });
      expect(done.status).toBe(302);
      expect(done.headers.get('location')).toBe('/');
      expect(b.cookie(app.url, 'driftline_session')).toBeTruthy();
    }
  });

  it('reads the role from userinfo when the ID token does not carry it', async () => {
    const spec = await startOidcIssuer({ users: USERS, claimsInIdToken: false });
    const other = await startTestServer({
      databaseUrl: db.url,
      dataDir: app.dataDir,
      config: { auth: { oidc: { issuer: spec.url, clientId: CLIENT.client_id, clientSecret: CLIENT.client_secret, scopes: ['openid', 'email', 'groups'], roles: { ...ROLES, viewer: ['*'] } } } },
    });
    try {
      spec.addClient({ ...CLIENT, redirect_uris: [callbackOf(other)] });
      spec.signInAs('u-bob');
      const b = new Browser();
      await b.follow(`${other.url}/api/v1/auth/oidc/login?returnTo=/drift`);
      expect(await (await b.fetch(`${other.url}/api/v1/auth/me`)).json()).toMatchObject({ name: 'u-bob', role: 'admin', kind: 'oidc' });
      // '*' lets anyone the issuer knows in, as a viewer.
      spec.signInAs('u-mallory');
      const m = new Browser();
      await m.follow(`${other.url}/api/v1/auth/oidc/login`);
      expect(await (await m.fetch(`${other.url}/api/v1/auth/me`)).json()).toMatchObject({ name: 'mallory@example.com', role: 'viewer' });
    } finally {
      await other.close();
      await spec.close();
    }
  });

  it('answers 502 with the reason when the issuer cannot be reached, and keeps serving', async () => {
    // A port that was free a moment ago: nothing answers there.
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const issuerUrl = `http://127.0.0.1:${(closed.address() as AddressInfo).port}/realms/none`;
    await new Promise<void>((resolve) => closed.close(() => resolve()));
    const other = await startTestServer({
      databaseUrl: db.url,
      dataDir: app.dataDir,
      config: { auth: { oidc: { issuer: issuerUrl, clientId: 'driftline', roles: ROLES } } },
    });
    try {
      const r = await fetch(`${other.url}/api/v1/auth/oidc/login`, { redirect: 'manual', headers: { accept: 'application/json' } });
      expect(r.status).toBe(502);
      expect(await r.json()).toMatchObject({ code: 'auth.oidc_unreachable', detail: expect.stringContaining(`${issuerUrl} could not be used (ECONNREFUSED)`) });
      expect((await other.get('/healthz')).status).toBe(200);
    } finally {
      await other.close();
    }
  });
});
