/**
 * What the comparison knows about the shape of built-in kinds: which lists
 * are keyed (strategic-merge / server-side-apply keys), which are sets, which
 * fields are quantities, and the API server's defaults (apps/v1, batch/v1,
 * core/v1, autoscaling/v2, rbac/v1, networking/v1 SetDefaults_*).
 *
 * List choices (FieldChange semantics follow them):
 * - keyed (order-insensitive, items owned one by one): containers,
 *   initContainers, ephemeralContainers, env, volumes (name); volumeMounts
 *   (mountPath); container ports (containerPort+protocol); service ports
 *   (port+protocol); imagePullSecrets, hostAliases, topologySpreadConstraints,
 *   ownerReferences... Env order can matter for `$(VAR)` expansion; like
 *   Kubernetes' merge semantics we compare env by name.
 * - mergeSet: metadata.finalizers (controllers add their own).
 * - set (atomic, order-insensitive scalars): RBAC verbs/resources/apiGroups/
 *   resourceNames/nonResourceURLs, accessModes, Namespace spec.finalizers.
 * - multiset (atomic, order-insensitive objects): tolerations (the scheduler
 *   treats them as a set), RBAC rules (a union) and subjects, HPA metrics
 *   (the maximum over all).
 * - atomic and ordered: everything else, notably command/args, envFrom (later
 *   sources win), Ingress rules/paths/tls (some controllers match in order),
 *   NetworkPolicy rules, and every list of a custom resource.
 */
import type { NormalizerName, Obj } from './normalizers';
import {
  DEFAULT_HPA_METRICS,
  DEFAULT_HPA_SCALE_DOWN_POLICIES,
  DEFAULT_HPA_SCALE_UP_POLICIES,
  JOB_GENERATED_LABELS,
  isControllerAnnotation,
  isDefaultHostPort,
  isDefaultImagePullPolicy,
  isDefaultIpFamilyPolicy,
  isDefaultPodToleration,
  isDefaultSubjectApiGroup,
  isDefaultTargetPort,
  isExternallyAccessible,
  isObj,
  isZeroQuantity,
  semanticEqual,
} from './normalizers';

export interface DefaultContext {
  readonly liveRoot: Obj;
  readonly desiredRoot: Obj;
  /** The live pod spec enclosing the current field, if any. */
  readonly podSpec: Obj | undefined;
}

export interface DefaultRule {
  readonly n: NormalizerName;
  /** True when this live value is what the API server would have put there anyway. */
  readonly t: (value: unknown, liveParent: Obj, desiredParent: Obj | undefined, ctx: DefaultContext) => boolean;
  /** Server-assigned values: only excuse live-only fields, never a value Git sets that live lacks. */
  readonly liveOnly?: boolean;
}

export type ListKind = 'keyed' | 'mergeSet' | 'set' | 'multiset';

export interface Schema {
  /** Known fields of an object. */
  readonly f?: Readonly<Record<string, Schema>>;
  /** A map (labels, annotations, data, resource lists): entries are not struct fields. */
  readonly map?: boolean;
  /** Schema of every map entry. */
  readonly any?: Schema;
  /** For maps: a live-only entry that is not drift (returns the normalizer name) or null. */
  readonly mapDefault?: (key: string, value: unknown, ctx: DefaultContext, desiredMap: Obj | undefined) => NormalizerName | null;
  /** Defaults of this object's fields. */
  readonly d?: Readonly<Record<string, DefaultRule>>;
  readonly items?: Schema;
  readonly list?: ListKind;
  readonly keys?: readonly string[];
  readonly keyDefaults?: Readonly<Record<string, unknown>>;
  /** For atomic lists: a live extra item the server adds (returns the normalizer name) or null. */
  readonly itemDefault?: (item: unknown) => NormalizerName | null;
  /** Leaf is a quantity; 'resource' also rounds up to milli (ResourceList). */
  readonly q?: 'quantity' | 'resource';
  /** Excluded from comparison and outputs (server-owned), traced under this name. */
  readonly skip?: NormalizerName;
  /** Copied to the outputs as is, never compared (apiVersion, kind). */
  readonly pass?: boolean;
  /** This object is a PodSpec (gives defaults access to hostNetwork). */
  readonly podSpec?: boolean;
}

