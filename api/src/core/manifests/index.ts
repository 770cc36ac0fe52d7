export {
  parseManifestFile,
  encryptedPlaceholder,
  type ParseStatus,
  type ParseReasonCode,
  type ParsedObject,
  type DocumentProblem,
  type ParsedManifestFile,
  type ParseManifestOptions,
} from './parse';
export {
  manifestFileType,
  isManifestCandidate,
  isKustomizationFileName,
  looksLikeKubernetes,
  isKubernetesList,
  type KubernetesObjectLike,
  type ManifestFileType,
} from './kubernetes';
export { isBuiltinClusterScoped, builtinClusterScopedKinds, isToolConfigGroup } from './scope';
export { detectTemplate, type TemplateMarker } from './template';
export { loadYamlDocuments, YamlLoadError, KUBERNETES_YAML_SCHEMA, type YamlErrorCode } from './yaml';
export { SOPS_VALUE_MARKER } from './sops';
