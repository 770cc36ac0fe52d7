/** RFC 6901 JSON pointer helpers. */

export function escapePointerSegment(segment: string): string {
  if (segment.indexOf('~') < 0 && segment.indexOf('/') < 0) return segment;
  return segment.replace(/~/g, '~0').replace(/\//g, '~1');
}

export function unescapePointerSegment(segment: string): string {
  if (segment.indexOf('~') < 0) return segment;
  return segment.replace(/~1/g, '/').replace(/~0/g, '~');
}

/** Splits a pointer into unescaped segments: "/a/b~1c" → ["a", "b/c"]; "" → []. */
export function parsePointer(pointer: string): string[] {
  if (pointer === '') return [];
  if (pointer[0] !== '/') throw new Error(`not a JSON pointer: ${pointer}`);
  return pointer.slice(1).split('/').map(unescapePointerSegment);
}

export function formatPointer(segments: readonly (string | number)[]): string {
  let out = '';
  for (const s of segments) out += '/' + (typeof s === 'number' ? String(s) : escapePointerSegment(s));
  return out;
}

const PLAIN_NAME = /^[A-Za-z_$][A-Za-z0-9_$-]*$/;

/**
 * Human path from a pointer: "/spec/template/spec/containers/0/image" →
 * "spec.template.spec.containers[0].image"; keys with dots or slashes are
 * bracketed: "metadata.annotations[deployment.kubernetes.io/revision]".
 */
export function pointerToPath(pointer: string): string {
  let out = '';
  for (const seg of parsePointer(pointer)) out = appendPathSegment(out, seg, /^\d+$/.test(seg));
  return out;
}

export function appendPathSegment(path: string, segment: string, bracket: boolean): string {
  if (bracket || !PLAIN_NAME.test(segment)) return `${path}[${segment}]`;
  return path === '' ? segment : `${path}.${segment}`;
}