/** Field names whose zero value is meaningful even where omitempty would drop it (pointers without a default). */
export const KEEP_ZERO_FIELDS: ReadonlySet<string> = new Set([
  'runAsUser', 'runAsGroup', 'fsGroup', 'ttlSecondsAfterFinished', 'tolerationSeconds', 'startingDeadlineSeconds',
  'replicas', 'minReplicas', 'minAvailable', 'maxUnavailable', 'maxSurge', 'partition', 'backoffLimit',
  'backoffLimitPerIndex', 'maxFailedIndexes', 'expirationSeconds', 'weight',
]);

// ---- building blocks --------------------------------------------------------

const LEAF: Schema = {};
export const GENERIC: Schema = LEAF;
const SKIP_SERVER: Schema = { skip: 'serverMetadata' };
const PASS: Schema = { pass: true };

const val = (n: NormalizerName, v: unknown): DefaultRule => ({ n, t: (x) => x === v });
const eq = (n: NormalizerName, v: unknown): DefaultRule => ({ n, t: (x) => semanticEqual(x, v) });
const fn = (n: NormalizerName, t: DefaultRule['t']): DefaultRule => ({ n, t });
const assigned = (n: NormalizerName = 'serverAssigned'): DefaultRule => ({ n, t: () => true, liveOnly: true });

const keyed = (keys: readonly string[], items: Schema = LEAF, keyDefaults?: Record<string, unknown>): Schema => ({
  list: 'keyed',
  keys,
  items,
  ...(keyDefaults ? { keyDefaults } : {}),
});
const SET: Schema = { list: 'set' };
const MERGE_SET: Schema = { list: 'mergeSet' };
const multiset = (items: Schema = LEAF, itemDefault?: Schema['itemDefault']): Schema => ({
  list: 'multiset',
  items,
  ...(itemDefault ? { itemDefault } : {}),
});
const atomic = (items: Schema): Schema => ({ items });

const QTY: Schema = { q: 'quantity' };
const RESOURCE_LIST: Schema = { map: true, any: { q: 'resource' } };
const STRING_MAP: Schema = { map: true };

// ---- metadata ---------------------------------------------------------------

/** Label/annotation keys the GitOps tools inject, filled in per comparison from the ownership rules. */
export interface MarkerKeys {
  labels: ReadonlySet<string>;
  annotations: ReadonlySet<string>;
}

function metadataSchema(extra: {
  labelDefault?: Schema['mapDefault'];
  annotationDefault?: Schema['mapDefault'];
}): Schema {
  return {
    f: {
      labels: { map: true, ...(extra.labelDefault ? { mapDefault: extra.labelDefault } : {}) },
      annotations: {
        map: true,
        mapDefault: (key, value, ctx, desired) => {
          if (isControllerAnnotation(key)) return 'controllerAnnotations';
          return extra.annotationDefault ? extra.annotationDefault(key, value, ctx, desired) : null;
        },
      },
      creationTimestamp: SKIP_SERVER,
      generation: SKIP_SERVER,
      resourceVersion: SKIP_SERVER,
      uid: SKIP_SERVER,
      selfLink: SKIP_SERVER,
      managedFields: SKIP_SERVER,
      deletionTimestamp: SKIP_SERVER,
      deletionGracePeriodSeconds: SKIP_SERVER,
      generateName: SKIP_SERVER,
      ownerReferences: keyed(['uid']),
      finalizers: MERGE_SET,
    },
    d: { namespace: assigned() },
  };
}

/** Pod template / claim template metadata: only labels and annotations matter. */
const TEMPLATE_METADATA: Schema = {
  f: {
    labels: STRING_MAP,
    annotations: STRING_MAP,
    creationTimestamp: SKIP_SERVER,
  },
};

// ---- pods -------------------------------------------------------------------

