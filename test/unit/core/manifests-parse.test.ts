import { describe, expect, it } from 'vitest';
import { identityKey } from '../../../api/src/core/identity';
import {
  isManifestCandidate,
  looksLikeKubernetes,
  manifestFileType,
  parseManifestFile,
  type ParseManifestOptions,
} from '../../../api/src/core/manifests';

const opts: ParseManifestOptions = { maxBytes: 1024 * 1024, defaultNamespace: 'shop' };
const parse = (path: string, text: string | Buffer, o: Partial<ParseManifestOptions> = {}) =>
  parseManifestFile(path, typeof text === 'string' ? Buffer.from(text, 'utf8') : text, { ...opts, ...o });
const keys = (r: ReturnType<typeof parse>) => r.objects.map((o) => identityKey(o.identity));

const deployment = `apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  labels: { app: web }
spec:
  replicas: 2
  template:
    spec:
      containers:
        - name: web
          image: nginx:1.27
`;

describe('parseManifestFile: documents and identity', () => {
  it('reads every document of a multi-document file, with group from apiVersion and the default namespace', () => {
    const r = parse(
      'apps/shop/all.yaml',
      `${deployment}---
apiVersion: v1
kind: Service
metadata:
  name: web
  namespace: frontend
spec:
  ports: [{ port: 80 }]
---
apiVersion: v1
kind: ConfigMap
metadata: { name: settings }
data: { LOG_LEVEL: info }
`,
    );
    expect(r.status).toBe('ok');
    expect(keys(r)).toEqual(['apps/Deployment/shop/web', '/Service/frontend/web', '/ConfigMap/shop/settings']);
    expect(r.objects.map((o) => o.docIndex)).toEqual([0, 1, 2]);
    expect(r.objects[0]!.apiVersion).toBe('apps/v1');
    // The body is the object as it would be applied: the defaulted namespace is in it.
    expect((r.objects[0]!.body.metadata as Record<string, unknown>).namespace).toBe('shop');
    expect(r.objects[0]!.body.spec).toMatchObject({ replicas: 2 });
  });

  it('defaults to the "default" namespace like kubectl when none is configured', () => {
    const r = parseManifestFile('cm.yaml', Buffer.from('apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a}\n'), {
      maxBytes: 1000,
    });
    expect(keys(r)).toEqual(['/ConfigMap/default/a']);
  });

  it('never gives cluster-scoped kinds a namespace, even one written in Git', () => {
    const r = parse(
      'cluster.yaml',
      `apiVersion: v1
kind: Namespace
metadata: { name: shop }
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata: { name: reader, namespace: shop }
rules: []
---
apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata: { name: widgets.example.com }
---
apiVersion: cert-manager.io/v1
kind: ClusterIssuer
metadata: { name: letsencrypt }
---
apiVersion: storage.k8s.io/v1
kind: StorageClass
metadata: { name: fast }
---
apiVersion: admissionregistration.k8s.io/v1
kind: ValidatingWebhookConfiguration
metadata: { name: policy }
---
apiVersion: scheduling.k8s.io/v1
kind: PriorityClass
metadata: { name: high }
`,
    );
    expect(r.status).toBe('ok');
    expect(r.objects.map((o) => o.identity.namespace)).toEqual(['', '', '', '', '', '', '']);
    expect(keys(r)[1]).toBe('rbac.authorization.k8s.io/ClusterRole//reader');
    expect((r.objects[1]!.body.metadata as Record<string, unknown>).namespace).toBeUndefined();
  });

  it('asks the namespacedKinds callback first, and treats unknown custom kinds as namespaced', () => {
    const text = `apiVersion: example.com/v1
kind: Widget
metadata: { name: w }
---
apiVersion: example.com/v1
kind: GlobalWidget
metadata: { name: g }
---
apiVersion: v1
kind: Namespace
metadata: { name: ns }
`;
    expect(keys(parse('w.yaml', text))).toEqual([
      'example.com/Widget/shop/w',
      'example.com/GlobalWidget/shop/g',
      '/Namespace//ns',
    ]);
    const fromDiscovery = (group: string, kind: string) => (kind === 'GlobalWidget' ? false : undefined);
    expect(keys(parse('w.yaml', text, { namespacedKinds: fromDiscovery }))).toEqual([
      'example.com/Widget/shop/w',
      'example.com/GlobalWidget//g',
      '/Namespace//ns',
    ]);
  });

  it('flattens kind: List and typed lists, keeping the document and item index', () => {
    const r = parse(
      'list.yaml',
      `apiVersion: v1
kind: List
items:
  - apiVersion: apps/v1
    kind: Deployment
    metadata: { name: api }
  - apiVersion: v1
    kind: Service
    metadata: { name: api, namespace: backend }
---
apiVersion: v1
kind: ConfigMapList
metadata: { resourceVersion: "" }
items:
  - metadata: { name: one }
    data: { a: "1" }
  - metadata: { name: two }
`,
    );
    expect(r.status).toBe('ok');
    expect(keys(r)).toEqual([
      'apps/Deployment/shop/api',
      '/Service/backend/api',
      '/ConfigMap/shop/one',
      '/ConfigMap/shop/two',
    ]);
    expect(r.objects.map((o) => [o.docIndex, o.listIndex])).toEqual([
      [0, 0],
      [0, 1],
      [1, 0],
      [1, 1],
    ]);
    expect(r.objects[2]!.body).toMatchObject({ apiVersion: 'v1', kind: 'ConfigMap', data: { a: '1' } });
  });

  it('tells a kustomize Kustomization (config) from a Flux Kustomization (cluster object)', () => {
    const kustomization = parse(
      'clusters/prod/kustomization.yaml',
      `apiVersion: kustomize.config.k8s.io/v1beta1
kind: Kustomization
namespace: shop
resources: [deployment.yaml, service.yaml]
`,
    );
    const flux = parse(
      'clusters/prod/apps.yaml',
      `apiVersion: kustomize.toolkit.fluxcd.io/v1
kind: Kustomization
metadata: { name: apps, namespace: flux-system }
spec: { path: ./apps, interval: 10m, sourceRef: { kind: GitRepository, name: flux-system } }
`,
    );
    expect(kustomization.status).toBe('ok');
    const k = kustomization.objects[0]!;
    expect(k.isKustomizeConfig).toBe(true);
    expect(k.identity).toEqual({
      group: 'kustomize.config.k8s.io',
      kind: 'Kustomization',
      namespace: '',
      name: 'clusters/prod/kustomization.yaml',
    });
    expect(k.body.resources).toEqual(['deployment.yaml', 'service.yaml']);

    const f = flux.objects[0]!;
    expect(f.isKustomizeConfig).toBeUndefined();
    expect(f.identity).toEqual({ group: 'kustomize.toolkit.fluxcd.io', kind: 'Kustomization', namespace: 'flux-system', name: 'apps' });

    // Same kind and name, different group: two identities.
    const named = parse(
      'k.yaml',
      `apiVersion: kustomize.config.k8s.io/v1beta1
kind: Kustomization
metadata: { name: apps, namespace: flux-system }
`,
    ).objects[0]!;
    expect(identityKey(named.identity)).not.toBe(identityKey(f.identity));
  });

  it('reads a kustomization.yaml that has no apiVersion/kind as kustomize config', () => {
    const r = parse('base/kustomization.yaml', 'resources:\n  - deployment.yaml\n');
    expect(r.status).toBe('ok');
    expect(r.objects[0]!.isKustomizeConfig).toBe(true);
    expect(r.objects[0]!.identity.kind).toBe('Kustomization');
    // The same content under another name is just not Kubernetes.
    expect(parse('base/values.yaml', 'resources:\n  - deployment.yaml\n').status).toBe('not-kubernetes');
  });

  it('reads .json manifests', () => {
    const r = parse(
      'cm.json',
      JSON.stringify({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'j', namespace: 'x' }, data: { a: 'b' } }),
    );
    expect(r.status).toBe('ok');
    expect(keys(r)).toEqual(['/ConfigMap/x/j']);
  });

  it('keeps YAML 1.1 scalars the way the API server reads them, so Git and live compare equal', () => {
    const r = parse(
      'pod.yaml',
      `apiVersion: v1
kind: Pod
metadata: { name: p }
spec:
  volumes:
    - name: s
      secret: { secretName: s, defaultMode: 0644 }
  containers:
    - name: c
      env:
        - { name: AT, value: 12:30 }
        - { name: DAY, value: 2024-01-01 }
`,
    );
    const spec = r.objects[0]!.body.spec as { volumes: { secret: { defaultMode: number } }[]; containers: { env: { value: unknown }[] }[] };
    expect(spec.volumes[0]!.secret.defaultMode).toBe(420);
    expect(spec.containers[0]!.env.map((e) => e.value)).toEqual(['12:30', '2024-01-01']);
  });

  it('supports anchors and merge keys, giving each object its own copy', () => {
    const r = parse(
      'anchors.yaml',
      `apiVersion: v1
kind: ConfigMap
metadata:
  name: a
  labels: &labels { team: shop, tier: web }
  annotations:
    <<: *labels
    extra: "1"
data: {}
`,
    );
    expect(r.status).toBe('ok');
    const md = r.objects[0]!.body.metadata as { labels: Record<string, string>; annotations: Record<string, string> };
    expect(md.annotations).toEqual({ team: 'shop', tier: 'web', extra: '1' });
    md.labels.team = 'changed';
    expect(md.annotations.team).toBe('shop');
  });
});

