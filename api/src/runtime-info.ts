import type { DriftlineConfig } from './config/schema';

/** What the running process is, shared read-only with every module. */
export interface RuntimeInfo {
  version: string;
  mode: 'demo' | 'configured' | 'unconfigured';
  database: 'embedded' | 'postgres';
  config: DriftlineConfig;
  configSource: string | null;
  /** Features this build serves (timeline, drift, reports, alerts…): the web app shows their pages. */
  features: string[];
  /** Background workers (git polling, cluster watchers, alert schedules) run in this process. */
  workers: boolean;
}
