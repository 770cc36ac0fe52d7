// How the timeline draws lanes and manager classes: one place for colours, symbols and rows,
// shared by the chart's series, its legend and the event list.
import type { ActorClass, TimelineEvent } from '../../lib/events';

export const LANE_LABELS = ['Git', 'Live', 'Drift'];

export interface SeriesStyle {
  id: string;
  name: string;
  color: string;
  /** ECharts symbol name and the same shape as an SVG path for the HTML legend (12×12 box). */
  symbol: string;
  path: string;
  y: number;
}

export const STYLES: SeriesStyle[] = [
  { id: 'git', name: 'Git commit (desired change)', color: '#7c3aed', symbol: 'diamond', path: 'M6 0l6 6-6 6-6-6z', y: 0 },
  { id: 'live-applier', name: 'GitOps applier', color: '#2563eb', symbol: 'circle', path: 'M6 1a5 5 0 1 0 0.01 0z', y: 1 },
  { id: 'live-human', name: 'Human (kubectl, console)', color: '#ea580c', symbol: 'triangle', path: 'M6 0l6 11H0z', y: 0.76 },
  { id: 'live-controller', name: 'Controller', color: '#0d9488', symbol: 'rect', path: 'M1.5 1.5h9v9h-9z', y: 1.24 },
  { id: 'live-unknown', name: 'Other manager', color: '#8a94a6', symbol: 'roundRect', path: 'M3 1.5h6a1.5 1.5 0 0 1 1.5 1.5v6A1.5 1.5 0 0 1 9 10.5H3A1.5 1.5 0 0 1 1.5 9V3A1.5 1.5 0 0 1 3 1.5z', y: 1.24 },
  { id: 'drift-opened', name: 'Drift opened', color: '#dc2626', symbol: 'pin', path: 'M6 0a4.5 4.5 0 0 1 4.5 4.5C10.5 8 6 12 6 12S1.5 8 1.5 4.5A4.5 4.5 0 0 1 6 0z', y: 1.9 },
  { id: 'drift-closed', name: 'Drift closed', color: '#16a34a', symbol: 'emptyCircle', path: 'M6 1.5a4.5 4.5 0 1 0 0.01 0z', y: 2.1 },
];

export function styleIdOf(e: TimelineEvent): string {
  if (e.lane === 'git') return 'git';
  if (e.lane === 'drift') return e.change === 'closed' ? 'drift-closed' : 'drift-opened';
  return `live-${(e.actorClass ?? 'unknown') as ActorClass}`;
}

export const STYLE_BY_ID = new Map(STYLES.map((s) => [s.id, s]));
