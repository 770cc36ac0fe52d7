// Every migration, in order. The only way Driftline's schema changes.
import { Initial1764201600000 } from './1764201600000-Initial';
import { GitIndex1764201700000 } from './1764201700000-GitIndex';
import { LiveState1764201800000 } from './1764201800000-LiveState';

export const MIGRATIONS = [Initial1764201600000, GitIndex1764201700000, LiveState1764201800000];
