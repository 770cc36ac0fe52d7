import { describe, expect, it } from 'vitest';
import { canonicalQuantity, parseQuantity, quantitiesEqual } from '../../../api/src/core/drift';

describe('quantities (normalizer: quantity, resourceListRounding)', () => {
  it.each([
    ['1000m', '1'],
    ['1000m', 1],
    ['0.5Gi', '512Mi'],
    ['1e3', '1k'],
    ['1E3', '1000'],
    ['1Gi', '1073741824'],
    ['1.5', '1500m'],
    ['.5', '500m'],
    ['0', 0],
    ['100Mi', '104857600'],
    ['2', 2],
  ])('%s equals %s', (a, b) => {
    expect(quantitiesEqual(a, b)).toBe(true);
  });

  it.each([
    ['1', '1Ki'],
    ['1E', '1e0'],
    ['1Gi', '1G'],
    ['500m', '0.51'],
    ['128Mi', '128M'],
  ])('%s differs from %s', (a, b) => {
    expect(quantitiesEqual(a, b)).toBe(false);
  });

  it('formats the way the API server stores values', () => {
    expect(canonicalQuantity('0.5Gi')).toBe('512Mi');
    expect(canonicalQuantity('1000m')).toBe('1');
    expect(canonicalQuantity(0.5)).toBe('500m');
    expect(canonicalQuantity('2000')).toBe('2k');
    expect(canonicalQuantity('1500')).toBe('1500');
    expect(canonicalQuantity('1536Mi')).toBe('1536Mi');
    expect(canonicalQuantity('1.5Gi')).toBe('1536Mi');
    expect(canonicalQuantity('0.5Ki')).toBe('512');
    expect(canonicalQuantity('1e3')).toBe('1e3');
    expect(canonicalQuantity('12e6')).toBe('12e6');
    expect(canonicalQuantity('100u')).toBe('100u');
    expect(canonicalQuantity('-1.5')).toBe('-1500m');
  });

  it('rounds resource-list values up to milli precision', () => {
    expect(canonicalQuantity('100u', true)).toBe('1m');
    expect(canonicalQuantity(0.0001, true)).toBe('1m');
    expect(quantitiesEqual('0.0001', '1m')).toBe(false);
    expect(quantitiesEqual('0.0001', '1m', true)).toBe(true);
    expect(quantitiesEqual('1001u', '2m', true)).toBe(true);
  });

  it('rejects what is not a quantity', () => {
    for (const bad of ['', 'abc', '1.2.3', '10MB', '1e', 'Gi', '1 Gi', null, true, {}, Number.NaN]) {
      expect(parseQuantity(bad), String(bad)).toBeNull();
    }
    expect(quantitiesEqual('abc', 'abc')).toBe(false);
  });

  it('keeps exact values for large and tiny quantities', () => {
    expect(parseQuantity('8Ei')!.nanos).toBe(8n * 1024n ** 6n * 1_000_000_000n);
    expect(parseQuantity('1n')!.nanos).toBe(1n);
    expect(parseQuantity('0.1n')!.nanos).toBe(1n); // rounded up to nano precision
  });
});