const HTTP_GET: Schema = {
  f: { httpHeaders: atomic(LEAF) },
  d: { path: val('probeDefaults', '/'), scheme: val('probeDefaults', 'HTTP') },
};
const PROBE: Schema = {
  f: { httpGet: HTTP_GET },
  d: {
    timeoutSeconds: val('probeDefaults', 1),
    periodSeconds: val('probeDefaults', 10),
    successThreshold: val('probeDefaults', 1),
    failureThreshold: val('probeDefaults', 3),
  },
};
const LIFECYCLE: Schema = { f: { postStart: { f: { httpGet: HTTP_GET } }, preStop: { f: { httpGet: HTTP_GET } } } };
const FIELD_REF: Schema = { d: { apiVersion: val('fieldRefDefaults', 'v1') } };
const RESOURCE_FIELD_REF: Schema = {
  f: { divisor: QTY },
  d: { divisor: fn('fieldRefDefaults', (v) => isZeroQuantity(v)) },
};
const ENV_VAR: Schema = {
  f: { valueFrom: { f: { fieldRef: FIELD_REF, resourceFieldRef: RESOURCE_FIELD_REF } } },
};
const CONTAINER_PORT: Schema = {
  d: {
    protocol: val('protocolTCP', 'TCP'),
    hostPort: fn('hostNetworkHostPort', (v, port, _d, ctx) => isDefaultHostPort(v, port, ctx.podSpec)),
  },
};
const RESOURCES: Schema = { f: { limits: RESOURCE_LIST, requests: RESOURCE_LIST, claims: keyed(['name']) } };

function containerSchema(): Schema {
  return {
    f: {
      ports: keyed(['containerPort', 'protocol'], CONTAINER_PORT, { protocol: 'TCP' }),
      env: keyed(['name'], ENV_VAR),
      envFrom: atomic(LEAF),
      volumeMounts: keyed(['mountPath']),
      volumeDevices: keyed(['devicePath']),
      resizePolicy: keyed(['resourceName']),
      resources: RESOURCES,
      livenessProbe: PROBE,
      readinessProbe: PROBE,
      startupProbe: PROBE,
      lifecycle: LIFECYCLE,
      command: atomic(LEAF),
      args: atomic(LEAF),
    },
    d: {
      imagePullPolicy: fn('imagePullPolicy', (v, c) => isDefaultImagePullPolicy(v, c)),
      terminationMessagePath: val('containerDefaults', '/dev/termination-log'),
      terminationMessagePolicy: val('containerDefaults', 'File'),
    },
  };
}

const VOLUME_ITEMS = atomic({ f: { fieldRef: FIELD_REF, resourceFieldRef: RESOURCE_FIELD_REF } });
const PVC_SPEC: Schema = {
  f: { accessModes: SET, resources: { f: { requests: RESOURCE_LIST, limits: RESOURCE_LIST } } },
  d: {
    volumeMode: val('pvcDefaults', 'Filesystem'),
    volumeName: assigned(),
    storageClassName: assigned(),
  },
};
const VOLUME: Schema = {
  f: {
    configMap: { d: { defaultMode: val('volumeSourceDefaults', 420) } },
    secret: { d: { defaultMode: val('volumeSourceDefaults', 420) } },
    downwardAPI: { f: { items: VOLUME_ITEMS }, d: { defaultMode: val('volumeSourceDefaults', 420) } },
    projected: {
      f: {
        sources: atomic({
          f: {
            serviceAccountToken: { d: { expirationSeconds: val('volumeSourceDefaults', 3600) } },
            downwardAPI: { f: { items: VOLUME_ITEMS } },
          },
        }),
      },
      d: { defaultMode: val('volumeSourceDefaults', 420) },
    },
    hostPath: { d: { type: val('volumeSourceDefaults', '') } },
    emptyDir: { f: { sizeLimit: QTY } },
    ephemeral: { f: { volumeClaimTemplate: { f: { metadata: TEMPLATE_METADATA, spec: PVC_SPEC } } } },
  },
};

const POD_SECURITY_CONTEXT: Schema = { f: { sysctls: keyed(['name']), supplementalGroups: SET } };

