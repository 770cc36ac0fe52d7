// The parts of ECharts the charts use, registered once. Only chart components import this,
// and pages load those lazily, so ECharts stays out of the main bundle.
import { use, init, type EChartsType } from 'echarts/core';
import { ScatterChart, CustomChart } from 'echarts/charts';
import { GridComponent, TooltipComponent, DataZoomInsideComponent, DataZoomSliderComponent, BrushComponent, MarkLineComponent } from 'echarts/components';
import { CanvasRenderer } from 'echarts/renderers';

use([ScatterChart, CustomChart, GridComponent, TooltipComponent, DataZoomInsideComponent, DataZoomSliderComponent, BrushComponent, MarkLineComponent, CanvasRenderer]);

export { init };
export type { EChartsType };

/** Colours from the page's CSS variables, so charts follow light and dark mode. */
export function chartTheme(el: Element) {
  const s = getComputedStyle(el);
  const v = (name: string, fallback: string) => s.getPropertyValue(name).trim() || fallback;
  return { text: v('--text', '#18202b'), muted: v('--muted', '#5b6675'), border: v('--border', '#dde2e8'), panel: v('--panel', '#fff'), accent: v('--accent', '#2563eb') };
}

/** Time axis labels in the browser's zone. */
export function axisTime(ms: number, spanMs: number): string {
  const d = new Date(ms);
  const p = (n: number) => String(n).padStart(2, '0');
  const hm = `${p(d.getHours())}:${p(d.getMinutes())}`;
  if (spanMs <= 3 * 60_000) return `${hm}:${p(d.getSeconds())}`;
  if (spanMs <= 2 * 86_400_000) return d.getHours() === 0 && d.getMinutes() === 0 ? `${d.toLocaleString('en', { month: 'short' })} ${d.getDate()}` : hm;
  return `${d.toLocaleString('en', { month: 'short' })} ${d.getDate()}`;
}
