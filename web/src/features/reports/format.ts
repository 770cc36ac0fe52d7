/** Small formatting helpers for the reports page. */

/** "12.3 KB", "1.2 MB", "512 B". */
export function formatBytes(n: number | null | undefined): string {
  if (n === null || n === undefined) return '';
  if (n < 1024) return `${n} B`;
  const units = ['KB', 'MB', 'GB', 'TB'];
  let v = n / 1024;
  let i = 0;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return `${v < 10 ? v.toFixed(1) : Math.round(v)} ${units[i]}`;
}

const pad = (n: number) => String(n).padStart(2, '0');

/** A date input's value (YYYY-MM-DD) for a day in the browser's zone. */
export function dateInput(d: Date): string {
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}`;
}

/** The UTC calendar day of an instant, as the API reads a report window's bounds. */
export function utcDay(iso: string): string {
  return iso.slice(0, 10);
}