describe('parseManifestFile: files that are not Kubernetes', () => {
  it.each([
    ['README.md', '# Infra\n\nSee docs.\n'],
    ['terraform/main.tf', 'resource "aws_s3_bucket" "b" {\n  bucket = "x"\n}\n'],
    ['dns/example.com.zone', '$ORIGIN example.com.\n@ IN A 192.0.2.1\n'],
    ['acl/users.acl', 'user alice on +@all\n'],
  ])('%s is not a manifest file', (path, text) => {
    const r = parse(path, text);
    expect(r).toMatchObject({ status: 'not-kubernetes', reasonCode: 'not-manifest-file', objects: [] });
  });

  it('YAML that is not a Kubernetes object (Helm Chart.yaml, compose, Ansible, kubeconfig, CloudFormation)', () => {
    expect(parse('chart/Chart.yaml', 'apiVersion: v2\nname: web\nversion: 1.0.0\n')).toMatchObject({
      status: 'not-kubernetes',
      reasonCode: 'not-kubernetes',
    });
    expect(parse('docker-compose.yml', 'services:\n  web:\n    image: nginx\n').status).toBe('not-kubernetes');
    expect(parse('play.yml', '- hosts: all\n  tasks:\n    - debug: { msg: "{{ inventory_hostname }}" }\n').status).toBe(
      'not-kubernetes',
    );
    expect(parse('kubeconfig.yaml', 'apiVersion: v1\nkind: Config\nclusters: []\n').status).toBe('not-kubernetes');
    expect(parse('stack.yaml', 'Resources:\n  Bucket:\n    Type: AWS::S3::Bucket\n    Properties:\n      BucketName: !Ref Name\n      Tags: !GetAtt [a, b]\n').status).toBe('not-kubernetes');
  });

  it.each([
    ['empty file', ''],
    ['only a separator', '---\n'],
    ['only comments', '# nothing here yet\n# TODO\n'],
    ['separators and comments', '---\n# c\n---\n...\n'],
  ])('%s is not-kubernetes with reason "empty", not an error', (_name, text) => {
    expect(parse('x.yaml', text)).toMatchObject({ status: 'not-kubernetes', reasonCode: 'empty', reason: 'empty', objects: [] });
  });

  it('skips empty documents and top-level scalars or arrays between objects silently', () => {
    const r = parse('mixed.yaml', `---\n# leading comment\n---\n${deployment}---\njust a string\n---\n- a\n- b\n---\n`);
    expect(r.status).toBe('ok');
    expect(keys(r)).toEqual(['apps/Deployment/shop/web']);
    expect(r.problems).toEqual([]);
    expect(parse('scalar.yaml', 'hello\n').status).toBe('not-kubernetes');
    expect(parse('array.json', '[1, 2]').status).toBe('not-kubernetes');
  });
});

