import createClient from 'openapi-fetch';
import type { paths } from './schema';

/** Typed API client, generated from the backend's OpenAPI document (npm run gen:client). */
export const api = createClient<paths>({ baseUrl: '' });

let onSignedOut: (() => void) | null = null;
/** Called when any API call answers 401 (the session ended or was never there); the sign-in calls themselves excepted. */
export function whenSignedOut(handler: () => void): void {
  onSignedOut = handler;
}
api.use({
  onResponse({ request, response }) {
    if (response.status === 401 && !new URL(request.url, window.location.origin).pathname.startsWith('/api/v1/auth/')) onSignedOut?.();
    return undefined;
  },
});

export class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly requestId?: string,
  ) {
    super(message);
  }
}

/** Unwrap an openapi-fetch result: data, or an ApiError carrying the problem+json detail. */
export function unwrap<T>(r: { data?: T; error?: unknown; response: Response }): T {
  if (r.error !== undefined || r.data === undefined) {
    const p = (r.error ?? {}) as { detail?: string; requestId?: string };
    throw new ApiError(r.response.status, p.detail ?? `request failed with status ${r.response.status}`, p.requestId);
  }
  return r.data;
}
