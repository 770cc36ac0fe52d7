import { unsupportedMediaType } from './status';
import type { KubeObject } from './types';

/**
 * Decoding of the Kubernetes protobuf encoding (`application/vnd.kubernetes.protobuf`) for the request bodies
 * kubectl's generators send: `kubectl create namespace|configmap|secret generic|serviceaccount|deployment`
 * use typed clients that post protobuf, not JSON. Only those kinds, and only the fields those generators can
 * set, are known; a body with any other non-empty field is refused with 415 rather than half-read.
 *
 * Wire format: the 4 bytes "k8s\0", then a runtime.Unknown {typeMeta=1 {apiVersion=1, kind=2}, raw=2}, where
 * raw is the object's message. go-to-protobuf writes zero values of non-pointer fields, so zero values are
 * dropped (like JSON's omitempty) unless the field is a pointer in the Go type.
 */

type Kind = 'string' | 'bytes' | 'int' | 'bool' | 'map' | 'bytesMap' | 'quantityMap' | 'intOrString' | Schema;
interface Field {
  name: string;
  kind: Kind;
  repeated?: boolean;
  /** A pointer in the Go type: a zero value was set on purpose and is kept. */
  pointer?: boolean;
}
interface Schema {
  [field: number]: Field;
}

/** ObjectMeta fields the server owns; whatever a client sends there is ignored. */
const SERVER_OWNED_META = new Set([4, 5, 6, 7, 8, 9, 10, 17]);
const LocalObjectReference: Schema = { 1: { name: 'name', kind: 'string' } };
const ObjectMeta: Schema = {
  1: { name: 'name', kind: 'string' },
  2: { name: 'generateName', kind: 'string' },
  3: { name: 'namespace', kind: 'string' },
  11: { name: 'labels', kind: 'map' },
  12: { name: 'annotations', kind: 'map' },
  14: { name: 'finalizers', kind: 'string', repeated: true },
};
const LabelSelector: Schema = {
  1: { name: 'matchLabels', kind: 'map' },
  2: { name: 'matchExpressions', repeated: true, kind: { 1: { name: 'key', kind: 'string' }, 2: { name: 'operator', kind: 'string' }, 3: { name: 'values', kind: 'string', repeated: true } } },
};
const Container: Schema = {
  1: { name: 'name', kind: 'string' },
  2: { name: 'image', kind: 'string' },
  3: { name: 'command', kind: 'string', repeated: true },
  4: { name: 'args', kind: 'string', repeated: true },
  5: { name: 'workingDir', kind: 'string' },
  6: {
    name: 'ports',
    repeated: true,
    kind: { 1: { name: 'name', kind: 'string' }, 2: { name: 'hostPort', kind: 'int' }, 3: { name: 'containerPort', kind: 'int' }, 4: { name: 'protocol', kind: 'string' }, 5: { name: 'hostIP', kind: 'string' } },
  },
  7: { name: 'env', repeated: true, kind: { 1: { name: 'name', kind: 'string' }, 2: { name: 'value', kind: 'string' } } },
  8: { name: 'resources', kind: { 1: { name: 'limits', kind: 'quantityMap' }, 2: { name: 'requests', kind: 'quantityMap' } } },
  13: { name: 'terminationMessagePath', kind: 'string' },
  14: { name: 'imagePullPolicy', kind: 'string' },
  16: { name: 'stdin', kind: 'bool' },
  17: { name: 'stdinOnce', kind: 'bool' },
  18: { name: 'tty', kind: 'bool' },
  20: { name: 'terminationMessagePolicy', kind: 'string' },
};
const PodSpec: Schema = {
  2: { name: 'containers', kind: Container, repeated: true },
  3: { name: 'restartPolicy', kind: 'string' },
  4: { name: 'terminationGracePeriodSeconds', kind: 'int', pointer: true },
  6: { name: 'dnsPolicy', kind: 'string' },
  7: { name: 'nodeSelector', kind: 'map' },
  8: { name: 'serviceAccountName', kind: 'string' },
  9: { name: 'serviceAccount', kind: 'string' },
  10: { name: 'nodeName', kind: 'string' },
  11: { name: 'hostNetwork', kind: 'bool' },
  12: { name: 'hostPID', kind: 'bool' },
  13: { name: 'hostIPC', kind: 'bool' },
  15: { name: 'imagePullSecrets', kind: LocalObjectReference, repeated: true },
  16: { name: 'hostname', kind: 'string' },
  17: { name: 'subdomain', kind: 'string' },
  19: { name: 'schedulerName', kind: 'string' },
  20: { name: 'initContainers', kind: Container, repeated: true },
  24: { name: 'priorityClassName', kind: 'string' },
};
const DeploymentSpec: Schema = {
  1: { name: 'replicas', kind: 'int', pointer: true },
  2: { name: 'selector', kind: LabelSelector, pointer: true },
  3: { name: 'template', kind: { 1: { name: 'metadata', kind: ObjectMeta }, 2: { name: 'spec', kind: PodSpec } } },
  4: {
    name: 'strategy',
    kind: {
      1: { name: 'type', kind: 'string' },
      2: { name: 'rollingUpdate', pointer: true, kind: { 1: { name: 'maxUnavailable', kind: 'intOrString', pointer: true }, 2: { name: 'maxSurge', kind: 'intOrString', pointer: true } } },
    },
  },
  5: { name: 'minReadySeconds', kind: 'int' },
  6: { name: 'revisionHistoryLimit', kind: 'int', pointer: true },
  7: { name: 'paused', kind: 'bool' },
  9: { name: 'progressDeadlineSeconds', kind: 'int', pointer: true },
};

