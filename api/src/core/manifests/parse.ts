import { isUtf8 } from 'node:buffer';
import { documentHash } from '../canonical';
import { groupOf, type ObjectIdentity } from '../identity';
import {
  isKubernetesList,
  isKustomizationFileName,
  isPlainObject,
  looksLikeKubernetes,
  manifestFileType,
  type KubernetesObjectLike,
} from './kubernetes';
import { isBuiltinClusterScoped, isToolConfigGroup } from './scope';
import { containsSopsValue, hasSopsBlock, isSopsCiphertext, SOPS_VALUE_MARKER } from './sops';
import { detectTemplate } from './template';
import { YamlLoadError, lineColumn, loadYamlDocuments } from './yaml';

/**
 * Outcome of reading one file as Kubernetes manifests.
 *  - ok: at least one object (other documents may have been empty or not Kubernetes).
 *  - not-kubernetes: nothing to index as objects (README, Terraform, Chart.yaml,
 *    an empty file); the caller records the file change only.
 *  - skipped: deliberately not parsed (too large, a template, SOPS with
 *    encrypted names). Not an error in the repository.
 *  - error: broken input. `objects` still holds the documents that parsed, so
 *    one bad document does not hide the others.
 */
export type ParseStatus = 'ok' | 'not-kubernetes' | 'error' | 'skipped';

/** Stable machine-readable reasons, stored with the blob. */
export type ParseReasonCode =
  // not-kubernetes
  | 'not-manifest-file'
  | 'empty'
  | 'not-kubernetes'
  // skipped
  | 'too-large'
  | 'template'
  | 'encrypted-identity'
  // error
  | 'binary'
  | 'yaml-syntax'
  | 'json-syntax'
  | 'duplicate-key'
  | 'alias-bomb'
  | 'missing-name';

const SKIP_CODES: ReadonlySet<ParseReasonCode> = new Set(['too-large', 'template', 'encrypted-identity']);

export interface ParsedObject {
  identity: ObjectIdentity;
  apiVersion: string;
  /**
   * The object as it would be applied: for namespaced kinds
   * metadata.namespace is filled in (defaulted when absent); for cluster-scoped
   * kinds it is removed, as the API server does. For `encrypted` objects this
   * is an opaque placeholder (see `encryptedPlaceholder`).
   */
  body: Record<string, unknown>;
  /** 0-based index of the YAML document in the file (counting empty ones). */
  docIndex: number;
  /** Index in `items` when the object came from a `List`. */
  listIndex?: number;
  /**
   * A kustomize configuration file (`kustomize.config.k8s.io` Kustomization or
   * Component, or a `kustomization.yaml` without apiVersion). It is returned so
   * a renderer can read `resources`/`patches`, but it is NOT a cluster object:
   * desired-state consumers must drop it. Its namespace is '' and, when it has
   * no metadata.name, its name is the file path.
   */
  isKustomizeConfig?: true;
  /** SOPS-encrypted: `body` is a placeholder, never the ciphertext or the plaintext. */
  encrypted?: true;
}

export interface DocumentProblem {
  docIndex: number;
  listIndex?: number;
  reasonCode: ParseReasonCode;
  reason: string;
}

export interface ParsedManifestFile {
  status: ParseStatus;
  reasonCode?: ParseReasonCode;
  /** Human-readable; includes line/column when the parser gave one. Never contains file content beyond a key name or a template line. */
  reason?: string;
  /** 1-based position of a file-level error, when known. */
  line?: number;
  column?: number;
  objects: ParsedObject[];
  /** Per-document problems (missing-name, encrypted-identity); file-level failures are in reasonCode/reason only. */
  problems: DocumentProblem[];
}

export interface ParseManifestOptions {
  /** Files larger than this are `skipped`/`too-large` without being looked at. */
  maxBytes: number;
  /** Size known without reading the blob (e.g. `git cat-file --batch-check`); lets the caller pass an empty Buffer for huge blobs. */
  size?: number;
  /** Namespace for namespaced objects that have none. Default 'default', as kubectl does. */
  defaultNamespace?: string;
  /** Scope from discovery: true = namespaced, false = cluster-scoped, undefined = unknown (use the built-in table; unknown kinds are namespaced). */
  namespacedKinds?: (group: string, kind: string) => boolean | undefined;
}

const KUSTOMIZE_CONFIG_GROUP = 'kustomize.config.k8s.io';

/**
 * Parses one file from the repository into Kubernetes objects with identity.
 * Pure and synchronous; bad input never throws, it comes back as a status with
 * a reason code.
 */
