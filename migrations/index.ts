// Every migration, in order. The only way Driftline's schema changes.
import { Initial1764201600000 } from './1764201600000-Initial';
import { GitIndex1764201700000 } from './1764201700000-GitIndex';
import { LiveState1764201800000 } from './1764201800000-LiveState';
import { LiveRecorder1764201900000 } from './1764201900000-LiveRecorder';
import { Drift1764202000000 } from './1764202000000-Drift';
import { Alerts1764202100000 } from './1764202100000-Alerts';
import { Reports1764202200000 } from './1764202200000-Reports';
import { ReadIndexes1764202300000 } from './1764202300000-ReadIndexes';
import { ApiTokens1764202400000 } from './1764202400000-ApiTokens';
import { KustomizeRenders1764202500000 } from './1764202500000-KustomizeRenders';

export const MIGRATIONS = [Initial1764201600000, GitIndex1764201700000, LiveState1764201800000, LiveRecorder1764201900000, Drift1764202000000, Alerts1764202100000, Reports1764202200000, ReadIndexes1764202300000, ApiTokens1764202400000, KustomizeRenders1764202500000];
