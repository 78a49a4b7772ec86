import { describe, expect, it, vi } from 'vitest';
import { RefreshingCache } from '../../lambda/secrets/cache';

function setup(opts: { maxAgeMs?: number; maxStaleMs?: number; retryDelayMs?: number } = {}) {
  let now = 1_000_000;
  let n = 0;
  let fail: Error | undefined;
  const load = vi.fn(async () => {
    if (fail) throw fail;
    return `v${++n}`;
  });
  const onRefreshError = vi.fn();
  const cache = new RefreshingCache(load, { maxAgeMs: 1_000, maxStaleMs: 10_000, now: () => now, onRefreshError, ...opts });
  return {
    cache,
    load,
    onRefreshError,
    advance: (ms: number) => (now += ms),
    failWith: (e: Error | undefined) => (fail = e),
    settle: () => new Promise((r) => setTimeout(r, 0)),
  };
}

describe('RefreshingCache', () => {
  it('loads once for concurrent first calls', async () => {
    const t = setup();
    expect(await Promise.all([t.cache.get(), t.cache.get(), t.cache.get()])).toEqual(['v1', 'v1', 'v1']);
    expect(t.load).toHaveBeenCalledTimes(1);
  });

  it('serves from memory while fresh', async () => {
    const t = setup();
    await t.cache.get();
    t.advance(999);
    expect(await t.cache.get()).toBe('v1');
    expect(t.load).toHaveBeenCalledTimes(1);
  });

  it('after maxAge serves the held value at once and refreshes in the background', async () => {
    const t = setup();
    await t.cache.get();
    t.advance(1_000);
    expect(await t.cache.get()).toBe('v1');
    await t.settle();
    expect(t.load).toHaveBeenCalledTimes(2);
    expect(await t.cache.get()).toBe('v2');
  });

  it('keeps serving a stale value when a refresh fails, reports it, and waits before retrying', async () => {
    const t = setup({ retryDelayMs: 2_000 });
    await t.cache.get();
    t.failWith(new Error('ThrottlingException'));
    t.advance(1_500);
    expect(await t.cache.get()).toBe('v1');
    await t.settle();
    expect(t.onRefreshError).toHaveBeenCalledTimes(1);
    expect(t.onRefreshError.mock.calls[0]![1]).toBe(500);
    t.advance(1_000);
    expect(await t.cache.get()).toBe('v1');
    await t.settle();
    expect(t.load).toHaveBeenCalledTimes(2); // still inside the retry delay
    t.advance(1_000);
    await t.cache.get();
    await t.settle();
    expect(t.load).toHaveBeenCalledTimes(3);
  });

  it('throws once the held value is older than maxAge + maxStale and the load fails', async () => {
    const t = setup();
    await t.cache.get();
    t.failWith(new Error('down'));
    t.advance(11_000);
    await expect(t.cache.get()).rejects.toThrow('down');
  });

  it('throws when nothing was ever loaded, and does not hammer the source', async () => {
    const t = setup({ retryDelayMs: 5_000 });
    t.failWith(new Error('ResourceNotFoundException'));
    await expect(t.cache.get()).rejects.toThrow('ResourceNotFoundException');
    await expect(t.cache.get()).rejects.toThrow('ResourceNotFoundException');
    expect(t.load).toHaveBeenCalledTimes(1);
    t.failWith(undefined);
    t.advance(5_000);
    expect(await t.cache.get()).toBe('v1');
  });
});