export function parseManifestFile(path: string, content: Buffer, opts: ParseManifestOptions): ParsedManifestFile {
  try {
    return parseFile(path, content, opts);
  } catch (e) {
    // Safety net: hostile input must not take the indexer down.
    const code = manifestFileType(path) === 'json' ? 'json-syntax' : 'yaml-syntax';
    return fileResult('error', code, `could not read the file: ${e instanceof Error ? e.message : String(e)}`);
  }
}

const MAX_DEPTH = 100;

function parseFile(path: string, content: Buffer, opts: ParseManifestOptions): ParsedManifestFile {
  const type = manifestFileType(path);
  if (type === null) return notKubernetes('not-manifest-file', 'not a YAML or JSON file');

  const size = opts.size ?? content.length;
  if (size > opts.maxBytes) {
    return fileResult('skipped', 'too-large', `file is ${formatBytes(size)}, over the ${formatBytes(opts.maxBytes)} limit`);
  }

  const binary = binaryReason(content);
  if (binary !== null) return fileResult('error', 'binary', binary);

  let text = content.toString('utf8');
  if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);

  const ctx: DocContext = {
    path,
    defaultNamespace: opts.defaultNamespace ?? 'default',
    namespacedKinds: opts.namespacedKinds,
    mayHaveSopsValues: text.includes(SOPS_VALUE_MARKER),
    objects: [],
    problems: [],
    notKubernetes: 0,
  };

  if (type === 'json') {
    if (isBlank(text)) return notKubernetes('empty', 'empty');
    let doc: unknown;
    try {
      doc = JSON.parse(text);
    } catch (e) {
      const template = text.includes('{{') ? detectTemplate(text) : null;
      if (template) return templateResult(template);
      return jsonError(e, text);
    }
    if (deeperThan(doc, MAX_DEPTH)) {
      return fileResult('error', 'json-syntax', `invalid JSON: nesting deeper than ${MAX_DEPTH} levels`);
    }
    addDocument(ctx, doc, 0);
    return summarize(ctx, 1);
  }

  const template = detectTemplate(text);
  if (template) return templateResult(template);

  let documents: unknown[];
  try {
    documents = loadYamlDocuments(text).documents;
  } catch (e) {
    if (e instanceof YamlLoadError) {
      return { ...fileResult('error', e.code, e.message), line: e.line, column: e.column };
    }
    return fileResult('error', 'yaml-syntax', e instanceof Error ? e.message : String(e));
  }
  for (let i = 0; i < documents.length; i++) addDocument(ctx, documents[i], i);
  return summarize(ctx, documents.length);
}

interface DocContext {
  path: string;
  defaultNamespace: string;
  namespacedKinds: ParseManifestOptions['namespacedKinds'];
  mayHaveSopsValues: boolean;
  objects: ParsedObject[];
  problems: DocumentProblem[];
  notKubernetes: number;
}

function addDocument(ctx: DocContext, doc: unknown, docIndex: number): void {
  if (doc === null || doc === undefined) return; // empty document: `---` alone, comments only
  if (!isPlainObject(doc)) {
    ctx.notKubernetes++;
    return;
  }
  if (!looksLikeKubernetes(doc)) {
    const kind = doc.kind ?? 'Kustomization';
    if (isKustomizationFileName(ctx.path) && doc.apiVersion === undefined && (kind === 'Kustomization' || kind === 'Component')) {
      // kustomize accepts a kustomization.yaml without apiVersion (and kind).
      const apiVersion = kind === 'Component' ? 'kustomize.config.k8s.io/v1alpha1' : 'kustomize.config.k8s.io/v1beta1';
      addKustomizeConfig(ctx, doc, apiVersion, kind, docIndex);
    } else {
      ctx.notKubernetes++;
    }
    return;
  }
  const sopsDocument = hasSopsBlock(doc);
  if (isKubernetesList(doc)) {
    const items = doc.items as unknown[];
    const itemKind = doc.kind === 'List' ? undefined : doc.kind.slice(0, -'List'.length);
    for (let i = 0; i < items.length; i++) {
      const item = items[i];
      if (!isPlainObject(item)) {
        ctx.notKubernetes++;
        continue;
      }
      // Typed lists (`kubectl get deploy -o yaml` minus apiVersion/kind on items) name the item type.
      if (itemKind !== undefined) {
        if (item.apiVersion === undefined) item.apiVersion = doc.apiVersion;
        if (item.kind === undefined) item.kind = itemKind;
      }
      if (!looksLikeKubernetes(item)) {
        ctx.notKubernetes++;
        continue;
      }
      const payload = sopsDocument ? { item, sops: doc.sops } : item;
      addObject(ctx, item, docIndex, i, sopsDocument, payload);
    }
    return;
  }
  addObject(ctx, doc, docIndex, undefined, sopsDocument, doc);
}

