export { SimCluster, type SimClusterOptions, type ObjectRef, type DriverWriteOptions, type DriverPatchOptions, type RequestRecord, type DownMode } from './sim-cluster';
export { SimStatusError, type StatusObject } from './status';
export type { KubeObject, ManagedFieldsEntry, FieldsOperation } from './types';
export type { ResourceType } from './resources';
export { startSimFromArgs, parseSimArgs, readManifests, type SimCliOptions } from './cli';
