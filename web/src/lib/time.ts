/** Time formatting for people: relative ("2 h 14 m ago"), durations, exact local times and their UTC form. */

const MIN = 60_000;
const HOUR = 60 * MIN;
const DAY = 24 * HOUR;

/** A duration in at most two units: "45 s", "12 m", "2 h 14 m", "3 d 4 h". */
export function formatDuration(ms: number): string {
  const abs = Math.max(0, Math.round(ms));
  if (abs < MIN) return `${Math.floor(abs / 1000)} s`;
  if (abs < HOUR) return `${Math.floor(abs / MIN)} m`;
  if (abs < DAY) {
    const h = Math.floor(abs / HOUR);
    const m = Math.floor((abs % HOUR) / MIN);
    return m ? `${h} h ${m} m` : `${h} h`;
  }
  const d = Math.floor(abs / DAY);
  const h = Math.floor((abs % DAY) / HOUR);
  return h ? `${d} d ${h} h` : `${d} d`;
}

/** "2 h 14 m ago", "in 5 m", or "just now" within ten seconds. */
export function formatRelative(iso: string, now: number): string {
  const diff = now - Date.parse(iso);
  if (Math.abs(diff) < 10_000) return 'just now';
  return diff > 0 ? `${formatDuration(diff)} ago` : `in ${formatDuration(-diff)}`;
}

const pad = (n: number, w = 2) => String(n).padStart(w, '0');

/** "2026-11-27 05:02:51" in the browser's zone (seconds optional). */
export function formatLocal(iso: string, opts: { seconds?: boolean } = {}): string {
  const d = new Date(iso);
  const s = `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ${pad(d.getHours())}:${pad(d.getMinutes())}`;
  return opts.seconds === false ? s : `${s}:${pad(d.getSeconds())}`;
}

/** Short local time for dense lists: "05:02:51" today, "Nov 25 05:02" otherwise. */
export function formatShort(iso: string, now: number): string {
  const d = new Date(iso);
  const n = new Date(now);
  const sameDay = d.getFullYear() === n.getFullYear() && d.getMonth() === n.getMonth() && d.getDate() === n.getDate();
  if (sameDay) return `${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`;
  const month = d.toLocaleString('en', { month: 'short' });
  return `${month} ${d.getDate()} ${pad(d.getHours())}:${pad(d.getMinutes())}`;
}

/** The exact instant in UTC, for title attributes: "2026-11-27 04:02:51.372 UTC". */
export function formatUtc(iso: string): string {
  const d = new Date(iso);
  return `${d.getUTCFullYear()}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())} ${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())}.${pad(d.getUTCMilliseconds(), 3)} UTC`;
}

/** The value of a datetime-local input (browser zone, minute precision) for an ISO time. */
export function toLocalInput(iso: string): string {
  const d = new Date(iso);
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}T${pad(d.getHours())}:${pad(d.getMinutes())}`;
}

/** An ISO time from a datetime-local value (read in the browser's zone), or null when empty or invalid. */
export function fromLocalInput(value: string): string | null {
  const m = /^(\d{4})-(\d\d)-(\d\d)T(\d\d):(\d\d)(?::(\d\d))?$/.exec(value);
  if (!m) return null;
  const d = new Date(Number(m[1]), Number(m[2]) - 1, Number(m[3]), Number(m[4]), Number(m[5]), Number(m[6] ?? 0));
  return Number.isNaN(d.getTime()) ? null : d.toISOString();
}

/** The zone name the browser shows times in, e.g. "Europe/Berlin". */
export function browserZone(): string {
  return Intl.DateTimeFormat().resolvedOptions().timeZone ?? 'local time';
}