function podSpecSchema(pod: boolean): Schema {
  const container = containerSchema();
  const d: Record<string, DefaultRule> = {
    dnsPolicy: val('podSpecDefaults', 'ClusterFirst'),
    restartPolicy: val('podSpecDefaults', 'Always'),
    terminationGracePeriodSeconds: val('podSpecDefaults', 30),
    schedulerName: val('podSpecDefaults', 'default-scheduler'),
    automountServiceAccountToken: val('podSpecDefaults', true),
    enableServiceLinks: val(pod ? 'podDefaults' : 'podSpecDefaults', true),
    serviceAccount: fn('serviceAccountAlias', (v, spec) => v === spec.serviceAccountName),
    serviceAccountName: fn('serviceAccountAlias', (v, spec) => v === spec.serviceAccount),
  };
  if (pod) {
    d.priority = val('podDefaults', 0);
    d.preemptionPolicy = val('podDefaults', 'PreemptLowerPriority');
    d.nodeName = assigned('podDefaults');
    d.serviceAccountName = fn('podDefaults', (v, spec) => v === 'default' || v === spec.serviceAccount);
  }
  return {
    podSpec: true,
    f: {
      containers: keyed(['name'], container),
      initContainers: keyed(['name'], container),
      ephemeralContainers: keyed(['name'], container),
      volumes: keyed(['name'], VOLUME),
      imagePullSecrets: keyed(['name']),
      hostAliases: keyed(['ip']),
      topologySpreadConstraints: keyed(['topologyKey', 'whenUnsatisfiable']),
      readinessGates: keyed(['conditionType']),
      resourceClaims: keyed(['name']),
      schedulingGates: keyed(['name']),
      tolerations: multiset(LEAF, pod ? (t) => (isDefaultPodToleration(t) ? 'podDefaults' : null) : undefined),
      nodeSelector: STRING_MAP,
      overhead: RESOURCE_LIST,
      securityContext: POD_SECURITY_CONTEXT,
      dnsConfig: { f: { options: atomic(LEAF) } },
    },
    d,
  };
}

const POD_SPEC = podSpecSchema(false);
const POD_TEMPLATE: Schema = { f: { metadata: TEMPLATE_METADATA, spec: POD_SPEC } };
const LABEL_SELECTOR: Schema = { f: { matchLabels: STRING_MAP, matchExpressions: atomic({ f: { values: atomic(LEAF) } }) } };

// ---- workloads ---------------------------------------------------------------

const DEPLOYMENT_SPEC: Schema = {
  f: {
    template: POD_TEMPLATE,
    selector: LABEL_SELECTOR,
    strategy: {
      f: {
        rollingUpdate: {
          d: { maxSurge: val('deploymentDefaults', '25%'), maxUnavailable: val('deploymentDefaults', '25%') },
        },
      },
      d: { type: val('deploymentDefaults', 'RollingUpdate') },
    },
  },
  d: {
    replicas: val('deploymentDefaults', 1),
    revisionHistoryLimit: val('deploymentDefaults', 10),
    progressDeadlineSeconds: val('deploymentDefaults', 600),
  },
};

const CLAIM_TEMPLATE: Schema = {
  f: { metadata: TEMPLATE_METADATA, spec: PVC_SPEC, status: SKIP_SERVER },
  d: { apiVersion: val('statefulSetDefaults', 'v1'), kind: val('statefulSetDefaults', 'PersistentVolumeClaim') },
};

const STATEFULSET_SPEC: Schema = {
  f: {
    template: POD_TEMPLATE,
    selector: LABEL_SELECTOR,
    volumeClaimTemplates: keyed(['metadata.name'], CLAIM_TEMPLATE),
    updateStrategy: {
      f: {
        rollingUpdate: { d: { partition: val('statefulSetDefaults', 0), maxUnavailable: val('statefulSetDefaults', 1) } },
      },
      d: { type: val('statefulSetDefaults', 'RollingUpdate') },
    },
    persistentVolumeClaimRetentionPolicy: {
      d: { whenDeleted: val('statefulSetDefaults', 'Retain'), whenScaled: val('statefulSetDefaults', 'Retain') },
    },
  },
  d: {
    replicas: val('statefulSetDefaults', 1),
    revisionHistoryLimit: val('statefulSetDefaults', 10),
    podManagementPolicy: val('statefulSetDefaults', 'OrderedReady'),
  },
};

const DAEMONSET_SPEC: Schema = {
  f: {
    template: POD_TEMPLATE,
    selector: LABEL_SELECTOR,
    updateStrategy: {
      f: {
        rollingUpdate: { d: { maxUnavailable: val('daemonSetDefaults', 1), maxSurge: val('daemonSetDefaults', 0) } },
      },
      d: { type: val('daemonSetDefaults', 'RollingUpdate') },
    },
  },
  d: { revisionHistoryLimit: val('daemonSetDefaults', 10) },
};