describe('parseManifestFile: bad input is data', () => {
  it('invalid YAML: yaml-syntax with line and column', () => {
    const r = parse('bad.yaml', 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: [unclosed\ndata: {}\n');
    expect(r.status).toBe('error');
    expect(r.reasonCode).toBe('yaml-syntax');
    expect(r.line).toBeGreaterThanOrEqual(4);
    expect(r.reason).toMatch(/line \d+, column \d+/);
    expect(r.objects).toEqual([]);
  });

  it('tabs used as indentation: yaml-syntax that says so', () => {
    const r = parse('tabs.yaml', 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n\tname: x\n');
    expect(r).toMatchObject({ status: 'error', reasonCode: 'yaml-syntax', line: 4 });
    expect(r.reason).toMatch(/tab/i);
  });

  it('CRLF line endings parse exactly like LF', () => {
    const lf = parse('a.yaml', `${deployment}---\napiVersion: v1\nkind: Service\nmetadata: { name: web }\n`);
    const crlf = parse('a.yaml', `${deployment}---\napiVersion: v1\nkind: Service\nmetadata: { name: web }\n`.replace(/\n/g, '\r\n'));
    expect(crlf.status).toBe('ok');
    expect(crlf.objects).toEqual(lf.objects);
  });

  it('strips a UTF-8 byte order mark', () => {
    const r = parse('bom.yaml', Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(deployment)]));
    expect(r.status).toBe('ok');
    expect(r.objects[0]!.body.apiVersion).toBe('apps/v1');
  });

  it('duplicate keys: duplicate-key naming the key and its line', () => {
    const r = parse(
      'dup.yaml',
      'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\n  labels:\n    app: a\n    tier: b\n    app: c\n',
    );
    expect(r).toMatchObject({ status: 'error', reasonCode: 'duplicate-key', line: 8 });
    expect(r.reason).toContain('"app"');
    const quoted = parse('dup2.yaml', 'a: 1\n"release-name": 2\nrelease-name: 3\n');
    expect(quoted.reasonCode).toBe('duplicate-key');
    expect(quoted.reason).toContain('"release-name"');
  });

  it('a billion-laughs alias bomb fails fast with alias-bomb', () => {
    const bomb = [
      'a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]',
      'b: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]',
      'c: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]',
      'd: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c]',
      'e: &e [*d,*d,*d,*d,*d,*d,*d,*d,*d]',
      'f: &f [*e,*e,*e,*e,*e,*e,*e,*e,*e]',
      'g: &g [*f,*f,*f,*f,*f,*f,*f,*f,*f]',
      'h: &h [*g,*g,*g,*g,*g,*g,*g,*g,*g]',
      'i: &i [*h,*h,*h,*h,*h,*h,*h,*h,*h]',
      'apiVersion: v1',
      'kind: ConfigMap',
      'metadata: { name: lol }',
      'data: { x: *i }',
    ].join('\n');
    const r = parse('bomb.yaml', bomb);
    expect(r).toMatchObject({ status: 'error', reasonCode: 'alias-bomb', objects: [] });
    expect(r.line).toBeGreaterThan(1);
    // Without the guard this never finishes (10^9 expanded nodes): the test's own timeout would fail it.
  });

  it('a few aliases to one large string are an alias bomb too (expansion is measured in size, not nodes)', () => {
    const big = 'x'.repeat(100_000);
    const text = [
      `a: &a "${big}"`,
      `b: &b [${Array(10).fill('*a').join(', ')}]`,
      `c: &c [${Array(10).fill('*b').join(', ')}]`,
      `d: [${Array(10).fill('*c').join(', ')}]`,
    ].join('\n');
    expect(parse('wide.yaml', text, { maxBytes: 10 * 1024 * 1024 }).reasonCode).toBe('alias-bomb');
  });

  it('nesting deeper than 100 levels is rejected in YAML and JSON alike', () => {
    expect(parse('deep.yaml', 'a: ' + '['.repeat(150) + ']'.repeat(150) + '\n')).toMatchObject({ status: 'error', reasonCode: 'yaml-syntax' });
    const deep = parse('deep.json', '{"a":' + '['.repeat(5000) + ']'.repeat(5000) + '}');
    expect(deep).toMatchObject({ status: 'error', reasonCode: 'json-syntax' });
    expect(deep.reason).toMatch(/deeper than 100/);
  });

  it('an alias that refers to its own container is an error, not a cyclic object', () => {
    const r = parse('cycle.yaml', 'apiVersion: v1\nkind: ConfigMap\nmetadata: &m { name: x, self: *m }\n');
    expect(r).toMatchObject({ status: 'error', reasonCode: 'yaml-syntax' });
    expect(r.reason).toMatch(/\*m/);
  });

  it('language tags never construct anything: !!js/function and !!python/object are errors', () => {
    for (const tag of ['!!js/function "function () { process.exit(1) }"', '!!python/object/apply:os.system ["id"]']) {
      const r = parse('evil.yaml', `apiVersion: v1\nkind: ConfigMap\nmetadata: { name: x }\ndata:\n  a: ${tag}\n`);
      expect(r).toMatchObject({ status: 'error', reasonCode: 'yaml-syntax' });
    }
  });

  it('a document without metadata.name is a missing-name error; the other documents still parse', () => {
    const r = parse(
      'partial.yaml',
      `${deployment}---
apiVersion: batch/v1
kind: Job
metadata:
  generateName: migrate-
spec: {}
---
apiVersion: v1
kind: Service
metadata: { name: web }
`,
    );
    expect(r.status).toBe('error');
    expect(r.reasonCode).toBe('missing-name');
    expect(r.reason).toMatch(/document 2.*Job.*metadata\.name/);
    expect(keys(r)).toEqual(['apps/Deployment/shop/web', '/Service/shop/web']);
    expect(r.problems).toEqual([expect.objectContaining({ docIndex: 1, reasonCode: 'missing-name' })]);
  });

  it('a name YAML reads as a boolean or number is a missing-name error that says to quote it', () => {
    const r = parse('ns.yaml', 'apiVersion: v1\nkind: Namespace\nmetadata:\n  name: no\n');
    expect(r).toMatchObject({ status: 'error', reasonCode: 'missing-name' });
    expect(r.reason).toMatch(/must be a string.*quote/);
  });

  it('binary content: NUL bytes, invalid UTF-8 and UTF-16 are binary errors', () => {
    const png = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0x00, 0x00]);
    expect(parse('logo.yaml', png)).toMatchObject({ status: 'error', reasonCode: 'binary' });
    expect(parse('latin1.yaml', Buffer.from([0x61, 0x3a, 0x20, 0xe9, 0x74, 0xe9, 0x0a]))).toMatchObject({
      status: 'error',
      reasonCode: 'binary',
    });
    const utf16 = Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from('a: 1\n', 'utf16le')]);
    const r = parse('utf16.yaml', utf16);
    expect(r.reasonCode).toBe('binary');
    expect(r.reason).toMatch(/UTF-16/);
  });

  it('files over maxBytes are skipped as too-large, and the size alone is enough', () => {
    const big = parse('big.yaml', deployment, { maxBytes: 100 });
    expect(big).toMatchObject({ status: 'skipped', reasonCode: 'too-large', objects: [] });
    expect(big.reason).toMatch(/over the 100 B limit/);
    const unread = parse('huge.yaml', Buffer.alloc(0), { maxBytes: 5 * 1024 * 1024, size: 40 * 1024 * 1024 });
    expect(unread).toMatchObject({ status: 'skipped', reasonCode: 'too-large' });
    expect(unread.reason).toContain('40 MiB');
  });

  it('invalid JSON: json-syntax with a position and without echoing the content', () => {
    const r = parse('bad.json', '{\n  "apiVersion": "v1",\n  "kind": "Secret" "data": {"password": "hunter2"}\n}');
    expect(r).toMatchObject({ status: 'error', reasonCode: 'json-syntax', line: 3 });
    expect(r.reason).not.toContain('hunter2');
  });
});

