import {
  EVENT_ID,
  FAILSAFE_SCHEMA,
  NOT_RESOLVED,
  Schema,
  YAMLException,
  boolYaml11Tag,
  constructFromEvents,
  defineMappingTag,
  defineScalarTag,
  defineSequenceTag,
  floatYaml11Tag,
  intYaml11Tag,
  mapTag,
  mergeTag,
  nullYaml11Tag,
  parseEvents,
  seqTag,
  type Event,
  type ScalarTagDefinition,
} from 'js-yaml';

/**
 * The YAML dialect Kubernetes actually applies. kubectl and the API machinery
 * decode with sigs.k8s.io/yaml (go-yaml v2, YAML 1.1 scalars), so `0644` is 420
 * and `yes` is true, while timestamps stay strings and `12:30` is not a
 * sexagesimal number (go-yaml never implemented that part of 1.1). Merge keys
 * (`<<`) work. Local tags such as CloudFormation's `!Ref` load as the plain
 * value (so such files come out as "not Kubernetes" instead of an error);
 * language tags (`!!python/object`, `!!js/function`) are unknown and fail. No
 * tag ever runs code.
 */
function withoutSexagesimal<T>(tag: ScalarTagDefinition<T>): ScalarTagDefinition<T> {
  return {
    ...tag,
    resolve: (source, isExplicit, tagName) =>
      source.includes(':') ? NOT_RESOLVED : tag.resolve(source, isExplicit, tagName),
  };
}

export const KUBERNETES_YAML_SCHEMA = new Schema([
  ...FAILSAFE_SCHEMA.tags,
  nullYaml11Tag,
  boolYaml11Tag,
  withoutSexagesimal(intYaml11Tag),
  withoutSexagesimal(floatYaml11Tag),
  mergeTag,
  defineScalarTag<string>('!', { matchByTagPrefix: true, resolve: (source) => source, identify: () => false }),
  defineSequenceTag('!', { ...seqTag, matchByTagPrefix: true, identify: () => false }),
  defineMappingTag('!', { ...mapTag, matchByTagPrefix: true, identify: () => false }),
]);

/** Alias expansion may add at most this much (in source-sized units) beyond the input itself. */
const ALIAS_EXPANSION_FLOOR = 1 << 20;
const ALIAS_EXPANSION_FACTOR = 4;

export type YamlErrorCode = 'yaml-syntax' | 'duplicate-key' | 'alias-bomb';

/** A YAML load failure with a stable code and a 1-based position when known. */
export class YamlLoadError extends Error {
  constructor(
    readonly code: YamlErrorCode,
    readonly detail: string,
    readonly line?: number,
    readonly column?: number,
  ) {
    super(line !== undefined ? `${detail} (line ${line}, column ${column})` : detail);
  }
}

export interface LoadedYaml {
  documents: unknown[];
  /** Indexes of documents that contained aliases (already deep-copied so no two paths share an object). */
  aliased: ReadonlySet<number>;
}

/**
 * Load every document of a YAML stream, safely: bounded nesting, bounded alias
 * expansion (billion-laughs input fails fast with `alias-bomb` before any
 * object is built), no self-referencing aliases, and duplicate keys rejected
 * with the key named.
 */
export function loadYamlDocuments(text: string): LoadedYaml {
  let events: Event[];
  try {
    events = parseEvents(text, { maxDepth: 100 });
  } catch (e) {
    throw toLoadError(e, text);
  }
  let hasAlias = false;
  for (let i = 0; i < events.length; i++) {
    if (events[i]!.type === EVENT_ID.ALIAS) {
      hasAlias = true;
      break;
    }
  }
  const aliased = hasAlias ? checkAliasExpansion(events, text) : new Set<number>();
  // From here on the event stream is bounded in expansion and free of cycles.
  let documents: unknown[];
  try {
    documents = constructFromEvents(events, { source: text, schema: KUBERNETES_YAML_SCHEMA });
  } catch (e) {
    throw toLoadError(e, text);
  }
  // Aliases make several paths point at one object; later stages may copy or
  // edit bodies, so give every path its own copy (bounded by the check above).
  for (const i of aliased) documents[i] = structuredClone(documents[i]);
  return { documents, aliased };
}

interface WeightFrame {
  weight: number;
  anchor: string | null;
}

/**
 * Computes, per document, how big the document becomes once every alias is
 * expanded, from the event stream alone (nothing is constructed). Weight is
 * roughly source characters: a scalar weighs its length + 1, a collection 1 +
 * its children, an alias what its anchor weighs. Returns the documents that use
 * aliases.
 */
