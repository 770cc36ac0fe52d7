// Every migration, in order. The only way Driftline's schema changes.
import { Initial1764201600000 } from './1764201600000-Initial';

export const MIGRATIONS = [Initial1764201600000];
