import { HttpMethod, IsomorphicFetchHttpLibrary, KubeConfig, RequestContext, Watch } from '@kubernetes/client-node';
import type { ClusterConfig } from '../config/schema';
import { VERSION } from '../version';

/** A failed request to the API server: an HTTP status with the Status reason, or a network error (status 0). */
export class KubeApiError extends Error {
  constructor(
    message: string,
    /** HTTP status; 0 for a network error or a timeout. */
    readonly status: number,
    /** Status.reason (Expired, Forbidden, NotFound, …) or the network error code (ECONNREFUSED, Timeout, …). */
    readonly reason: string,
    /** From a Retry-After header (429, 503), in milliseconds. */
    readonly retryAfterMs?: number,
  ) {
    super(message);
    this.name = 'KubeApiError';
  }

  /** 410 Gone / Expired: the resourceVersion or continue token is too old. */
  get expired(): boolean {
    return this.status === 410 || this.reason === 'Expired' || this.reason === 'Gone';
  }
}

/** One event of a watch stream. */
export interface WatchEvent {
  type: 'ADDED' | 'MODIFIED' | 'DELETED' | 'BOOKMARK' | 'ERROR' | string;
  object: Record<string, unknown>;
}

export interface OpenWatch {
  /** Resolves when the stream ends: null for a clean end, else the error. */
  done: Promise<Error | null>;
  /** True once the server answered 200 (the watch is established). */
  established: boolean;
  abort(): void;
}

/**
 * A KubeConfig loaded for one configured cluster: kubeconfig file (the given
 * path, else client-node's default: $KUBECONFIG or ~/.kube/config) and context,
 * or the in-cluster service account.
 */
export function loadKubeConfig(cluster: Pick<ClusterConfig, 'name' | 'kubeconfig' | 'context' | 'inCluster'>): KubeConfig {
  const kc = new KubeConfig();
  if (cluster.inCluster) {
    kc.loadFromCluster();
    return kc;
  }
  if (cluster.kubeconfig) kc.loadFromFile(cluster.kubeconfig);
  else kc.loadFromDefault();
  if (cluster.context) {
    if (!kc.getContextObject(cluster.context)) {
      throw new KubeApiError(`cluster "${cluster.name}": context "${cluster.context}" is not in the kubeconfig`, 0, 'BadConfig');
    }
    kc.setCurrentContext(cluster.context);
  }
  if (!kc.getCurrentCluster()) throw new KubeApiError(`cluster "${cluster.name}": the kubeconfig names no current cluster`, 0, 'BadConfig');
  return kc;
}

/**
 * The few calls Driftline makes to an API server: GET (discovery, list pages)
 * and watch. Uses client-node's own HTTP stack (authentication, TLS, proxies from
 * the kubeconfig) but keeps the status, the Status body and Retry-After, which the
 * generated clients hide.
 */
export class KubeClient {
  private readonly http = new IsomorphicFetchHttpLibrary();
  readonly server: string;

  constructor(
    readonly kc: KubeConfig,
    private readonly opts: { requestTimeoutMs?: number; watchIdleTimeoutMs?: number } = {},
  ) {
    this.server = kc.getCurrentCluster()!.server.replace(/\/+$/, '');
  }

  async get<T = Record<string, unknown>>(path: string, query: Record<string, string | number | boolean | undefined> = {}, timeoutMs?: number): Promise<T> {
    const url = new URL(this.server + path);
    for (const [k, v] of Object.entries(query)) if (v !== undefined && v !== '') url.searchParams.set(k, String(v));
    const ctx = new RequestContext(url.toString(), HttpMethod.GET);
    ctx.setHeaderParam('Accept', 'application/json');
    ctx.setHeaderParam('User-Agent', `driftline/${VERSION}`);
    await this.kc.applySecurityAuthentication(ctx);
    const ac = new AbortController();
    const limit = timeoutMs ?? this.opts.requestTimeoutMs ?? 60_000;
    const timer = setTimeout(() => ac.abort(), limit);
    ctx.setSignal(ac.signal);
    let status: number;
    let headers: Record<string, string>;
    let text: string;
    try {
      const res = await this.http.send(ctx).toPromise();
      status = res.httpStatusCode;
      headers = res.headers;
      text = await res.body.text();
    } catch (e) {
      throw ac.signal.aborted ? new KubeApiError(`GET ${path}: no answer within ${limit} ms`, 0, 'Timeout') : networkError(`GET ${path}`, e);
    } finally {
      clearTimeout(timer);
    }
    if (status >= 400) throw statusError(`GET ${path}`, status, text, headers['retry-after']);
    try {
      return JSON.parse(text) as T;
    } catch {
      throw new KubeApiError(`GET ${path}: the answer is not JSON`, status, 'BadResponse');
    }
  }

