// Shapes the charts take: plain data, so pages and tests can build them without ECharts.

export interface LaneSeries {
  id: string;
  name: string;
  color: string;
  symbol: string;
  /** Row on the y axis (0 = top lane); fractions place sub-rows inside a lane. */
  y: number;
  times: number[];
  keys: string[];
}
export interface Histogram {
  step: number;
  starts: number[];
  stacks: { name: string; color: string; values: number[] }[];
}
export interface GanttRow {
  label: string;
  bars: { from: number; to: number; color: string; tip: string }[];
}