function addObject(
  ctx: DocContext,
  obj: KubernetesObjectLike,
  docIndex: number,
  listIndex: number | undefined,
  sopsDocument: boolean,
  encryptedPayload: unknown,
): void {
  const { apiVersion, kind } = obj;
  const group = groupOf(apiVersion);
  if (group === KUSTOMIZE_CONFIG_GROUP) {
    addKustomizeConfig(ctx, obj, apiVersion, kind, docIndex);
    return;
  }

  const encrypted = sopsDocument || (ctx.mayHaveSopsValues && containsSopsValue(obj));
  const metadata = isPlainObject(obj.metadata) ? obj.metadata : undefined;
  const name = metadata?.name;
  if (encrypted && (isSopsCiphertext(apiVersion) || isSopsCiphertext(kind) || isSopsCiphertext(name) || isSopsCiphertext(metadata?.namespace))) {
    ctx.problems.push({
      docIndex,
      listIndex,
      reasonCode: 'encrypted-identity',
      reason: `${where(docIndex, listIndex)}: SOPS encrypted its apiVersion, kind, name or namespace, so it cannot be identified (use --encrypted-regex '^(data|stringData)$')`,
    });
    return;
  }
  if (typeof name !== 'string' || name.length === 0) {
    if (isToolConfigGroup(group, kind)) {
      ctx.notKubernetes++;
      return;
    }
    ctx.problems.push({ docIndex, listIndex, reasonCode: 'missing-name', reason: `${where(docIndex, listIndex)}: ${missingName(kind, metadata)}` });
    return;
  }

  const namespaced = ctx.namespacedKinds?.(group, kind) ?? !isBuiltinClusterScoped(group, kind);
  let namespace = '';
  if (namespaced) {
    const given = metadata?.namespace;
    namespace =
      typeof given === 'string' && given.length > 0
        ? given
        : typeof given === 'number'
          ? String(given)
          : ctx.defaultNamespace;
  }
  const identity: ObjectIdentity = { group, kind, namespace, name };

  if (encrypted) {
    ctx.objects.push({
      identity,
      apiVersion,
      body: encryptedPlaceholder(identity, apiVersion, encryptedPayload),
      docIndex,
      ...(listIndex !== undefined ? { listIndex } : {}),
      encrypted: true,
    });
    return;
  }

  const md = metadata as Record<string, unknown>; // name is a string, so metadata exists
  if (namespaced) md.namespace = namespace;
  else delete md.namespace;
  ctx.objects.push({ identity, apiVersion, body: obj, docIndex, ...(listIndex !== undefined ? { listIndex } : {}) });
}

function addKustomizeConfig(ctx: DocContext, obj: Record<string, unknown>, apiVersion: string, kind: string, docIndex: number): void {
  const metadata = isPlainObject(obj.metadata) ? obj.metadata : undefined;
  const name = typeof metadata?.name === 'string' && metadata.name.length > 0 ? metadata.name : ctx.path;
  ctx.objects.push({
    identity: { group: groupOf(apiVersion), kind, namespace: '', name },
    apiVersion,
    body: obj,
    docIndex,
    isKustomizeConfig: true,
  });
}

/**
 * What is stored for a SOPS-encrypted object: its identity and a hash of the
 * encrypted document (ciphertext and SOPS metadata), so a re-encryption or an
 * edit shows up as a change without anything secret being kept. Never decrypted.
 */
export function encryptedPlaceholder(identity: ObjectIdentity, apiVersion: string, payload: unknown): Record<string, unknown> {
  const metadata: Record<string, unknown> = { name: identity.name };
  if (identity.namespace) metadata.namespace = identity.namespace;
  return {
    apiVersion,
    kind: identity.kind,
    metadata,
    encrypted: { by: 'sops', sha256: documentHash(payload) },
  };
}

