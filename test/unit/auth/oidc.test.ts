import { describe, expect, it } from 'vitest';
import { randomBytes } from 'node:crypto';
import { claimValues, displayName, roleFor, safeReturnTo } from '../../../api/src/auth/oidc-claims';
import { openPending, sealPending, stateKey } from '../../../api/src/auth/oidc-state';

const mapping = { admin: ['ops-admins'], auditor: ['audit'], viewer: ['sre', 'dev'] };

describe('OIDC role mapping', () => {
  it('grants the highest role any claim value maps to, and none when nothing matches', () => {
    expect(roleFor(['dev', 'audit'], mapping)).toBe('auditor');
    expect(roleFor(['sre', 'ops-admins'], mapping)).toBe('admin');
    expect(roleFor(['marketing'], mapping)).toBeNull();
    expect(roleFor([], mapping)).toBeNull();
    expect(roleFor([], { ...mapping, viewer: ['*'] })).toBe('viewer');
  });

  it('reads a string, a list, or a dotted path into nested claims', () => {
    expect(claimValues({ groups: 'sre' }, 'groups')).toEqual(['sre']);
    expect(claimValues({ groups: ['sre', 3, 'dev'] }, 'groups')).toEqual(['sre', 'dev']);
    expect(claimValues({ realm_access: { roles: ['audit'] } }, 'realm_access.roles')).toEqual(['audit']);
    expect(claimValues({ 'https://example.com/roles': ['x'] }, 'https://example.com/roles')).toEqual(['x']);
    expect(claimValues({}, 'groups')).toBeUndefined();
  });

  it('names a user by the configured claim, then email, preferred_username, sub', () => {
    expect(displayName({ sub: 's', email: 'a@x', name: 'Alice' }, 'name')).toBe('Alice');
    expect(displayName({ sub: 's', email: 'a@x', preferred_username: 'alice' })).toBe('a@x');
    expect(displayName({ sub: 's', preferred_username: 'alice' })).toBe('alice');
    expect(displayName({ sub: 's' }, 'missing')).toBe('s');
  });
});

describe('returnTo after sign-in', () => {
  it('keeps paths on this site, with their query and fragment', () => {
    expect(safeReturnTo('/environments/prod/drift?kind=Deployment#x')).toBe('/environments/prod/drift?kind=Deployment#x');
    expect(safeReturnTo('/a/../b')).toBe('/b');
  });
  it('turns anything that could leave the site into /', () => {
    for (const bad of ['//evil.example', '/\\evil.example', 'https://evil.example/', 'javascript:alert(1)', 'evil', '/\tx', '', undefined, ['/a']]) {
      expect(safeReturnTo(bad)).toBe('/');
    }
  });
});

describe('the sealed sign-in state', () => {
  const key = stateKey(randomBytes(32));
  const pending = { state: 's', nonce: 'n', codeVerifier: 'v', redirectUri: 'http://x/cb', returnTo: '/', expiresAt: Date.now() + 60_000 };

  it('opens with the same key and hides its contents', () => {
    const sealed = sealPending(key, pending);
    expect(sealed).not.toContain('"nonce"');
    expect(Buffer.from(sealed.split('.')[2]!, 'base64url').toString()).not.toContain('codeVerifier');
    expect(openPending(key, sealed)).toEqual(pending);
  });

  it('refuses an altered, truncated, foreign or expired value', () => {
    const sealed = sealPending(key, pending);
    const [v, iv, body, tag] = sealed.split('.');
    const flip = (s: string) => (s[0] === 'A' ? 'B' : 'A') + s.slice(1);
    expect(openPending(key, [v, iv, flip(body!), tag].join('.'))).toBeNull();
    expect(openPending(key, [v, iv, body, tag!.slice(0, 6)].join('.'))).toBeNull();
    expect(openPending(stateKey(randomBytes(32)), sealed)).toBeNull();
    expect(openPending(key, sealed, pending.expiresAt + 1)).toBeNull();
    expect(openPending(key, null)).toBeNull();
    expect(openPending(key, 'garbage')).toBeNull();
  });
});
