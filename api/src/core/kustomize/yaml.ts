import {
  Schema,
  boolCoreTag,
  boolYaml11Tag,
  constructFromEvents,
  parseEvents,
} from 'js-yaml';
import { KUBERNETES_YAML_SCHEMA, loadYamlDocuments } from '../manifests';

/**
 * Kustomize reads manifests with go-yaml v3 and writes them back as YAML, so
 * what reaches the cluster follows its rules rather than kubectl's YAML 1.1
 * ones in one respect: only true/false (any case) are booleans. `yes`, `on`,
 * `y`, `off`… stay strings (kustomize quotes them on output). Everything else
 * (octal 0644, merge keys, no sexagesimals, timestamps as strings) is the same.
 */
const KUSTOMIZE_YAML_SCHEMA = new Schema(
  KUBERNETES_YAML_SCHEMA.tags.map((t) => (t === boolYaml11Tag ? boolCoreTag : t)),
);

const YAML11_ONLY_BOOLEAN = /(?:^|[\s:\-[{,])(?:y|Y|yes|Yes|YES|n|N|no|No|NO|on|On|ON|off|Off|OFF)(?:$|[\s,\]}#])/m;

/**
 * All documents of a YAML (or JSON) stream with kustomize's scalar rules.
 * Safety checks (alias bombs, depth, duplicate keys) come from the project's
 * loader; throws its `YamlLoadError`.
 */
export function loadKustomizeYaml(text: string): unknown[] {
  const loaded = loadYamlDocuments(text);
  if (!YAML11_ONLY_BOOLEAN.test(text)) return loaded.documents;
  // Rare: a YAML 1.1-only boolean word appears. Build again with the 1.2 boolean
  // rule; the stream already passed every check above.
  const documents = constructFromEvents(parseEvents(text, { maxDepth: 100 }), {
    source: text,
    schema: KUSTOMIZE_YAML_SCHEMA,
  });
  for (const i of loaded.aliased) documents[i] = structuredClone(documents[i]);
  return documents;
}
