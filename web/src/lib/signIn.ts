/**
 * The token in a sign-in link (`https://driftline…/#token=dl_…`), removed from
 * the address bar and the history entry at once so it is not left behind for
 * the next person at the screen, a screenshot or a shared link.
 */
export function takeFragmentToken(location: Pick<Location, 'hash' | 'pathname' | 'search'>, history: Pick<History, 'replaceState' | 'state'>): string | null {
  if (!location.hash.startsWith('#')) return null;
  const token = new URLSearchParams(location.hash.slice(1)).get('token');
  if (!token) return null;
  history.replaceState(history.state, '', location.pathname + location.search);
  return token;
}

/** A path in this app to go to after sign-in; anything that could leave the site (or loop back to sign-in) becomes '/'. */
export function safeReturnTo(raw: unknown): string {
  if (typeof raw !== 'string' || !raw.startsWith('/') || raw.startsWith('//') || raw.startsWith('/\\')) return '/';
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u001f\u007f]/.test(raw) || /^\/sign-in(?:[/?#]|$)/.test(raw)) return '/';
  return raw;
}