const REPLICASET_SPEC: Schema = {
  f: { template: POD_TEMPLATE, selector: LABEL_SELECTOR },
  d: { replicas: val('deploymentDefaults', 1) },
};

const jobLabel: Schema['mapDefault'] = (key) => (JOB_GENERATED_LABELS.has(key) ? 'jobGeneratedSelector' : null);

function jobSpecSchema(generatedSelector: boolean): Schema {
  const template: Schema = generatedSelector
    ? { f: { metadata: { f: { ...TEMPLATE_METADATA.f, labels: { map: true, mapDefault: jobLabel } } }, spec: POD_SPEC } }
    : POD_TEMPLATE;
  return {
    f: {
      template,
      selector: generatedSelector
        ? { f: { matchLabels: { map: true, mapDefault: jobLabel }, matchExpressions: LABEL_SELECTOR.f!.matchExpressions! } }
        : LABEL_SELECTOR,
      podFailurePolicy: { f: { rules: atomic({ f: { onPodConditions: atomic({ d: { status: val('jobDefaults', 'True') } }) } }) } },
    },
    d: {
      backoffLimit: val('jobDefaults', 6),
      parallelism: val('jobDefaults', 1),
      completions: fn('jobDefaults', (v, _l, d) => v === 1 && (d === undefined || d.parallelism === undefined || d.parallelism === null)),
      completionMode: val('jobDefaults', 'NonIndexed'),
      suspend: val('jobDefaults', false),
      podReplacementPolicy: fn('jobDefaults', (v, l) =>
        v === (isObj(l.podFailurePolicy) ? 'Failed' : 'TerminatingOrFailed'),
      ),
      manualSelector: val('jobDefaults', false),
    },
  };
}

const CRONJOB_SPEC: Schema = {
  f: { jobTemplate: { f: { metadata: TEMPLATE_METADATA, spec: jobSpecSchema(false) } } },
  d: {
    concurrencyPolicy: val('cronJobDefaults', 'Allow'),
    suspend: val('cronJobDefaults', false),
    successfulJobsHistoryLimit: val('cronJobDefaults', 3),
    failedJobsHistoryLimit: val('cronJobDefaults', 1),
  },
};

// ---- services & networking ----------------------------------------------------

const SERVICE_PORT: Schema = {
  d: {
    protocol: val('protocolTCP', 'TCP'),
    targetPort: fn('serviceTargetPort', (v, port) => isDefaultTargetPort(v, port)),
    nodePort: fn('serverAssigned', (_v, _p, _d, ctx) => isExternallyAccessibleSpec(ctx.liveRoot)),
  },
};
function isExternallyAccessibleSpec(root: Obj): boolean {
  const spec = isObj(root.spec) ? root.spec : undefined;
  return spec !== undefined && (spec.type === 'NodePort' || spec.type === 'LoadBalancer');
}

const SERVICE_SPEC: Schema = {
  f: {
    ports: keyed(['port', 'protocol'], SERVICE_PORT, { protocol: 'TCP' }),
    selector: STRING_MAP,
    clusterIPs: SET,
    externalIPs: SET,
    ipFamilies: atomic(LEAF),
    sessionAffinityConfig: { f: { clientIP: { d: { timeoutSeconds: val('serviceDefaults', 10800) } } } },
  },
  d: {
    type: val('serviceDefaults', 'ClusterIP'),
    sessionAffinity: val('serviceDefaults', 'None'),
    internalTrafficPolicy: fn('serviceDefaults', (v, spec) => v === 'Cluster' && spec.type !== 'ExternalName'),
    externalTrafficPolicy: fn('serviceDefaults', (v, spec) => v === 'Cluster' && isExternallyAccessible(spec)),
    allocateLoadBalancerNodePorts: fn('serviceDefaults', (v, spec) => v === true && spec.type === 'LoadBalancer'),
    clusterIP: assigned(),
    clusterIPs: assigned(),
    ipFamilies: assigned(),
    ipFamilyPolicy: { n: 'serverAssigned', t: (v, spec) => isDefaultIpFamilyPolicy(v, spec), liveOnly: true },
    healthCheckNodePort: assigned(),
  },
};

