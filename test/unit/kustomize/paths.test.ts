import { describe, expect, it } from 'vitest';
import { joinPath, normalizePath } from '../../../api/src/core/kustomize/paths';

describe('joinPath', () => {
  it('joins plain relative paths', () => {
    expect(joinPath('', 'base')).toBe('base');
    expect(joinPath('overlays/prod', 'patches/web.yaml')).toBe('overlays/prod/patches/web.yaml');
    expect(joinPath('a', '.hidden/x.yaml')).toBe('a/.hidden/x.yaml');
    expect(joinPath('a', 'x..yaml')).toBe('a/x..yaml');
  });

  it('normalizes . and .. segments, empty segments and a trailing slash', () => {
    expect(joinPath('overlays/prod', '../../base')).toBe('base');
    expect(joinPath('overlays/prod', './patches//web.yaml')).toBe('overlays/prod/patches/web.yaml');
    expect(joinPath('overlays/prod', 'apps/')).toBe('overlays/prod/apps');
    expect(joinPath('overlays/prod', '.')).toBe('overlays/prod');
    expect(joinPath('overlays/prod', 'a/..')).toBe('overlays/prod');
    expect(joinPath('overlays/prod', '')).toBe('overlays/prod');
  });

  it('refuses absolute paths and paths that climb above the repository', () => {
    expect(joinPath('a', '/etc/passwd')).toBeNull();
    expect(joinPath('a', '../../x')).toBeNull();
    expect(normalizePath('../x')).toBeNull();
    expect(normalizePath('/./a//b/')).toBe('a/b');
  });
});
