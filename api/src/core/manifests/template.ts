/**
 * Detection of Helm / Go-template / Jinja source, before YAML parsing: such a
 * file may still parse (`name: "{{ .Release.Name }}"`) and would yield
 * objects that never exist in a cluster.
 *
 * Double braces alone are not enough: PrometheusRule annotations, Alertmanager
 * configs, Argo Workflows and ApplicationSets carry `{{ … }}` inside strings
 * on purpose. A use counts as templating when it
 *  - starts a line or a value, where YAML would read a flow mapping
 *    (`{{- if .Values.x }}`, `image: {{ .Values.image }}`), or a line starts
 *    with a Jinja statement `{%`;
 *  - or references a Helm built-in object (`.Values`, `.Release`, `.Chart`,
 *    `.Capabilities`, `.Files`, `.Template`), even inside quotes.
 * Text inside block scalars (`key: |`) is content, never checked.
 */
export interface TemplateMarker {
  /** 1-based. */
  line: number;
  /** 1-based. */
  column: number;
  /** The offending text, trimmed to 80 characters. */
  snippet: string;
}

const HELM_BUILTIN = /\{\{-?[^}]*?\.(?:Values|Release|Chart|Capabilities|Files|Template)\b/;
const BLOCK_SCALAR_HEADER = /(?:^|:[ \t]+|-[ \t]+|^---[ \t]+)[|>][-+0-9]*[ \t]*(?:#.*)?$/;

export function detectTemplate(text: string): TemplateMarker | null {
  if (text.indexOf('{{') < 0 && text.indexOf('{%') < 0) return null;
  let blockParentIndent = -1;
  let lineNo = 0;
  // Next '{' and '#' at or after a position, cached so the scan stays linear.
  let nextBrace = -2;
  let nextHash = -2;
  const next = (cached: number, ch: string, from: number) =>
    cached >= from || cached === -1 ? cached : text.indexOf(ch, from);
  for (let start = 0; start < text.length; ) {
    let end = text.indexOf('\n', start);
    if (end < 0) end = text.length;
    const lineStart = start;
    start = end + 1;
    lineNo++;
    let last = end - 1; // last non-blank character of the line
    while (last >= lineStart && isBlankChar(text.charCodeAt(last))) last--;
    if (last < lineStart) continue; // blank: belongs to whatever block it is in
    let first = lineStart;
    while (text.charCodeAt(first) === 32) first++;
    const indent = first - lineStart;
    if (blockParentIndent >= 0) {
      if (indent > blockParentIndent) continue;
      blockParentIndent = -1;
    }
    if (text.charCodeAt(first) === 35 /* # */) continue;

    nextBrace = next(nextBrace, '{', first);
    if (nextBrace >= 0 && nextBrace < last) {
      const line = text.slice(lineStart, last + 1);
      const found = templateUse(line, indent);
      if (found >= 0) return { line: lineNo, column: found + 1, snippet: line.trim().slice(0, 80) };
    }
    nextHash = next(nextHash, '#', first);
    if (mayEndBlockHeader(text.charCodeAt(last)) || (nextHash >= 0 && nextHash < last)) {
      if (BLOCK_SCALAR_HEADER.test(text.slice(lineStart, last + 1))) blockParentIndent = indent;
    }
  }
  return null;
}

function isBlankChar(c: number): boolean {
  return c === 32 || c === 9 || c === 13;
}

/** `|`, `>`, chomping `+`/`-` or an indentation digit can end a block scalar header. */
function mayEndBlockHeader(c: number): boolean {
  return c === 124 || c === 62 || c === 43 || c === 45 || (c >= 49 && c <= 57);
}

/** Column (0-based) of a templating use on this line, or -1. */
function templateUse(line: string, indent: number): number {
  let s = indent;
  while (line[s] === '-' && (line[s + 1] === ' ' || line[s + 1] === '\t')) {
    s += 2;
    while (line[s] === ' ' || line[s] === '\t') s++;
  }
  if (line.startsWith('{{', s) || line.startsWith('{%', s)) return s;
  const braces = line.indexOf('{{', s);
  if (braces < 0) return -1;
  // A value that starts with braces: `key: {{ … }}`.
  const first = line[s];
  if (first !== '"' && first !== "'") {
    const colon = line.indexOf(': ', s);
    if (colon >= 0 && colon < braces) {
      let v = colon + 2;
      while (line[v] === ' ' || line[v] === '\t') v++;
      if (v === braces) return braces;
    }
  }
  const m = HELM_BUILTIN.exec(line.slice(braces));
  return m ? braces + m.index : -1;
}
