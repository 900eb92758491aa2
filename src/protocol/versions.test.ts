import { describe, expect, it } from 'vitest';
import { isLogLevel, passes } from './log-levels.js';
import {
  allowsBatch,
  atLeast,
  isSupportedVersion,
  LATEST_HANDSHAKE_VERSION,
  negotiateVersion,
} from './versions.js';

describe('version negotiation', () => {
  it('answers with the requested version when supported', () => {
    for (const v of ['2024-11-05', '2025-03-26', '2025-06-18', '2025-11-25'])
      expect(negotiateVersion(v)).toBe(v);
  });
  it('answers with the latest version otherwise', () => {
    expect(negotiateVersion('1999-01-01')).toBe(LATEST_HANDSHAKE_VERSION);
    expect(negotiateVersion(undefined)).toBe(LATEST_HANDSHAKE_VERSION);
    expect(isSupportedVersion(3)).toBe(false);
  });
  it('allows batches only in 2025-03-26', () => {
    expect(allowsBatch('2025-03-26')).toBe(true);
    expect(allowsBatch('2025-06-18')).toBe(false);
    expect(allowsBatch('2024-11-05')).toBe(false);
  });
  it('orders versions by date', () => {
    expect(atLeast('2025-11-25', '2025-06-18')).toBe(true);
    expect(atLeast('2025-03-26', '2025-11-25')).toBe(false);
  });
});

describe('log levels', () => {
  it('filters by severity', () => {
    expect(passes('debug', undefined)).toBe(true);
    expect(passes('debug', 'info')).toBe(false);
    expect(passes('error', 'warning')).toBe(true);
    expect(passes('warning', 'warning')).toBe(true);
    expect(isLogLevel('notice')).toBe(true);
    expect(isLogLevel('verbose')).toBe(false);
  });
});