const INGRESS_BACKEND: Schema = { f: { service: { f: { port: LEAF } } } };
const INGRESS_SPEC: Schema = {
  f: {
    rules: atomic({ f: { http: { f: { paths: atomic({ f: { backend: INGRESS_BACKEND } }) } } } }),
    tls: atomic({ f: { hosts: atomic(LEAF) } }),
    defaultBackend: INGRESS_BACKEND,
  },
};

const NETPOL_PORT: Schema = { d: { protocol: val('protocolTCP', 'TCP') } };
const NETPOL_RULE: Schema = { f: { ports: atomic(NETPOL_PORT), from: atomic(LEAF), to: atomic(LEAF) } };
const NETWORK_POLICY_SPEC: Schema = {
  f: { podSelector: LABEL_SELECTOR, ingress: atomic(NETPOL_RULE), egress: atomic(NETPOL_RULE), policyTypes: SET },
  d: {
    policyTypes: fn('networkPolicyDefaults', (v, spec) => {
      const expected = ['Ingress'];
      if (Array.isArray(spec.egress) && spec.egress.length > 0) expected.push('Egress');
      return Array.isArray(v) && v.length === expected.length && expected.every((t) => v.includes(t));
    }),
  },
};

// ---- rbac, autoscaling, config, storage ----------------------------------------

const RBAC_RULE: Schema = {
  f: { apiGroups: SET, resources: SET, verbs: SET, resourceNames: SET, nonResourceURLs: SET },
};
const SUBJECT: Schema = { d: { apiGroup: fn('rbacDefaults', (v, s) => isDefaultSubjectApiGroup(v, s)) } };
const ROLE_REF: Schema = { d: { apiGroup: val('rbacDefaults', 'rbac.authorization.k8s.io') } };

const METRIC_TARGET: Schema = { f: { value: QTY, averageValue: QTY } };
const METRIC_SOURCE: Schema = { f: { target: METRIC_TARGET, metric: { f: { selector: LABEL_SELECTOR } } } };
const HPA_SPEC: Schema = {
  f: {
    metrics: multiset({
      f: { resource: METRIC_SOURCE, containerResource: METRIC_SOURCE, pods: METRIC_SOURCE, object: METRIC_SOURCE, external: METRIC_SOURCE },
    }),
    behavior: {
      f: {
        scaleUp: {
          f: { policies: atomic(LEAF) },
          d: {
            stabilizationWindowSeconds: val('hpaDefaults', 0),
            selectPolicy: val('hpaDefaults', 'Max'),
            policies: eq('hpaDefaults', DEFAULT_HPA_SCALE_UP_POLICIES),
          },
        },
        scaleDown: {
          f: { policies: atomic(LEAF) },
          d: { selectPolicy: val('hpaDefaults', 'Max'), policies: eq('hpaDefaults', DEFAULT_HPA_SCALE_DOWN_POLICIES) },
        },
      },
    },
  },
  d: {
    minReplicas: val('hpaDefaults', 1),
    metrics: eq('hpaDefaults', DEFAULT_HPA_METRICS),
  },
};

const pod = podSpecSchema(true);
/** Pods only: a request equal to the container's limit for that resource is the default. */
const POD_SCHEMA_SPEC: Schema = {
  ...pod,
  f: {
    ...pod.f,
    containers: keyed(['name'], withRequestsFromLimits(pod.f!.containers!.items!)),
    initContainers: keyed(['name'], withRequestsFromLimits(pod.f!.initContainers!.items!)),
  },
};
function withRequestsFromLimits(container: Schema): Schema {
  return {
    ...container,
    f: {
      ...container.f,
      resources: {
        f: {
          limits: RESOURCE_LIST,
          claims: keyed(['name']),
          requests: RESOURCE_LIST,
        },
        d: {
          requests: fn('podDefaults', (v, res) => isObj(v) && isObj(res.limits) && semanticEqual(v, res.limits)),
        },
      },
    },
  };
}

// ---- admission webhooks -------------------------------------------------------

