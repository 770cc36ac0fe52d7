import { describe, expect, it } from 'vitest';
import { envsubst, fluxSubstitute } from '../../../api/src/core/kustomize/flux-substitute';

const deployment = (extra: Record<string, unknown> = {}) => ({
  apiVersion: 'apps/v1',
  kind: 'Deployment',
  metadata: { name: 'web', namespace: 'shop', labels: { env: '${ENV:=dev}', cluster: '${CLUSTER}' }, ...extra },
  spec: {
    replicas: '${REPLICAS}',
    template: {
      spec: {
        containers: [
          { name: 'web', image: 'registry.example.com/web:${TAG}', command: ['sh', '-c', 'echo $HOME $${NOT_A_VAR}'] },
        ],
      },
    },
  },
});

describe('Flux post-build substitution', () => {
  it('replaces ${NAME} and defaults in the written-out YAML, so a number stays a number', () => {
    const { objects, problems } = fluxSubstitute([deployment()], { REPLICAS: '3', TAG: '1.4.2', CLUSTER: 'eu-1' }, 'clusters/prod');
    expect(problems).toEqual([]);
    const d = objects[0] as any;
    expect(d.spec.replicas).toBe(3);
    expect(d.metadata.labels).toEqual({ env: 'dev', cluster: 'eu-1' });
    expect(d.spec.template.spec.containers[0].image).toBe('registry.example.com/web:1.4.2');
    // $HOME is not a ${…} reference and $$ escapes: both stay for the shell.
    expect(d.spec.template.spec.containers[0].command[2]).toBe('echo $HOME ${NOT_A_VAR}');
  });

  it('knows the default forms: := and :- for unset or empty, = and - for unset only; unset without default is empty', () => {
    expect(envsubst('${A:=x} ${B:-y} ${C=z} ${D-w} ${E}', { B: '', D: '' })).toBe('x y z  ');
    expect(envsubst('${A:=x} ${B:-y}', { A: 'a', B: 'b' })).toBe('a b');
    expect(envsubst('cost: $5 and $$ and ${A}', { A: '1' })).toBe('cost: $5 and $ and 1');
    expect(envsubst('${A^^}', { A: 'x' })).toEqual({ problem: expect.stringContaining('"${A^^}" is not a substitution') });
    expect(envsubst('${A', {})).toEqual({ problem: expect.stringContaining('unclosed') });
  });

  it('leaves objects marked substitute: disabled, and unchanged objects keep their identity', () => {
    const off = deployment({ annotations: { 'kustomize.toolkit.fluxcd.io/substitute': 'disabled' } });
    const plain = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'c' }, data: { a: 'b' } };
    const { objects } = fluxSubstitute([off, plain], { REPLICAS: '3' }, 'x');
    expect(objects[0]).toBe(off);
    expect(objects[1]).toBe(plain);
  });

  it('reports bad variable names and results that are not YAML any more, keeping the object as it was', () => {
    expect(fluxSubstitute([deployment()], { '1BAD': 'x' }, 'clusters/prod').problems).toEqual([
      { file: 'clusters/prod', field: 'spec.postBuild.substitute.1BAD', message: expect.stringContaining('not a variable name'), code: 'invalid' },
    ]);
    const cm = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'c' }, data: { a: '${V}' } };
    const r = fluxSubstitute([cm], { V: '[unclosed' }, 'x');
    expect(r.problems).toHaveLength(1);
    expect(r.problems[0]!.message).toMatch(/^ConfigMap c: after substitution it is not valid YAML/);
    expect(r.objects[0]).toBe(cm);
  });
});
