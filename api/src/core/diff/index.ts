export { unifiedYamlDiff, yamlDiffHunks, stableYaml, type UnifiedDiffOptions, type YamlHunk } from './yaml-diff';
export { jsonPatch, type JsonPatchOperation } from './json-patch';
export {
  diffObjectSets,
  type VersionedObject,
  type ObjectSetItem,
  type ObjectSetChange,
  type ObjectSetDiff,
} from './object-sets';
export { summarizeChanges } from './summary';
