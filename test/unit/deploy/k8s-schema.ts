/**
 * Checks a Kubernetes object the way `kubectl apply --validate=strict` would, without a cluster:
 * - kubernetes-models (tommy351): JSON schemas generated from the upstream Kubernetes OpenAPI,
 *   compiled with ajv — value types, required fields, enums and formats (int32, int-or-string…).
 *   Those schemas allow unknown fields, like the API server's non-strict mode;
 * - so unknown fields are checked against the field lists of @kubernetes/client-node's models,
 *   generated from the same OpenAPI document: a misspelt or misplaced key fails.
 */
import * as k8s from '@kubernetes/client-node';
import { Namespace } from 'kubernetes-models/v1/Namespace';
import { ServiceAccount } from 'kubernetes-models/v1/ServiceAccount';
import { ConfigMap } from 'kubernetes-models/v1/ConfigMap';
import { Secret } from 'kubernetes-models/v1/Secret';
import { Service } from 'kubernetes-models/v1/Service';
import { Deployment } from 'kubernetes-models/apps/v1/Deployment';
import { ClusterRole } from 'kubernetes-models/rbac.authorization.k8s.io/v1/ClusterRole';
import { ClusterRoleBinding } from 'kubernetes-models/rbac.authorization.k8s.io/v1/ClusterRoleBinding';

type Obj = Record<string, any>;
interface Kind {
  model: new (data: any) => { validate(): void };
  clientNode: string;
}

const KINDS: Record<string, Kind> = {
  'v1/Namespace': { model: Namespace, clientNode: 'V1Namespace' },
  'v1/ServiceAccount': { model: ServiceAccount, clientNode: 'V1ServiceAccount' },
  'v1/ConfigMap': { model: ConfigMap, clientNode: 'V1ConfigMap' },
  'v1/Secret': { model: Secret, clientNode: 'V1Secret' },
  'v1/Service': { model: Service, clientNode: 'V1Service' },
  'apps/v1/Deployment': { model: Deployment, clientNode: 'V1Deployment' },
  'rbac.authorization.k8s.io/v1/ClusterRole': { model: ClusterRole, clientNode: 'V1ClusterRole' },
  'rbac.authorization.k8s.io/v1/ClusterRoleBinding': { model: ClusterRoleBinding, clientNode: 'V1ClusterRoleBinding' },
};

/** Fields a client-node model type does not have, as "path: unknown field of Type". */
function unknownFields(value: unknown, type: string, path: string): string[] {
  if (value === null || typeof value !== 'object') return [];
  const arr = /^Array<(.+)>$/.exec(type);
  if (arr) return Array.isArray(value) ? value.flatMap((v, i) => unknownFields(v, arr[1]!, `${path}/${i}`)) : [];
  const map = /^\{ \[key: string\]: (.+); \}$/.exec(type);
  if (map) return Object.entries(value).flatMap(([k, v]) => unknownFields(v, map[1]!, `${path}/${k}`));
  const model = (k8s as unknown as Record<string, { attributeTypeMap?: { baseName: string; type: string }[] }>)[type];
  if (!model?.attributeTypeMap || Array.isArray(value)) return []; // scalars, IntOrString, free-form objects
  const fields = new Map(model.attributeTypeMap.map((a) => [a.baseName, a.type]));
  return Object.entries(value).flatMap(([k, v]) => (fields.has(k) ? unknownFields(v, fields.get(k)!, `${path}/${k}`) : [`${path}/${k}: unknown field of ${type}`]));
}

/** Every schema problem of one object; [] when the API server would accept it in strict mode. */
export function schemaProblems(o: Obj): string[] {
  const kind = KINDS[`${o?.apiVersion}/${o?.kind}`];
  if (!kind) return [`${o?.apiVersion} ${o?.kind}: not a kind this deployment ships`];
  const problems: string[] = [];
  try {
    new kind.model(o).validate();
  } catch (e) {
    problems.push(...String((e as Error).message).split(/,\s*(?=data)/));
  }
  problems.push(...unknownFields(o, kind.clientNode, 'data'));
  return problems;
}