const KINDS: Record<string, Schema> = {
  'v1/Namespace': { 1: { name: 'metadata', kind: ObjectMeta }, 2: { name: 'spec', kind: { 1: { name: 'finalizers', kind: 'string', repeated: true } } } },
  'v1/ConfigMap': {
    1: { name: 'metadata', kind: ObjectMeta },
    2: { name: 'data', kind: 'map' },
    3: { name: 'binaryData', kind: 'bytesMap' },
    4: { name: 'immutable', kind: 'bool', pointer: true },
  },
  'v1/Secret': {
    1: { name: 'metadata', kind: ObjectMeta },
    2: { name: 'data', kind: 'bytesMap' },
    3: { name: 'type', kind: 'string' },
    4: { name: 'stringData', kind: 'map' },
    5: { name: 'immutable', kind: 'bool', pointer: true },
  },
  'v1/ServiceAccount': {
    1: { name: 'metadata', kind: ObjectMeta },
    3: { name: 'imagePullSecrets', kind: LocalObjectReference, repeated: true },
    4: { name: 'automountServiceAccountToken', kind: 'bool', pointer: true },
  },
  'apps/v1/Deployment': { 1: { name: 'metadata', kind: ObjectMeta }, 2: { name: 'spec', kind: DeploymentSpec } },
};

export const PROTOBUF_CONTENT_TYPE = 'application/vnd.kubernetes.protobuf';

class Reader {
  i = 0;
  constructor(readonly buf: Buffer) {}
  get done(): boolean {
    return this.i >= this.buf.length;
  }
  varint(): number {
    let result = 0;
    let mul = 1;
    for (;;) {
      if (this.i >= this.buf.length) throw new Error('truncated varint');
      const b = this.buf[this.i++]!;
      result += (b & 0x7f) * mul;
      if ((b & 0x80) === 0) break;
      mul *= 128;
    }
    // Negative int32/int64 values are sign-extended to 64 bits.
    return result >= 2 ** 63 ? result - 2 ** 64 : result;
  }
  bytes(): Buffer {
    const len = this.varint();
    if (this.i + len > this.buf.length) throw new Error('truncated field');
    const out = this.buf.subarray(this.i, this.i + len);
    this.i += len;
    return out;
  }
  skip(wireType: number): Buffer | number {
    if (wireType === 0) return this.varint();
    if (wireType === 2) return this.bytes();
    if (wireType === 1) return this.fixed(8);
    if (wireType === 5) return this.fixed(4);
    throw new Error(`unsupported wire type ${wireType}`);
  }
  private fixed(n: number): Buffer {
    const out = this.buf.subarray(this.i, this.i + n);
    this.i += n;
    return out;
  }
}

/** True when a length-delimited value carries nothing: empty, or a message whose fields are all zero. */
function isZeroMessage(buf: Buffer, depth = 0): boolean {
  if (buf.length === 0) return true;
  if (depth > 8) return false;
  try {
    const r = new Reader(buf);
    while (!r.done) {
      const tag = r.varint();
      const v = r.skip(tag & 7);
      if (typeof v === 'number' ? v !== 0 : !isZeroMessage(v, depth + 1)) return false;
    }
    return true;
  } catch {
    return false;
  }
}