function webhookSchema(mutating: boolean): Schema {
  const d: Record<string, DefaultRule> = {
    failurePolicy: val('webhookDefaults', 'Fail'),
    matchPolicy: val('webhookDefaults', 'Equivalent'),
    timeoutSeconds: val('webhookDefaults', 10),
  };
  if (mutating) d.reinvocationPolicy = val('webhookDefaults', 'Never');
  return keyed(['name'], {
    f: {
      clientConfig: { f: { service: { d: { port: val('webhookDefaults', 443) } } } },
      rules: atomic({ f: { apiGroups: SET, apiVersions: SET, operations: SET, resources: SET }, d: { scope: val('webhookDefaults', '*') } }),
      namespaceSelector: LABEL_SELECTOR,
      objectSelector: LABEL_SELECTOR,
      admissionReviewVersions: atomic(LEAF),
    },
    d,
  });
}

// ---- kinds ---------------------------------------------------------------------

interface KindSpec {
  spec?: Schema;
  extra?: Record<string, Schema>;
  d?: Record<string, DefaultRule>;
  labelDefault?: Schema['mapDefault'];
}

const namespaceLabel: Schema['mapDefault'] = (key, value, ctx) => {
  const md = ctx.liveRoot.metadata;
  return key === 'kubernetes.io/metadata.name' && isObj(md) && value === md.name ? 'namespaceDefaults' : null;
};

/** batch/v1 SetDefaults_Job: an unlabelled Job gets its template's labels. */
const jobLabelsFromTemplate: Schema['mapDefault'] = (key, value, ctx, desiredLabels) => {
  if (JOB_GENERATED_LABELS.has(key)) return 'jobGeneratedSelector';
  const desiredMd = ctx.desiredRoot.metadata;
  if (desiredLabels !== undefined && Object.keys(desiredLabels).length > 0) return null;
  if (isObj(desiredMd) && isObj(desiredMd.labels) && Object.keys(desiredMd.labels).length > 0) return null;
  const spec = ctx.liveRoot.spec;
  const tpl = isObj(spec) && isObj(spec.template) && isObj(spec.template.metadata) ? spec.template.metadata : undefined;
  return tpl && isObj(tpl.labels) && tpl.labels[key] === value ? 'jobGeneratedSelector' : null;
};

const KINDS: Record<string, KindSpec> = {
  'apps/Deployment': { spec: DEPLOYMENT_SPEC },
  'apps/StatefulSet': { spec: STATEFULSET_SPEC },
  'apps/DaemonSet': { spec: DAEMONSET_SPEC },
  'apps/ReplicaSet': { spec: REPLICASET_SPEC },
  'batch/Job': { spec: jobSpecSchema(true), labelDefault: jobLabelsFromTemplate },
  'batch/CronJob': { spec: CRONJOB_SPEC },
  '/Pod': { spec: POD_SCHEMA_SPEC },
  '/PodTemplate': { extra: { template: POD_TEMPLATE } },
  '/ReplicationController': { spec: REPLICASET_SPEC },
  '/Service': { spec: SERVICE_SPEC },
  '/ConfigMap': { extra: { data: STRING_MAP, binaryData: STRING_MAP } },
  '/Secret': { extra: { data: STRING_MAP, stringData: STRING_MAP }, d: { type: val('secretDefaults', 'Opaque') } },
  '/ServiceAccount': { extra: { secrets: keyed(['name']), imagePullSecrets: keyed(['name']) } },
  '/PersistentVolumeClaim': { spec: PVC_SPEC },
  '/Namespace': { spec: { f: { finalizers: SET }, d: { finalizers: eq('namespaceDefaults', ['kubernetes']) } }, labelDefault: namespaceLabel },
  '/LimitRange': { spec: { f: { limits: atomic({ f: { max: RESOURCE_LIST, min: RESOURCE_LIST, default: RESOURCE_LIST, defaultRequest: RESOURCE_LIST, maxLimitRequestRatio: RESOURCE_LIST } }) } } },
  '/ResourceQuota': { spec: { f: { hard: RESOURCE_LIST } } },
  'networking.k8s.io/Ingress': { spec: INGRESS_SPEC },
  'networking.k8s.io/NetworkPolicy': { spec: NETWORK_POLICY_SPEC },
  'rbac.authorization.k8s.io/Role': { extra: { rules: multiset(RBAC_RULE) } },
  'rbac.authorization.k8s.io/ClusterRole': {
    extra: { rules: multiset(RBAC_RULE), aggregationRule: { f: { clusterRoleSelectors: atomic(LABEL_SELECTOR) } } },
  },
  'rbac.authorization.k8s.io/RoleBinding': { extra: { subjects: multiset(SUBJECT), roleRef: ROLE_REF } },
  'rbac.authorization.k8s.io/ClusterRoleBinding': { extra: { subjects: multiset(SUBJECT), roleRef: ROLE_REF } },
  'autoscaling/HorizontalPodAutoscaler': { spec: HPA_SPEC },
  'policy/PodDisruptionBudget': { spec: { f: { selector: LABEL_SELECTOR } } },
  '/PersistentVolume': {
    spec: {
      f: { capacity: RESOURCE_LIST, accessModes: SET, claimRef: { d: { kind: val('clusterConfigDefaults', 'PersistentVolumeClaim'), apiVersion: val('clusterConfigDefaults', 'v1') } } },
      d: { persistentVolumeReclaimPolicy: val('clusterConfigDefaults', 'Retain'), volumeMode: val('clusterConfigDefaults', 'Filesystem') },
    },
  },
  'storage.k8s.io/StorageClass': {
    extra: { parameters: STRING_MAP, mountOptions: atomic(LEAF) },
    d: { reclaimPolicy: val('clusterConfigDefaults', 'Delete'), volumeBindingMode: val('clusterConfigDefaults', 'Immediate') },
  },
  'scheduling.k8s.io/PriorityClass': { d: { preemptionPolicy: val('clusterConfigDefaults', 'PreemptLowerPriority') } },
  'admissionregistration.k8s.io/MutatingWebhookConfiguration': { extra: { webhooks: webhookSchema(true) } },
  'admissionregistration.k8s.io/ValidatingWebhookConfiguration': { extra: { webhooks: webhookSchema(false) } },
  'apiextensions.k8s.io/CustomResourceDefinition': {
    spec: { f: { versions: keyed(['name']) }, d: { conversion: eq('serverAssigned', { strategy: 'None' }) } },
  },
};

