/**
 * How soon the cache tries a failing source again when no retry delay is configured
 * (`retryDelayMs` unset): after min(maxAge, 5 s). Observed as a caller does: which get()
 * calls reach the source and which are answered with the last error at once.
 */
import { describe, expect, it, vi } from 'vitest';
import { RefreshingCache } from '../../lambda/secrets/cache';

function failingSource(maxAgeMs: number, maxStaleMs = 0) {
  let now = 5_000_000;
  let healthy = false;
  const load = vi.fn(async () => {
    if (!healthy) throw new Error('ThrottlingException');
    return 'value';
  });
  const cache = new RefreshingCache(load, { maxAgeMs, maxStaleMs, now: () => now });
  return { cache, load, at: (ms: number) => (now = 5_000_000 + ms), heal: () => (healthy = true) };
}

describe('RefreshingCache without a configured retry delay', () => {
  it('waits 5 s before trying again when maxAge is longer than that', async () => {
    const t = failingSource(300_000);
    await expect(t.cache.get()).rejects.toThrow('ThrottlingException');
    t.heal();
    t.at(4_999);
    await expect(t.cache.get()).rejects.toThrow('ThrottlingException'); // the held error, not a new call
    expect(t.load).toHaveBeenCalledTimes(1);
    t.at(5_000);
    expect(await t.cache.get()).toBe('value');
    expect(t.load).toHaveBeenCalledTimes(2);
  });

  it('waits only maxAge when that is shorter than 5 s', async () => {
    const t = failingSource(1_000);
    await expect(t.cache.get()).rejects.toThrow('ThrottlingException');
    t.heal();
    t.at(999);
    await expect(t.cache.get()).rejects.toThrow('ThrottlingException');
    expect(t.load).toHaveBeenCalledTimes(1);
    t.at(1_000);
    expect(await t.cache.get()).toBe('value');
    expect(t.load).toHaveBeenCalledTimes(2);
  });

  it('with a value held, a failed background refresh is retried no sooner than the delay', async () => {
    const t = failingSource(1_000, 60_000);
    t.heal();
    await t.cache.get();
    expect(t.load).toHaveBeenCalledTimes(1);
    t.load.mockRejectedValueOnce(new Error('down'));
    t.at(1_000);
    expect(await t.cache.get()).toBe('value'); // stale, refresh fails in the background
    await new Promise((r) => setTimeout(r, 0));
    expect(t.load).toHaveBeenCalledTimes(2);
    t.at(1_999);
    await t.cache.get();
    await new Promise((r) => setTimeout(r, 0));
    expect(t.load).toHaveBeenCalledTimes(2);
    t.at(2_000);
    await t.cache.get();
    await new Promise((r) => setTimeout(r, 0));
    expect(t.load).toHaveBeenCalledTimes(3);
  });

  it('counts the stale time from the end of maxAge in the warning it gives', async () => {
    let now = 0;
    const onRefreshError = vi.fn();
    let fail = false;
    const cache = new RefreshingCache(
      async () => {
        if (fail) throw new Error('down');
        return 1;
      },
      { maxAgeMs: 1_000, maxStaleMs: 10_000, now: () => now, onRefreshError },
    );
    await cache.get();
    fail = true;
    now = 3_500;
    await cache.get();
    await new Promise((r) => setTimeout(r, 0));
    expect(onRefreshError).toHaveBeenCalledTimes(1);
    expect(onRefreshError.mock.calls[0]![1]).toBe(2_500);
  });

  it('serves a fresh value without calling the source until maxAge has passed, to the millisecond', async () => {
    const t = failingSource(1_000, 0);
    t.heal();
    await t.cache.get();
    t.at(999);
    await t.cache.get();
    expect(t.load).toHaveBeenCalledTimes(1);
    t.at(1_000); // maxStale 0: no longer servable, so this waits for the load
    expect(await t.cache.get()).toBe('value');
    expect(t.load).toHaveBeenCalledTimes(2);
  });
});
