import { ROLES, Role } from './principal';

/** Which claim values grant which role ('*' in a list: any signed-in user). */
export interface RoleMapping {
  admin: string[];
  auditor: string[];
  viewer: string[];
}

/**
 * The values of a role claim: a string or a list of strings. The name may be a
 * dotted path into nested claims (Keycloak's `realm_access.roles`), tried only
 * when no claim has the literal name.
 */
export function claimValues(claims: Record<string, unknown>, name: string): string[] | undefined {
  let value: unknown = claims[name];
  if (value === undefined && name.includes('.')) {
    value = name.split('.').reduce<unknown>((v, k) => (v && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>)[k] : undefined), claims);
  }
  if (typeof value === 'string') return [value];
  if (Array.isArray(value)) return value.filter((v): v is string => typeof v === 'string');
  return undefined;
}

/** The highest role any of the user's claim values grants, or null when none does. */
export function roleFor(values: readonly string[], mapping: RoleMapping): Role | null {
  for (const role of [...ROLES].reverse()) {
    const granted = mapping[role];
    if (granted.includes('*') || values.some((v) => granted.includes(v))) return role;
  }
  return null;
}

/** The name shown for a signed-in user: the configured claim, else email, preferred_username, sub. */
export function displayName(claims: Record<string, unknown>, nameClaim?: string): string {
  for (const key of [nameClaim, 'email', 'preferred_username', 'sub']) {
    const v = key ? claims[key] : undefined;
    if (typeof v === 'string' && v.trim()) return v.trim().slice(0, 200);
  }
  return 'unknown';
}

/**
 * A path on this server to return to after sign-in, or '/' for anything else:
 * absolute URLs, scheme-relative '//host' and '/\host' (browsers read '\' as
 * '/'), and control characters never leave the site.
 */
export function safeReturnTo(raw: unknown): string {
  if (typeof raw !== 'string' || raw.length > 2000) return '/';
  // eslint-disable-next-line no-control-regex
  if (!raw.startsWith('/') || raw.startsWith('//') || raw.startsWith('/\\') || /[\u0000-\u001f\u007f]/.test(raw)) return '/';
  const base = new URL('http://driftline.invalid');
  let url: URL;
  try {
    url = new URL(raw, base);
  } catch {
    return '/';
  }
  if (url.origin !== base.origin) return '/';
  return url.pathname + url.search + url.hash;
}
