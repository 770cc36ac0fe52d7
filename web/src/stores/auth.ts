import { defineStore } from 'pinia';
import { ref } from 'vue';
import { api, ApiError, unwrap } from '../api/client';
import type { components } from '../api/schema';

export type SignedIn = components['schemas']['SignedInDto'];
export type AuthConfig = components['schemas']['AuthConfigDto'];

/** Who is signed in (from the HttpOnly session cookie, which scripts cannot read), and how one may sign in. */
export const useAuthStore = defineStore('auth', () => {
  const me = ref<SignedIn | null>(null);
  /** Whether the server was asked since the last change (sign-in, sign-out, a 401). */
  const known = ref(false);
  const config = ref<AuthConfig | null>(null);
  /** A token from a sign-in link, exchanged for a session on the first navigation. */
  const linkToken = ref<string | null>(null);
  /** Why the sign-in link did not work, shown on the sign-in page. */
  const linkError = ref<string | null>(null);
  let pending: Promise<SignedIn | null> | null = null;

  async function fetchMe(): Promise<SignedIn | null> {
    if (linkToken.value) {
      const token = linkToken.value;
      linkToken.value = null;
      try {
        await signIn(token);
      } catch (e) {
        linkError.value = e instanceof ApiError && e.status === 401 ? 'The sign-in link is invalid or has expired. Sign in with a token instead.' : `Signing in with the link failed: ${(e as Error).message}`;
      }
    }
    const r = await api.GET('/api/v1/auth/me');
    me.value = r.response.status === 401 ? null : unwrap(r);
    known.value = true;
    return me.value;
  }

  /** The signed-in user, asking the server once (and again after forget()). Throws when the server cannot say. */
  function ensure(): Promise<SignedIn | null> {
    if (known.value) return Promise.resolve(me.value);
    pending ??= fetchMe().finally(() => (pending = null));
    return pending;
  }

  /** Exchange a token for a session cookie; an ApiError with status 401 when the token is not accepted. */
  async function signIn(token: string): Promise<void> {
    const r = await api.POST('/api/v1/auth/session', { body: { token } });
    if (!r.response.ok) unwrap(r);
    linkError.value = null;
    known.value = false;
  }

  async function signOut(): Promise<void> {
    try {
      await api.DELETE('/api/v1/auth/session');
    } finally {
      me.value = null;
      known.value = true;
    }
  }

  /** The session ended somewhere (a 401): ask again next time. */
  function forget(): void {
    me.value = null;
    known.value = false;
  }

  async function loadConfig(): Promise<AuthConfig> {
    config.value ??= unwrap(await api.GET('/api/v1/auth/config'));
    return config.value;
  }

  return { me, known, config, linkToken, linkError, ensure, signIn, signOut, forget, loadConfig };
});
