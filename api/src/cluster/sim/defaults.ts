import type { ResourceType } from './resources';
import { isPlainObject, type KubeObject } from './types';

/**
 * The defaults a real API server adds on write, for the fields a GitOps diff trips over most
 * (a subset of k8s.io/kubernetes/pkg/apis/<group>/v1/defaults.go). Only missing fields are filled,
 * so applying this to every write is idempotent. The object is changed in place.
 */
export interface DefaultingContext {
  /** The previous stored object, if any (immutable fields such as a Service's clusterIP carry over). */
  previous?: KubeObject;
  allocateClusterIP: () => string;
}

export function applyDefaults(rt: ResourceType, obj: KubeObject, ctx: DefaultingContext): void {
  if (rt.custom) return;
  const key = `${rt.group}/${rt.kind}`;
  const spec = () => (obj.spec = isPlainObject(obj.spec) ? obj.spec : {});
  switch (key) {
    case '/Namespace': {
      obj.metadata.labels = { ...(obj.metadata.labels ?? {}), 'kubernetes.io/metadata.name': obj.metadata.name };
      spec().finalizers ??= ['kubernetes'];
      obj.status = { phase: obj.metadata.deletionTimestamp ? 'Terminating' : 'Active', ...(isPlainObject(obj.status) ? obj.status : {}) };
      break;
    }
    case '/Secret':
      obj.type ??= 'Opaque';
      break;
    case '/Service': {
      const s = spec();
      s.type ??= 'ClusterIP';
      s.sessionAffinity ??= 'None';
      if (s.type !== 'ExternalName') {
        const prevIP = ctx.previous?.spec?.clusterIP;
        s.clusterIP ??= prevIP ?? ctx.allocateClusterIP();
        s.clusterIPs ??= ctx.previous?.spec?.clusterIPs ?? [s.clusterIP];
        s.ipFamilies ??= ['IPv4'];
        s.ipFamilyPolicy ??= 'SingleStack';
        s.internalTrafficPolicy ??= 'Cluster';
      }
      if (Array.isArray(s.ports)) {
        for (const p of s.ports) {
          if (!isPlainObject(p)) continue;
          p.protocol ??= 'TCP';
          p.targetPort ??= p.port;
        }
      }
      if (!isPlainObject(obj.status)) obj.status = { loadBalancer: {} };
      break;
    }
    case '/Pod':
      podSpec(spec());
      spec().serviceAccountName ??= 'default';
      spec().serviceAccount ??= spec().serviceAccountName;
      spec().enableServiceLinks ??= true;
      spec().priority ??= 0;
      spec().preemptionPolicy ??= 'PreemptLowerPriority';
      if (!isPlainObject(obj.status)) obj.status = { phase: 'Pending', qosClass: 'BestEffort' };
      break;
    case 'apps/Deployment': {
      const s = spec();
      s.replicas ??= 1;
      s.revisionHistoryLimit ??= 10;
      s.progressDeadlineSeconds ??= 600;
      s.strategy ??= { type: 'RollingUpdate' };
      if (s.strategy.type === 'RollingUpdate') s.strategy.rollingUpdate ??= { maxUnavailable: '25%', maxSurge: '25%' };
      template(s);
      break;
    }
    case 'apps/StatefulSet': {
      const s = spec();
      s.replicas ??= 1;
      s.revisionHistoryLimit ??= 10;
      s.podManagementPolicy ??= 'OrderedReady';
      s.updateStrategy ??= { type: 'RollingUpdate' };
      if (s.updateStrategy.type === 'RollingUpdate') s.updateStrategy.rollingUpdate ??= { partition: 0 };
      s.persistentVolumeClaimRetentionPolicy ??= { whenDeleted: 'Retain', whenScaled: 'Retain' };
      template(s);
      break;
    }
    case 'apps/DaemonSet': {
      const s = spec();
      s.revisionHistoryLimit ??= 10;
      s.updateStrategy ??= { type: 'RollingUpdate' };
      if (s.updateStrategy.type === 'RollingUpdate') s.updateStrategy.rollingUpdate ??= { maxUnavailable: 1, maxSurge: 0 };
      template(s);
      break;
    }
    case 'apps/ReplicaSet':
      spec().replicas ??= 1;
      template(spec());
      break;
    case 'batch/Job': {
      const s = spec();
      s.parallelism ??= 1;
      s.completions ??= 1;
      s.backoffLimit ??= 6;
      s.completionMode ??= 'NonIndexed';
      s.suspend ??= false;
      s.podReplacementPolicy ??= 'TerminatingOrFailed';
      template(s);
      break;
    }
    case 'batch/CronJob': {
      const s = spec();
      s.concurrencyPolicy ??= 'Allow';
      s.suspend ??= false;
      s.successfulJobsHistoryLimit ??= 3;
      s.failedJobsHistoryLimit ??= 1;
      if (isPlainObject(s.jobTemplate?.spec)) template(s.jobTemplate.spec);
      break;
    }
    case 'networking.k8s.io/NetworkPolicy': {
      const s = spec();
      s.policyTypes ??= Array.isArray(s.egress) ? ['Ingress', 'Egress'] : ['Ingress'];
      break;
    }
    case 'networking.k8s.io/Ingress':
      if (!isPlainObject(obj.status)) obj.status = { loadBalancer: {} };
      break;
    case 'apiextensions.k8s.io/CustomResourceDefinition':
      spec().conversion ??= { strategy: 'None' };
      break;
  }
}

/**
 * What the server does to every write whether or not defaulting is on: a Secret's stringData is merged into
 * data (base64) and never stored.
 */
export function normalize(rt: ResourceType, obj: KubeObject): void {
  if (rt.custom || rt.group !== '' || rt.kind !== 'Secret' || !isPlainObject(obj.stringData)) return;
  obj.data = { ...(isPlainObject(obj.data) ? obj.data : {}) };
  for (const [k, v] of Object.entries(obj.stringData)) obj.data[k] = Buffer.from(String(v), 'utf8').toString('base64');
  delete obj.stringData;
}

function template(s: Record<string, any>): void {
  if (!isPlainObject(s.template)) return;
  s.template.metadata ??= {};
  if (isPlainObject(s.template.spec)) podSpec(s.template.spec);
}

function podSpec(p: Record<string, any>): void {
  p.restartPolicy ??= 'Always';
  p.terminationGracePeriodSeconds ??= 30;
  p.dnsPolicy ??= 'ClusterFirst';
  p.securityContext ??= {};
  p.schedulerName ??= 'default-scheduler';
  for (const list of ['containers', 'initContainers']) {
    if (!Array.isArray(p[list])) continue;
    for (const c of p[list]) {
      if (!isPlainObject(c)) continue;
      c.terminationMessagePath ??= '/dev/termination-log';
      c.terminationMessagePolicy ??= 'File';
      c.resources ??= {};
      c.imagePullPolicy ??= imagePullPolicy(String(c.image ?? ''));
      if (Array.isArray(c.ports)) for (const port of c.ports) if (isPlainObject(port)) port.protocol ??= 'TCP';
    }
  }
}

/** Always for ":latest" or an untagged image, otherwise IfNotPresent. */
function imagePullPolicy(image: string): string {
  if (image.includes('@')) return 'IfNotPresent';
  const lastSegment = image.slice(image.lastIndexOf('/') + 1);
  const colon = lastSegment.lastIndexOf(':');
  if (colon < 0) return 'Always';
  return lastSegment.slice(colon + 1) === 'latest' ? 'Always' : 'IfNotPresent';
}
