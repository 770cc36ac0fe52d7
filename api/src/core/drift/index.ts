export * from './types';
export { compareObject, isInSync, countsAsDrift, NORMALIZER_NAMES } from './compare';
export {
  compileCompareOptions,
  isOwnedByEnvironment,
  argoCdOwnership,
  fluxOwnership,
  DEFAULT_OWNERSHIP_RULES,
  BUILTIN_HUMAN_MANAGERS,
  BUILTIN_CONTROLLER_MANAGERS,
  type CompiledOptions,
} from './options';
export { fieldsV1ToPointers, OwnershipIndex, type PathStep, type ItemStep } from './managed-fields';
export { parseQuantity, formatQuantity, canonicalQuantity, quantitiesEqual, roundUpToMilli, type ParsedQuantity } from './quantity';
export { NORMALIZERS, type NormalizerName } from './normalizers';
export { parsePointer, formatPointer, pointerToPath, escapePointerSegment, unescapePointerSegment } from './pointer';