/** API groups of the built-in kinds: their struct fields follow omitempty (zeroEqualsAbsent). */
export const BUILTIN_GROUPS: ReadonlySet<string> = new Set([
  '', 'apps', 'batch', 'autoscaling', 'policy', 'networking.k8s.io', 'rbac.authorization.k8s.io', 'storage.k8s.io',
  'scheduling.k8s.io', 'coordination.k8s.io', 'discovery.k8s.io', 'admissionregistration.k8s.io',
  'apiextensions.k8s.io', 'apiregistration.k8s.io', 'certificates.k8s.io', 'node.k8s.io', 'events.k8s.io',
  'flowcontrol.apiserver.k8s.io', 'resource.k8s.io',
]);

const rootCache = new Map<string, Map<string, Schema>>();

/**
 * Root schema of an object of this group/kind. `markers` are the ownership
 * label/annotation keys (from the options) that are never drift when only
 * live has them.
 */
export function rootSchema(group: string, kind: string, markers: MarkerKeys, markersId: string): Schema {
  const key = `${group}/${kind}`;
  let byMarkers = rootCache.get(markersId);
  if (byMarkers === undefined) {
    byMarkers = new Map();
    rootCache.set(markersId, byMarkers);
  }
  let s = byMarkers.get(key);
  if (s === undefined) {
    s = buildRoot(KINDS[key], markers);
    byMarkers.set(key, s);
  }
  return s;
}

function buildRoot(k: KindSpec | undefined, markers: MarkerKeys): Schema {
  const labelDefault: Schema['mapDefault'] = (key, value, ctx, desired) => {
    if (markers.labels.has(key)) return 'ownershipMarkers';
    return k?.labelDefault ? k.labelDefault(key, value, ctx, desired) : null;
  };
  const annotationDefault: Schema['mapDefault'] = (key) => (markers.annotations.has(key) ? 'ownershipMarkers' : null);
  return {
    f: {
      apiVersion: PASS,
      kind: PASS,
      status: SKIP_SERVER,
      metadata: metadataSchema({ labelDefault, annotationDefault }),
      ...(k?.spec ? { spec: k.spec } : {}),
      ...(k?.extra ?? {}),
    },
    ...(k?.d ? { d: k.d } : {}),
  };
}
