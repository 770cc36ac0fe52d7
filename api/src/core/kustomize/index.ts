export { renderKustomization, KUSTOMIZATION_FILE_NAMES } from './render';
export { findKustomizeEntryPoints, type KustomizeEntryPoint } from './entrypoints';
export { createMemoryFs } from './memoryfs';
export { createKustomizeCache, type KustomizeCache } from './cache';
export { contentHashSuffix } from './hash';
export { deepEqual } from './resource';
export { loadKustomizeYaml } from './yaml';
export type { KustomizeFs, KustomizeProblem, KustomizeProblemCode, RenderOptions, RenderResult } from './types';
export { closureTouched, closureTouchedBy, closureHasAny, touchKeys, ancestorDirs, isUnder } from './closure';
