/**
 * Which kinds are cluster-scoped, for namespace defaulting when no discovery
 * information is available (Git side, before any cluster was seen). Keys are
 * "group/Kind" with the core group written as "" ("/Namespace").
 */
const CLUSTER_SCOPED: ReadonlyArray<readonly [group: string, kinds: readonly string[]]> = [
  ['', ['Namespace', 'Node', 'PersistentVolume', 'ComponentStatus']],
  ['rbac.authorization.k8s.io', ['ClusterRole', 'ClusterRoleBinding']],
  ['apiextensions.k8s.io', ['CustomResourceDefinition']],
  ['apiregistration.k8s.io', ['APIService']],
  ['storage.k8s.io', ['StorageClass', 'CSIDriver', 'CSINode', 'VolumeAttachment', 'VolumeAttributesClass']],
  ['scheduling.k8s.io', ['PriorityClass']],
  ['networking.k8s.io', ['IngressClass', 'IPAddress', 'ServiceCIDR']],
  ['node.k8s.io', ['RuntimeClass']],
  ['policy', ['PodSecurityPolicy']],
  [
    'admissionregistration.k8s.io',
    [
      'ValidatingWebhookConfiguration',
      'MutatingWebhookConfiguration',
      'ValidatingAdmissionPolicy',
      'ValidatingAdmissionPolicyBinding',
      'MutatingAdmissionPolicy',
      'MutatingAdmissionPolicyBinding',
    ],
  ],
  ['certificates.k8s.io', ['CertificateSigningRequest', 'ClusterTrustBundle']],
  ['flowcontrol.apiserver.k8s.io', ['FlowSchema', 'PriorityLevelConfiguration']],
  ['resource.k8s.io', ['DeviceClass']],
  ['authentication.k8s.io', ['TokenReview', 'SelfSubjectReview']],
  ['authorization.k8s.io', ['SubjectAccessReview', 'SelfSubjectAccessReview', 'SelfSubjectRulesReview']],
  // Widely used add-ons.
  ['cert-manager.io', ['ClusterIssuer']],
  ['gateway.networking.k8s.io', ['GatewayClass']],
  ['snapshot.storage.k8s.io', ['VolumeSnapshotClass', 'VolumeSnapshotContent']],
  ['external-secrets.io', ['ClusterSecretStore', 'ClusterExternalSecret', 'ClusterGenerator']],
  ['kyverno.io', ['ClusterPolicy', 'ClusterCleanupPolicy']],
  ['wgpolicyk8s.io', ['ClusterPolicyReport']],
  ['templates.gatekeeper.sh', ['ConstraintTemplate']],
  ['argoproj.io', ['ClusterWorkflowTemplate']],
  ['karpenter.sh', ['NodePool', 'NodeClaim']],
  ['karpenter.k8s.aws', ['EC2NodeClass']],
  ['cilium.io', ['CiliumClusterwideNetworkPolicy', 'CiliumNode', 'CiliumIdentity', 'CiliumLoadBalancerIPPool']],
  [
    'crd.projectcalico.org',
    ['GlobalNetworkPolicy', 'GlobalNetworkSet', 'IPPool', 'FelixConfiguration', 'BGPConfiguration', 'ClusterInformation'],
  ],
  [
    'projectcalico.org',
    ['GlobalNetworkPolicy', 'GlobalNetworkSet', 'IPPool', 'FelixConfiguration', 'BGPConfiguration', 'ClusterInformation'],
  ],
];

/** Groups whose every kind is cluster-scoped (Gatekeeper constraints are generated per template). */
const CLUSTER_SCOPED_GROUPS: ReadonlySet<string> = new Set(['constraints.gatekeeper.sh']);

const TABLE: ReadonlySet<string> = new Set(
  CLUSTER_SCOPED.flatMap(([group, kinds]) => kinds.map((kind) => `${group}/${kind}`)),
);

/** True when the built-in table knows this kind as cluster-scoped. Unknown kinds are assumed namespaced. */
export function isBuiltinClusterScoped(group: string, kind: string): boolean {
  return TABLE.has(`${group}/${kind}`) || CLUSTER_SCOPED_GROUPS.has(group);
}

/** The built-in table as "group/Kind" strings, for documentation and config validation. */
export function builtinClusterScopedKinds(): string[] {
  return [...TABLE].sort();
}

/**
 * Groups of configuration files that look like objects but are read by tools,
 * never applied (kubelet/kube-proxy/apiserver component configs, audit policy,
 * kubeadm, kind, k3d, skaffold). A document from one of these groups with no
 * metadata.name is "not Kubernetes" rather than a `missing-name` error.
 */
export function isToolConfigGroup(group: string, kind: string): boolean {
  if (group === '' && kind === 'Config') return true; // kubeconfig
  return (
    group.endsWith('.config.k8s.io') ||
    group === 'audit.k8s.io' ||
    group === 'kubeadm.k8s.io' ||
    group === 'kind.x-k8s.io' ||
    group === 'k3d.io' ||
    group === 'skaffold' ||
    group === 'kustomize.config.k8s.io'
  );
}