function summarize(ctx: DocContext, documentCount: number): ParsedManifestFile {
  const { objects, problems } = ctx;
  const firstError = problems.find((p) => !SKIP_CODES.has(p.reasonCode));
  if (firstError) {
    const more = problems.length > 1 ? ` (and ${problems.length - 1} more)` : '';
    return { status: 'error', reasonCode: firstError.reasonCode, reason: firstError.reason + more, objects, problems };
  }
  if (objects.length > 0) return { status: 'ok', objects, problems };
  if (problems.length > 0) {
    const p = problems[0]!;
    return { status: 'skipped', reasonCode: p.reasonCode, reason: p.reason, objects, problems };
  }
  if (ctx.notKubernetes === 0) return notKubernetes('empty', 'empty');
  return notKubernetes(
    'not-kubernetes',
    documentCount === 1 ? 'no apiVersion/kind: not a Kubernetes object' : 'no document has apiVersion/kind',
  );
}

function missingName(kind: string, metadata: Record<string, unknown> | undefined): string {
  const name = metadata?.name;
  if (name === undefined || name === null || name === '') {
    const hint = typeof metadata?.generateName === 'string' ? ' (generateName gives no stable identity)' : '';
    return `${kind} has no metadata.name${hint}`;
  }
  const hint = typeof name === 'boolean' ? ' (quote it: YAML reads y/n/yes/no/on/off as booleans)' : ' (quote it)';
  return `${kind} metadata.name must be a string, not a ${Array.isArray(name) ? 'list' : typeof name}${hint}`;
}

function where(docIndex: number, listIndex: number | undefined): string {
  return listIndex === undefined ? `document ${docIndex + 1}` : `document ${docIndex + 1}, item ${listIndex + 1}`;
}

function fileResult(status: ParseStatus, reasonCode: ParseReasonCode, reason: string): ParsedManifestFile {
  return { status, reasonCode, reason, objects: [], problems: [] };
}

function notKubernetes(reasonCode: ParseReasonCode, reason: string): ParsedManifestFile {
  return fileResult('not-kubernetes', reasonCode, reason);
}

function templateResult(t: { line: number; column: number; snippet: string }): ParsedManifestFile {
  return {
    ...fileResult('skipped', 'template', `Helm/Go template syntax at line ${t.line}, column ${t.column}: ${t.snippet}`),
    line: t.line,
    column: t.column,
  };
}

/** Why a buffer is not UTF-8 text, or null when it is. */
function binaryReason(content: Buffer): string | null {
  if (content.length >= 2) {
    const b0 = content[0]!;
    const b1 = content[1]!;
    if ((b0 === 0xff && b1 === 0xfe) || (b0 === 0xfe && b1 === 0xff)) {
      return 'UTF-16 text (byte order mark); only UTF-8 is supported';
    }
  }
  const nul = content.indexOf(0);
  if (nul >= 0) return `binary content (NUL byte at offset ${nul})`;
  if (!isUtf8(content)) return 'not valid UTF-8';
  return null;
}

function jsonError(e: unknown, text: string): ParsedManifestFile {
  const message = e instanceof Error ? e.message : String(e);
  // V8 quotes part of the input in its message; keep only the diagnosis.
  const diagnosis = message.replace(/,\s*".*" is not valid JSON/s, '').replace(/\s*\(line \d+ column \d+\)/, '');
  let line: number | undefined;
  let column: number | undefined;
  const lc = /line (\d+) column (\d+)/.exec(message);
  if (lc) {
    line = Number(lc[1]);
    column = Number(lc[2]);
  } else {
    const pos = /at position (\d+)/.exec(message);
    if (pos) ({ line, column } = lineColumn(text, Number(pos[1])));
  }
  const at = line !== undefined ? ` (line ${line}, column ${column})` : '';
  return { ...fileResult('error', 'json-syntax', `invalid JSON: ${diagnosis}${at}`), line, column };
}

/** Same nesting limit as the YAML parser, so later stages can recurse safely. */
function deeperThan(value: unknown, limit: number): boolean {
  if (value === null || typeof value !== 'object') return false;
  if (limit === 0) return true;
  if (Array.isArray(value)) return value.some((v) => deeperThan(v, limit - 1));
  for (const k in value) if (deeperThan((value as Record<string, unknown>)[k], limit - 1)) return true;
  return false;
}

function isBlank(text: string): boolean {
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c !== 32 && c !== 9 && c !== 10 && c !== 13) return false;
  }
  return true;
}

function formatBytes(n: number): string {
  if (n < 1024) return `${n} B`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(1).replace(/\.0$/, '')} KiB`;
  return `${(n / (1024 * 1024)).toFixed(1).replace(/\.0$/, '')} MiB`;
}