  /**
   * Opens a watch. Events are delivered synchronously in stream order. A non-200
   * answer or a network error ends it with a KubeApiError; an ERROR event is
   * delivered to onEvent (the caller decides) and the caller aborts.
   */
  async watch(path: string, query: Record<string, string | number | boolean | undefined>, onEvent: (ev: WatchEvent) => void): Promise<OpenWatch> {
    const w = new Watch(this.kc);
    // Idle timeout (no bytes for this long → the stream is treated as dead). client-node declares it private but
    // reads the field on every watch; real API servers send a bookmark about once a minute, so its 30 s default is short.
    (w as unknown as { requestTimeoutMs: number }).requestTimeoutMs = this.opts.watchIdleTimeoutMs ?? 90_000;
    let finish!: (e: Error | null) => void;
    const done = new Promise<Error | null>((r) => (finish = r));
    let ended = false;
    const handle: OpenWatch = { done, established: false, abort: () => undefined };
    const ctl = await w.watch(
      path,
      query,
      (type: string, object: Record<string, unknown>) => {
        if (!ended) onEvent({ type, object });
      },
      (err: unknown) => {
        if (ended) return;
        ended = true;
        finish(err ? watchError(path, err) : null);
      },
    );
    handle.abort = () => ctl.abort();
    handle.established = !ended;
    return handle;
  }
}

function networkError(what: string, e: unknown): KubeApiError {
  const err = e as NodeJS.ErrnoException & { cause?: NodeJS.ErrnoException & { errors?: NodeJS.ErrnoException[] } };
  const code = err.cause?.code ?? err.cause?.errors?.[0]?.code ?? err.code ?? err.name ?? 'NetworkError';
  return new KubeApiError(`${what}: ${code}${err.cause?.message && err.cause.message !== code ? ` (${err.cause.message})` : ''}`, 0, code);
}

function watchError(path: string, e: unknown): KubeApiError {
  const err = e as Error & { statusCode?: number };
  if (typeof err.statusCode === 'number') return new KubeApiError(`watch ${path}: ${err.statusCode} ${err.message}`, err.statusCode, reasonOfStatus(err.statusCode));
  if (err.name === 'TimeoutError') return new KubeApiError(`watch ${path}: no data within the idle timeout`, 0, 'Timeout');
  if (err.name === 'AbortError') return new KubeApiError(`watch ${path}: aborted`, 0, 'Aborted');
  return networkError(`watch ${path}`, e);
}

/** An error from an HTTP status and a Status body. */
export function statusError(what: string, status: number, body: string, retryAfter?: string): KubeApiError {
  let reason = reasonOfStatus(status);
  let message = `${status}`;
  try {
    const s = JSON.parse(body) as { reason?: string; message?: string };
    if (s.reason) reason = s.reason;
    if (s.message) message = `${status} ${s.message}`;
  } catch {
    /* not a Status */
  }
  return new KubeApiError(`${what}: ${message}`, status, reason, parseRetryAfter(retryAfter));
}

/** The Status of an ERROR watch event as an error. */
export function watchStatusError(path: string, status: Record<string, unknown>): KubeApiError {
  const code = typeof status.code === 'number' ? status.code : 500;
  const reason = typeof status.reason === 'string' && status.reason ? status.reason : reasonOfStatus(code);
  const message = typeof status.message === 'string' ? status.message : reason;
  return new KubeApiError(`watch ${path}: ERROR ${code} ${message}`, code, reason);
}

export function parseRetryAfter(v: string | undefined): number | undefined {
  if (!v) return undefined;
  const s = Number(v);
  if (Number.isFinite(s) && s >= 0) return Math.round(s * 1000);
  const t = Date.parse(v);
  return Number.isNaN(t) ? undefined : Math.max(0, t - Date.now());
}

function reasonOfStatus(code: number): string {
  switch (code) {
    case 401:
      return 'Unauthorized';
    case 403:
      return 'Forbidden';
    case 404:
      return 'NotFound';
    case 410:
      return 'Expired';
    case 429:
      return 'TooManyRequests';
    case 503:
      return 'ServiceUnavailable';
    case 504:
      return 'Timeout';
    default:
      return code >= 500 ? 'InternalError' : 'BadRequest';
  }
}