describe('parseManifestFile: templates', () => {
  it.each([
    ['a control line', `{{- if .Values.enabled }}\n${deployment}{{- end }}\n`, 1],
    ['a templated value', 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {{ include "app.fullname" . }}\n', 4],
    ['a quoted Helm built-in', 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: "{{ .Release.Name }}-config"\n', 4],
    ['an included block', 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\n  labels:\n    {{- include "labels" . | nindent 4 }}\n', 6],
  ])('Helm template with %s is skipped as template, with its line', (_name, text, line) => {
    const r = parse('chart/templates/x.yaml', text);
    expect(r).toMatchObject({ status: 'skipped', reasonCode: 'template', line, objects: [] });
    expect(r.reason).toContain(`line ${line}`);
  });

  it('Argo Workflows parameters and a block scalar whose header has a comment are not templates', () => {
    const r = parse(
      'wf.yaml',
      `apiVersion: argoproj.io/v1alpha1
kind: WorkflowTemplate
metadata: { name: build }
spec:
  templates:
    - name: main
      container:
        image: "alpine:{{inputs.parameters.tag}}"
        args: ["echo {{workflow.name}}"]
      script:
        source: | # printed as is
          {{ not a template here }}
          {{- neither }}
`,
    );
    expect(r.status).toBe('ok');
  });

  it('a JSON file with templating is a template, not a JSON error', () => {
    expect(parse('x.json', '{"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": {{ .Values.name }}}}').reasonCode).toBe(
      'template',
    );
  });

  it('PrometheusRule and Alertmanager templates inside strings and block scalars are real objects', () => {
    const rule = parse(
      'monitoring/rules.yaml',
      `apiVersion: monitoring.coreos.com/v1
kind: PrometheusRule
metadata: { name: node, namespace: monitoring }
spec:
  groups:
    - name: node
      rules:
        - alert: NodeDown
          expr: up == 0
          annotations:
            summary: "Instance {{ $labels.instance }} down"
            description: Instance {{ $labels.instance }} has been down for {{ $value }} minutes.
            runbook: |
              {{ range .Alerts }}
              {{ .Labels.instance }}
              {{ end }}
---
apiVersion: v1
kind: ConfigMap
metadata: { name: alertmanager, namespace: monitoring }
data:
  template.tmpl: |-
    {{ define "slack.title" }}[{{ .Status | toUpper }}] {{ .CommonLabels.alertname }}{{ end }}
    {{- range .Alerts }}
      {{ .Annotations.summary }}
    {{- end }}
  dashboard.json: '{"legendFormat": "{{pod}}"}'
`,
    );
    expect(rule.status).toBe('ok');
    expect(keys(rule)).toEqual(['monitoring.coreos.com/PrometheusRule/monitoring/node', '/ConfigMap/monitoring/alertmanager']);
  });
});

describe('parseManifestFile: SOPS', () => {
  const sopsSecret = (ciphertext: string) => `apiVersion: v1
kind: Secret
metadata:
  name: db
  namespace: shop
type: Opaque
stringData:
  password: ENC[AES256_GCM,data:${ciphertext},iv:q1w2e3,tag:abc==,type:str]
sops:
  kms: []
  age:
    - recipient: age1qqq
      enc: |
        -----BEGIN AGE ENCRYPTED FILE-----
        YWdlLWVuY3J5cHRpb24ub3JnL3YxCi0+IFgyNTUxOSBa
        -----END AGE ENCRYPTED FILE-----
  lastmodified: "2026-01-01T00:00:00Z"
  mac: ENC[AES256_GCM,data:mac,iv:x,tag:y,type:str]
  encrypted_regex: ^(data|stringData)$
  version: 3.9.0
`;

  it('is ok, marked encrypted, with an opaque placeholder instead of the payload', () => {
    const r = parse('secrets/db.yaml', sopsSecret('Zm9vYmFy'));
    expect(r.status).toBe('ok');
    const o = r.objects[0]!;
    expect(o.encrypted).toBe(true);
    expect(keys(r)).toEqual(['/Secret/shop/db']);
    expect(Object.keys(o.body).sort()).toEqual(['apiVersion', 'encrypted', 'kind', 'metadata']);
    expect(o.body.metadata).toEqual({ name: 'db', namespace: 'shop' });
    const json = JSON.stringify(o.body);
    expect(json).not.toContain('ENC[');
    expect(json).not.toContain('Zm9vYmFy');
    expect(json).not.toContain('AGE ENCRYPTED');
    // A new ciphertext is a change.
    const other = parse('secrets/db.yaml', sopsSecret('YmF6cXV4')).objects[0]!;
    expect(other.body.encrypted).not.toEqual(o.body.encrypted);
  });

  it('detects ENC[…] values even without the sops block', () => {
    const r = parse(
      'partial.yaml',
      'apiVersion: v1\nkind: Secret\nmetadata: { name: x }\ndata:\n  a: ENC[AES256_GCM,data:abc,iv:d,tag:e,type:str]\n',
    );
    expect(r.objects[0]!.encrypted).toBe(true);
    expect(JSON.stringify(r.objects[0]!.body)).not.toContain('ENC[');
  });

  it('a document whose identity is encrypted too is skipped with encrypted-identity', () => {
    const r = parse(
      'all-encrypted.yaml',
      `apiVersion: ENC[AES256_GCM,data:a,iv:b,tag:c,type:str]
kind: ENC[AES256_GCM,data:d,iv:e,tag:f,type:str]
metadata:
  name: ENC[AES256_GCM,data:g,iv:h,tag:i,type:str]
sops: { mac: x, version: 3.9.0 }
`,
    );
    expect(r).toMatchObject({ status: 'skipped', reasonCode: 'encrypted-identity', objects: [] });
  });
});

describe('file and document helpers', () => {
  it('manifestFileType / isManifestCandidate go by extension', () => {
    expect(manifestFileType('apps/web.yaml')).toBe('yaml');
    expect(manifestFileType('apps/web.YML')).toBe('yaml');
    expect(manifestFileType('dash/board.json')).toBe('json');
    expect(manifestFileType('main.tf')).toBeNull();
    expect(manifestFileType('.yaml.d/README')).toBeNull();
    expect(isManifestCandidate('a/b/c.yml')).toBe(true);
    expect(isManifestCandidate('Makefile')).toBe(false);
  });

  it('looksLikeKubernetes needs a mapping with apiVersion and kind strings', () => {
    expect(looksLikeKubernetes({ apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p' } })).toBe(true);
    expect(looksLikeKubernetes({ apiVersion: 'v2', name: 'chart' })).toBe(false);
    expect(looksLikeKubernetes({ apiVersion: 'v1', kind: '' })).toBe(false);
    expect(looksLikeKubernetes([{ apiVersion: 'v1', kind: 'Pod' }])).toBe(false);
    expect(looksLikeKubernetes('kind: Pod')).toBe(false);
    expect(looksLikeKubernetes(null)).toBe(false);
  });
});
