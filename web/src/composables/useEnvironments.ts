import { api, unwrap } from '../api/client';
import type { components } from '../api/schema';
import { useAsync } from './useAsync';

export type EnvironmentSummary = components['schemas']['EnvironmentSummaryDto'];

/** Every environment's summary (status, drift counts, last changes, 7 days of changes). */
export function useEnvironments() {
  return useAsync(async () => unwrap(await api.GET('/api/v1/environments')), (v) => v.length === 0);
}
