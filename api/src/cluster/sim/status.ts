/**
 * apimachinery `Status` objects (k8s.io/apimachinery/pkg/api/errors), in the JSON shape
 * the API server sends for failures.
 */

export interface StatusCause {
  reason?: string;
  message?: string;
  field?: string;
}

export interface StatusDetails {
  name?: string;
  group?: string;
  kind?: string;
  uid?: string;
  causes?: StatusCause[];
  retryAfterSeconds?: number;
}

export interface StatusObject {
  kind: 'Status';
  apiVersion: 'v1';
  metadata: { resourceVersion?: string; continue?: string };
  status: 'Success' | 'Failure';
  message?: string;
  reason?: string;
  details?: StatusDetails;
  /** Absent on a Success status, as the API server sends it. */
  code?: number;
}

/** A failure that maps to an HTTP answer with a Status body. */
export class SimStatusError extends Error {
  constructor(readonly status: StatusObject) {
    super(status.message ?? status.reason ?? `status ${status.code}`);
    this.name = 'SimStatusError';
  }
  get code(): number {
    return this.status.code ?? 500;
  }
}

/** Identifies a resource in messages: "configmaps", "deployments.apps". */
export interface GroupResource {
  group: string;
  resource: string;
}

const qualified = (gr: GroupResource) => (gr.group ? `${gr.resource}.${gr.group}` : gr.resource);

function details(gr: GroupResource, name?: string, extra: Partial<StatusDetails> = {}): StatusDetails {
  const d: StatusDetails = {};
  if (name !== undefined && name !== '') d.name = name;
  if (gr.group) d.group = gr.group;
  d.kind = gr.resource;
  return { ...d, ...extra };
}

export function failure(code: number, reason: string, message: string, det?: StatusDetails): SimStatusError {
  const status: StatusObject = { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message, reason, code };
  if (det && Object.keys(det).length > 0) status.details = det;
  return new SimStatusError(status);
}

export const notFound = (gr: GroupResource, name: string) =>
  failure(404, 'NotFound', `${qualified(gr)} "${name}" not found`, details(gr, name));

/** The answer to a path that names no resource. */
export const pathNotFound = () =>
  new SimStatusError({
    kind: 'Status',
    apiVersion: 'v1',
    metadata: {},
    status: 'Failure',
    message: 'the server could not find the requested resource',
    reason: 'NotFound',
    details: {},
    code: 404,
  });

export const alreadyExists = (gr: GroupResource, name: string) =>
  failure(409, 'AlreadyExists', `${qualified(gr)} "${name}" already exists`, details(gr, name));

export const conflict = (gr: GroupResource, name: string, why = 'the object has been modified; please apply your changes to the latest version and try again') =>
  failure(409, 'Conflict', `Operation cannot be fulfilled on ${qualified(gr)} "${name}": ${why}`, details(gr, name));

export function forbidden(gr: GroupResource, verb: string, user: string, namespace: string | undefined, name?: string) {
  const scope = namespace ? `in the namespace "${namespace}"` : 'at the cluster scope';
  return failure(
    403,
    'Forbidden',
    `${qualified(gr)}${name ? ` "${name}"` : ''} is forbidden: User "${user}" cannot ${verb} resource "${gr.resource}" in API group "${gr.group}" ${scope}`,
    details(gr, name),
  );
}

export const unauthorized = () => failure(401, 'Unauthorized', 'Unauthorized');

export const badRequest = (message: string) => failure(400, 'BadRequest', message);

export const methodNotAllowed = (method: string) =>
  failure(405, 'MethodNotAllowed', `the server does not allow this method on the requested resource`, {});

export const unsupportedMediaType = (contentType: string, accepted: string[]) =>
  failure(
    415,
    'UnsupportedMediaType',
    `the body of the request was in an unknown format - accepted media types include: ${accepted.join(', ')}`,
    contentType ? { causes: [{ reason: 'UnexpectedServerResponse', message: contentType }] } : undefined,
  );

export function invalid(kind: string, group: string, name: string, causes: Array<{ field: string; reason: string; message: string }>) {
  const body = causes.map((c) => `${c.field}: ${c.message}`).join(', ');
  const list = causes.length > 1 ? `[${body}]` : body;
  const d: StatusDetails = { name: name || undefined, kind, causes: causes.map((c) => ({ reason: c.reason, message: c.message, field: c.field })) };
  if (!d.name) delete d.name;
  if (group) d.group = group;
  return failure(422, 'Invalid', `${kind}${group ? `.${group}` : ''} "${name}" is invalid: ${list}`, d);
}

/** 422 with no field detail, as apimachinery's NewGenericServerResponse gives for a patch that does not apply. */
export const unprocessable = (message: string) => failure(422, 'Invalid', message);

/** "too old resource version", used by watches and by lists with an expired continue token. */
export const expired = (message: string, continueToken?: string) => {
  const err = failure(410, 'Expired', message);
  if (continueToken) err.status.metadata = { continue: continueToken };
  return err;
};

export const tooLargeResourceVersion = (asked: number, current: number) =>
  failure(504, 'Timeout', `Too large resource version: ${asked}, current: ${current}`, {
    causes: [{ reason: 'ResourceVersionTooLarge', message: 'Too large resource version' }],
    retryAfterSeconds: 1,
  });

export const serviceUnavailable = () => failure(503, 'ServiceUnavailable', 'the server is currently unable to handle the request');

export const internalError = (message: string) =>
  failure(500, 'InternalError', `Internal error occurred: ${message}`, { causes: [{ message }] });

export function success(gr: GroupResource, name: string, uid?: string): StatusObject {
  return { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Success', details: details(gr, name, uid ? { uid } : {}) };
}