function decodeMessage(buf: Buffer, schema: Schema, where: string, isMeta = false): KubeObject {
  const r = new Reader(buf);
  const out: KubeObject = {};
  while (!r.done) {
    const tag = r.varint();
    const num = Math.floor(tag / 8);
    const wt = tag & 7;
    const field = schema[num];
    if (!field) {
      const v = r.skip(wt);
      if (isMeta && SERVER_OWNED_META.has(num)) continue;
      if (typeof v === 'number' ? v === 0 : isZeroMessage(v)) continue;
      throw new Error(`${where}: field ${num} is not supported by the simulator's protobuf decoder`);
    }
    const value = decodeValue(r, wt, field, `${where}.${field.name}`);
    if (field.kind === 'map' || field.kind === 'bytesMap' || field.kind === 'quantityMap') {
      const [k, v] = value as [string, unknown];
      (out[field.name] ??= {})[k] = v;
    } else if (field.repeated) {
      (out[field.name] ??= []).push(value);
    } else {
      out[field.name] = value;
    }
  }
  // Drop zero values of non-pointer fields, as JSON's omitempty would.
  for (const num of Object.keys(schema)) {
    const f = schema[Number(num)]!;
    const v = out[f.name];
    if (f.pointer || v === undefined) continue;
    if (v === '' || v === 0 || v === false || (typeof v === 'object' && v !== null && !Array.isArray(v) && Object.keys(v).length === 0)) delete out[f.name];
  }
  return out;
}

function decodeValue(r: Reader, wt: number, field: Field, where: string): unknown {
  const k = field.kind;
  if (k === 'int') return r.varint();
  if (k === 'bool') return r.varint() !== 0;
  if (wt !== 2) throw new Error(`${where}: unexpected wire type ${wt}`);
  const buf = r.bytes();
  if (k === 'string') return buf.toString('utf8');
  if (k === 'bytes') return buf.toString('base64');
  if (k === 'map' || k === 'bytesMap' || k === 'quantityMap') {
    const entry = new Reader(buf);
    let key = '';
    let value: unknown = k === 'map' ? '' : k === 'bytesMap' ? '' : '0';
    while (!entry.done) {
      const tag = entry.varint();
      const b = entry.bytes();
      if (tag >> 3 === 1) key = b.toString('utf8');
      else if (tag >> 3 === 2) {
        if (k === 'map') value = b.toString('utf8');
        else if (k === 'bytesMap') value = b.toString('base64');
        else value = decodeMessage(b, { 1: { name: 'string', kind: 'string' } }, where).string ?? '0';
      }
    }
    return [key, value];
  }
  if (k === 'intOrString') {
    const v = decodeMessage(buf, { 1: { name: 'type', kind: 'int' }, 2: { name: 'intVal', kind: 'int' }, 3: { name: 'strVal', kind: 'string' } }, where);
    return v.type === 1 ? (v.strVal ?? '') : (v.intVal ?? 0);
  }
  return decodeMessage(buf, k, where, k === ObjectMeta);
}

/** Decodes a protobuf request body into the JSON object it stands for, or answers 415. */
export function decodeProtobufObject(body: Buffer): KubeObject {
  const refuse = (why: string) => {
    const err = unsupportedMediaType(PROTOBUF_CONTENT_TYPE, ['application/json', 'application/yaml']);
    err.status.message = `${err.status.message} (the simulator decodes protobuf only for kubectl create namespace|configmap|secret|serviceaccount|deployment: ${why}; use kubectl create -f)`;
    return err;
  };
  if (body.length < 4 || body.subarray(0, 4).toString('latin1') !== 'k8s\u0000') throw refuse('missing the k8s protobuf envelope');
  try {
    const envelope = decodeMessage(body.subarray(4), {
      1: { name: 'typeMeta', kind: { 1: { name: 'apiVersion', kind: 'string' }, 2: { name: 'kind', kind: 'string' } } },
      2: { name: 'raw', kind: 'bytes' },
      3: { name: 'contentEncoding', kind: 'string' },
      4: { name: 'contentType', kind: 'string' },
    }, 'Unknown');
    const apiVersion = String(envelope.typeMeta?.apiVersion ?? '');
    const kind = String(envelope.typeMeta?.kind ?? '');
    const schema = KINDS[`${apiVersion}/${kind}`];
    if (!schema) throw new Error(`${apiVersion} ${kind} is not supported`);
    const obj = decodeMessage(Buffer.from(String(envelope.raw ?? ''), 'base64'), schema, kind);
    return { apiVersion, kind, ...obj };
  } catch (e) {
    if (e instanceof Error && e.name === 'SimStatusError') throw e;
    throw refuse((e as Error).message);
  }
}
