/**
 * Kubernetes resource quantities (k8s.io/apimachinery resource.Quantity):
 * `<number><suffix>` with binary (Ki..Ei), decimal SI (n, u, m, "", k..E) or
 * decimal exponent (e3, E-2) suffixes. The API server accepts a JSON number
 * or a string and stores the canonical string, so `1000m`, `1` and `1` (a
 * number) are the same value; `0.5Gi` is stored as `512Mi`.
 *
 * Values are held exactly as a bigint count of nano-units, rounded up as the
 * API server does (it keeps nano precision at most).
 */

const QUANTITY_RE = /^([+-]?)(\d+\.?\d*|\.\d+)(Ki|Mi|Gi|Ti|Pi|Ei|[eE][+-]?\d+|[numkMGTPE])?$/;

const BINARY_POWER: Record<string, number> = { Ki: 1, Mi: 2, Gi: 3, Ti: 4, Pi: 5, Ei: 6 };
const DECIMAL_EXP: Record<string, number> = { n: -9, u: -6, m: -3, k: 3, M: 6, G: 9, T: 12, P: 15, E: 18 };
const SI_SUFFIX: Record<number, string> = { [-9]: 'n', [-6]: 'u', [-3]: 'm', 0: '', 3: 'k', 6: 'M', 9: 'G', 12: 'T', 15: 'P', 18: 'E' };
const BINARY_SUFFIX = ['', 'Ki', 'Mi', 'Gi', 'Ti', 'Pi', 'Ei'];

export type QuantityFormat = 'BinarySI' | 'DecimalSI' | 'DecimalExponent';

export interface ParsedQuantity {
  /** Value in nano-units (1 = 1n), rounded up to nano precision. */
  nanos: bigint;
  format: QuantityFormat;
}

const NANO = 1_000_000_000n;
const MILLI_IN_NANOS = 1_000_000n;
const pow10 = (e: number): bigint => 10n ** BigInt(e);

/** Ceiling division for a positive divisor. */
function ceilDiv(a: bigint, b: bigint): bigint {
  const q = a / b;
  return a % b !== 0n && a > 0n ? q + 1n : q;
}

/** Parses a quantity given as a string or a number; null when it is not a valid quantity. */
export function parseQuantity(input: unknown): ParsedQuantity | null {
  let text: string;
  if (typeof input === 'string') text = input.trim();
  else if (typeof input === 'number' && Number.isFinite(input)) text = String(input);
  else return null;
  const m = QUANTITY_RE.exec(text);
  if (m === null) return null;
  const [, sign, num, suffix = ''] = m as unknown as [string, string, string, string | undefined];
  const dot = num.indexOf('.');
  const intPart = dot < 0 ? num : num.slice(0, dot);
  const fracPart = dot < 0 ? '' : num.slice(dot + 1);
  const digits = BigInt((intPart + fracPart) || '0');
  const fracDigits = fracPart.length;

  let nanos: bigint;
  let format: QuantityFormat;
  if (suffix in BINARY_POWER) {
    format = 'BinarySI';
    nanos = ceilDiv(digits * 1024n ** BigInt(BINARY_POWER[suffix]!) * NANO, pow10(fracDigits));
  } else {
    let exp: number;
    if (suffix === '') exp = 0;
    else if (suffix[0] === 'e' || (suffix[0] === 'E' && suffix.length > 1)) exp = Number(suffix.slice(1));
    else exp = DECIMAL_EXP[suffix]!;
    format = suffix.length > 1 && (suffix[0] === 'e' || suffix[0] === 'E') ? 'DecimalExponent' : 'DecimalSI';
    const shift = exp + 9 - fracDigits;
    nanos = shift >= 0 ? digits * pow10(shift) : ceilDiv(digits, pow10(-shift));
  }
  return { nanos: sign === '-' ? -nanos : nanos, format };
}

/**
 * Rounds up to milli precision: the API server does this to every value of a
 * ResourceList (container requests/limits), so `100u` cpu is stored as `1m`.
 */
export function roundUpToMilli(q: ParsedQuantity): ParsedQuantity {
  if (q.nanos % MILLI_IN_NANOS === 0n) return q;
  const neg = q.nanos < 0n;
  const abs = neg ? -q.nanos : q.nanos;
  const up = ceilDiv(abs, MILLI_IN_NANOS) * MILLI_IN_NANOS;
  return { nanos: neg ? -up : up, format: q.format };
}

/** The string the API server would store for this quantity (Quantity.String()). */
export function formatQuantity(q: ParsedQuantity): string {
  const { nanos } = q;
  if (nanos === 0n) return '0';
  const neg = nanos < 0n;
  let abs = neg ? -nanos : nanos;
  const sign = neg ? '-' : '';
  if (q.format === 'BinarySI' && abs % NANO === 0n && abs / NANO >= 1024n) {
    let v = abs / NANO;
    let p = 0;
    while (p < 6 && v % 1024n === 0n) {
      v /= 1024n;
      p++;
    }
    return `${sign}${v}${BINARY_SUFFIX[p]}`;
  }
  let e = -9;
  while (e < 18 && abs % 1000n === 0n) {
    abs /= 1000n;
    e += 3;
  }
  if (q.format === 'DecimalExponent') return `${sign}${abs}${e === 0 ? '' : 'e' + e}`;
  return `${sign}${abs}${SI_SUFFIX[e]}`;
}

/** Canonical string of a quantity, or null when the input is not one. */
export function canonicalQuantity(input: unknown, resourceList = false): string | null {
  const q = parseQuantity(input);
  if (q === null) return null;
  return formatQuantity(resourceList ? roundUpToMilli(q) : q);
}

/** True when both are quantities of the same value (`1000m` = `1` = 1, `0.5Gi` = `512Mi`, `1e3` = `1k`). */
export function quantitiesEqual(a: unknown, b: unknown, resourceList = false): boolean {
  let qa = parseQuantity(a);
  let qb = parseQuantity(b);
  if (qa === null || qb === null) return false;
  if (resourceList) {
    qa = roundUpToMilli(qa);
    qb = roundUpToMilli(qb);
  }
  return qa.nanos === qb.nanos;
}