function checkAliasExpansion(events: Event[], text: string): Set<number> {
  const budget = Math.max(ALIAS_EXPANSION_FLOOR, text.length * ALIAS_EXPANSION_FACTOR);
  const aliased = new Set<number>();
  let anchors = new Map<string, number>();
  let open = new Set<string>();
  const stack: WeightFrame[] = [];
  let doc = -1;
  const add = (w: number, at: number) => {
    const top = stack[stack.length - 1]!;
    top.weight += w;
    if (top.weight > budget) {
      const { line, column } = lineColumn(text, at);
      throw new YamlLoadError(
        'alias-bomb',
        `aliases expand this document beyond ${budget} units (a "billion laughs" pattern); refusing to expand it`,
        line,
        column,
      );
    }
  };
  let lastPos = 0;
  for (const ev of events) {
    switch (ev.type) {
      case EVENT_ID.DOCUMENT:
        doc++;
        anchors = new Map();
        open = new Set();
        stack.length = 0;
        stack.push({ weight: 0, anchor: null });
        break;
      case EVENT_ID.SCALAR: {
        const w = (ev.valueStart >= 0 ? ev.valueEnd - ev.valueStart : 0) + 1;
        if (ev.anchorStart >= 0) anchors.set(text.slice(ev.anchorStart, ev.anchorEnd), w);
        lastPos = ev.valueStart >= 0 ? ev.valueStart : lastPos;
        add(w, lastPos);
        break;
      }
      case EVENT_ID.SEQUENCE:
      case EVENT_ID.MAPPING: {
        const anchor = ev.anchorStart >= 0 ? text.slice(ev.anchorStart, ev.anchorEnd) : null;
        if (anchor !== null) open.add(anchor);
        lastPos = ev.start;
        stack.push({ weight: 1, anchor });
        break;
      }
      case EVENT_ID.ALIAS: {
        aliased.add(doc);
        const name = text.slice(ev.anchorStart, ev.anchorEnd);
        if (open.has(name)) {
          const { line, column } = lineColumn(text, ev.anchorStart);
          throw new YamlLoadError('yaml-syntax', `alias *${name} refers to the node that contains it (a cycle)`, line, column);
        }
        lastPos = ev.anchorStart;
        add(anchors.get(name) ?? 0, ev.anchorStart);
        break;
      }
      case EVENT_ID.POP: {
        const frame = stack.pop();
        if (frame === undefined || stack.length === 0) break; // end of document
        if (frame.anchor !== null) {
          anchors.set(frame.anchor, frame.weight);
          open.delete(frame.anchor);
        }
        add(frame.weight, lastPos);
        break;
      }
    }
  }
  return aliased;
}

/** 1-based line and column of a character offset. Only used on error paths. */
export function lineColumn(text: string, offset: number): { line: number; column: number } {
  let line = 1;
  let lineStart = 0;
  for (let i = text.indexOf('\n'); i >= 0 && i < offset; i = text.indexOf('\n', i + 1)) {
    line++;
    lineStart = i + 1;
  }
  return { line, column: offset - lineStart + 1 };
}

function toLoadError(e: unknown, text: string): YamlLoadError {
  if (e instanceof YamlLoadError) return e;
  if (e instanceof YAMLException) {
    const mark = e.mark;
    const line = mark ? mark.line + 1 : undefined;
    const column = mark ? mark.column + 1 : undefined;
    if (e.reason === 'duplicated mapping key') {
      const key = mark ? keyAt(text, mark.position) : undefined;
      return new YamlLoadError('duplicate-key', key ? `duplicate key "${key}"` : 'duplicate key', line, column);
    }
    return new YamlLoadError('yaml-syntax', e.reason || e.message, line, column);
  }
  // js-yaml documents that anything may be thrown (e.g. RangeError on hostile input).
  return new YamlLoadError('yaml-syntax', e instanceof Error ? e.message : String(e));
}

/** The mapping key written at `position` (plain or quoted), for duplicate-key messages. */
function keyAt(text: string, position: number): string | undefined {
  const start = position;
  const quote = text[start];
  if (quote === '"' || quote === "'") {
    const end = text.indexOf(quote, start + 1);
    return end > start ? text.slice(start + 1, end) : undefined;
  }
  // The mark may sit just after an opening quote.
  const before = text[start - 1];
  if (before === '"' || before === "'") {
    const end = text.indexOf(before, start);
    return end >= start ? text.slice(start, end) : undefined;
  }
  let end = start;
  while (end < text.length) {
    const c = text.charCodeAt(end);
    if (c === 10 || c === 13) break;
    if (c === 58 /* : */ && (end + 1 >= text.length || ' \t\r\n'.includes(text[end + 1]!))) break;
    end++;
  }
  const key = text.slice(start, end).trim();
  return key.length > 0 && key.length <= 200 ? key : undefined;
}
