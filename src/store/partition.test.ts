import { describe, expect, it } from 'vitest';
import { endpointOf, partitionOf } from './index.js';

describe('partitions', () => {
  it('are the endpoint, or the endpoint and a part joined by #', () => {
    expect(partitionOf('acme')).toBe('acme');
    expect(partitionOf('acme', '')).toBe('acme');
    expect(partitionOf('acme', 'blue')).toBe('acme#blue');
  });

  it('belong to the endpoint before the first #', () => {
    expect(endpointOf('acme')).toBe('acme');
    expect(endpointOf('acme#blue')).toBe('acme');
    expect(endpointOf(partitionOf('acme', 'a#b'))).toBe('acme');
    expect(endpointOf('')).toBe('');
  });
});
