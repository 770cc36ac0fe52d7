export { parseConfig } from '../../api/src/config/load';
export type DriftlineConfigInputLike = Record<string, unknown>;
