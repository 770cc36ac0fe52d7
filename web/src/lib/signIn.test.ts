import { describe, expect, it } from 'vitest';
import { safeReturnTo, takeFragmentToken } from './signIn';

function fakeHistory() {
  const calls: string[] = [];
  return { calls, state: { back: null }, replaceState: (_s: unknown, _t: string, url?: string | URL | null) => void calls.push(String(url)) };
}

describe('the sign-in link', () => {
  it('takes the token from the fragment and removes the fragment, keeping path and query', () => {
    const h = fakeHistory();
    expect(takeFragmentToken({ hash: '#token=dl_abc123', pathname: '/drift', search: '?env=prod' }, h)).toBe('dl_abc123');
    expect(h.calls).toEqual(['/drift?env=prod']);
  });

  it('leaves other fragments alone', () => {
    const h = fakeHistory();
    expect(takeFragmentToken({ hash: '#section-2', pathname: '/', search: '' }, h)).toBeNull();
    expect(takeFragmentToken({ hash: '', pathname: '/', search: '' }, h)).toBeNull();
    expect(h.calls).toEqual([]);
  });
});

describe('where sign-in returns to', () => {
  it('keeps in-app paths and refuses other sites and the sign-in page itself', () => {
    expect(safeReturnTo('/environments/prod/drift?kind=Deployment')).toBe('/environments/prod/drift?kind=Deployment');
    for (const bad of ['//evil.example', '/\\evil.example', 'https://evil.example', 'javascript:alert(1)', '/sign-in?returnTo=/x', '/sign-in', undefined, null]) expect(safeReturnTo(bad)).toBe('/');
  });
});
