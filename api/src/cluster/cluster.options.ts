import { DynamicModule, Global, Module } from '@nestjs/common';
import type { RecorderOptions } from './cluster-recorder';

/** Injection token of the live recorder's tunables (optional; defaults apply). */
export const CLUSTER_RECORDER_OPTIONS = Symbol('CLUSTER_RECORDER_OPTIONS');

export interface ClusterRecorderServiceOptions extends Partial<RecorderOptions> {
  /** How often a replica that does not hold a cluster's lease tries to take it (and the holder checks it still has it). Default 5000. */
  leaseRetryMs?: number;
}

@Global()
@Module({})
class ClusterRecorderOptionsModule {}

/**
 * A global module that sets the live recorder's tunables, for tests and
 * benchmarks: `serve({ features: [clusterRecorderOptions({ leaseRetryMs: 300 })] })`.
 */
export function clusterRecorderOptions(options: ClusterRecorderServiceOptions): DynamicModule {
  const provider = { provide: CLUSTER_RECORDER_OPTIONS, useValue: options };
  return { module: ClusterRecorderOptionsModule, global: true, providers: [provider], exports: [provider] };
}
