/** The channel registry, discovery indexing, entitlements by tag and claim, and their config rules (no network). */
import { describe, expect, it, vi } from 'vitest';
import { parseConfig, type TokenVendingConfigInput } from '../../lambda/config/schema';
import type { Caller } from '../../lambda/http/caller';
import { entitlementOf } from '../../lambda/http/entitlements';
import { ProblemError } from '../../lambda/http/problem';
import { ChannelRegistry } from '../../lambda/ivs/channels';
import type { IvsClient } from '@aws-sdk/client-ivs';
import { DeadlineError } from '../../lambda/aws/sdk';
import { indexDiscovered, listAllChannels, type ChannelSummaryLike } from '../../lambda/ivs/discovery';

const TAG = 'tv-channel';
const arn = (n: string) => `arn:aws:ivs:us-east-1:123456789012:channel/${n}`;
const summary = (n: string, id?: string, authorized = true, tags: Record<string, string> = {}): ChannelSummaryLike => ({
  arn: arn(n),
  authorized,
  tags: id === undefined ? tags : { [TAG]: id, ...tags },
});
const config = (input: Partial<TokenVendingConfigInput> = {}) =>
  parseConfig({
    channels: [{ id: 'studio', arn: arn('Studio'), playbackUrl: 'https://x.playback.live-video.net/s.m3u8', tags: { tier: 'premium' } }],
    channelDiscovery: { tag: TAG },
    secrets: { maxAgeSeconds: 60, maxStaleSeconds: 600 },
    entitlements: [{ name: 'all', channels: ['*'] }],
    ...input,
  });

describe('indexDiscovered', () => {
  const configured = { byId: new Map([['studio', {} as never]]), byArn: new Map([[arn('Studio'), {} as never]]) };

  it('keeps tagged channels under their tag value, with their tags and authorized flag', () => {
    const warn = vi.fn();
    const index = indexDiscovered([summary('A', 'creator-a', true, { tier: 'gold' }), summary('B'), summary('C', 'creator-c', false)], TAG, configured, warn);
    expect([...index.byId.keys()]).toEqual(['creator-a', 'creator-c']);
    expect(index.byId.get('creator-a')).toEqual({ id: 'creator-a', arn: arn('A'), tags: { [TAG]: 'creator-a', tier: 'gold' }, source: 'discovery', authorized: true });
    expect(index.byArn.get(arn('C'))?.authorized).toBe(false);
    expect(warn).not.toHaveBeenCalled();
  });

  it('skips, with a warning, a tag value that is not a channel id, a configured id or ARN, and an id on two channels', () => {
    const warn = vi.fn();
    const index = indexDiscovered(
      [summary('Bad', 'has space'), summary('Dup', 'studio'), summary('Studio', 'other-id'), summary('X1', 'twice'), summary('X2', 'twice'), summary('X3', 'twice'), summary('Ok', 'ok')],
      TAG,
      configured,
      warn,
    );
    expect([...index.byId.keys()]).toEqual(['ok']);
    expect(index.byArn.has(arn('X1'))).toBe(false);
    expect(warn.mock.calls.map((c) => c[0])).toEqual(['invalid:' + arn('Bad'), 'configured:' + arn('Dup'), 'configured:' + arn('Studio'), 'ambiguous:twice', 'ambiguous:twice']);
  });
});

describe('listAllChannels', () => {
  /** A client whose every page takes `ms` and honours the abort signal. */
  function slowClient(pages: number, ms: number) {
    const asked: (string | undefined)[] = [];
    const send = vi.fn((cmd: { input: { nextToken?: string; maxResults?: number } }, opts: { abortSignal: AbortSignal }) => {
      asked.push(cmd.input.nextToken);
      const i = cmd.input.nextToken ? Number(cmd.input.nextToken) : 0;
      return new Promise((resolve, reject) => {
        const t = setTimeout(() => resolve({ channels: [summary(`P${i}`, `page-${i}`)], nextToken: i + 1 < pages ? String(i + 1) : undefined }), ms);
        opts.abortSignal.addEventListener('abort', () => {
          clearTimeout(t);
          reject(opts.abortSignal.reason);
        });
      });
    });
    return { client: { send } as unknown as IvsClient, asked, send };
  }

  it('follows nextToken to the last page, 100 per page', async () => {
    const { client, asked, send } = slowClient(4, 1);
    const all = await listAllChannels(client);
    expect(all.map((c) => c.tags?.[TAG])).toEqual(['page-0', 'page-1', 'page-2', 'page-3']);
    expect(asked).toEqual([undefined, '1', '2', '3']);
    expect(send.mock.calls.every(([cmd]) => cmd.input.maxResults === 100)).toBe(true);
  });

  it('gives up the whole listing at its budget, aborting the page in flight and asking no further', async () => {
    const { client, send } = slowClient(100, 40);
    const started = Date.now();
    await expect(listAllChannels(client, 150)).rejects.toBeInstanceOf(DeadlineError);
    expect(Date.now() - started).toBeLessThan(2_000);
    const pagesAsked = send.mock.calls.length;
    expect(pagesAsked).toBeLessThan(100);
    await new Promise((r) => setTimeout(r, 200));
    expect(send.mock.calls.length).toBe(pagesAsked);
    expect(send.mock.calls.at(-1)![1].abortSignal.aborted).toBe(true);
  });
});

describe('ChannelRegistry', () => {
  function setup(pages: ChannelSummaryLike[]) {
    let now = 1_000_000;
    let fail: Error | undefined;
    const listChannels = vi.fn(async () => {
      if (fail) throw fail;
      return pages;
    });
    const registry = new ChannelRegistry(config(), { listChannels, now: () => now });
    return { registry, listChannels, advance: (ms: number) => (now += ms), failWith: (e?: Error) => (fail = e), settle: () => new Promise((r) => setTimeout(r, 0)) };
  }

  it('finds a configured channel by id or ARN without listing IVS', async () => {
    const t = setup([]);
    expect((await t.registry.find('studio'))?.source).toBe('config');
    expect((await t.registry.find(arn('Studio')))?.id).toBe('studio');
    expect(t.listChannels).not.toHaveBeenCalled();
  });

  it('lists once for concurrent lookups and then answers from the cache within maxAge', async () => {
    const t = setup([summary('A', 'creator-a')]);
    const found = await Promise.all([t.registry.find('creator-a'), t.registry.find(arn('A')), t.registry.find('nobody')]);
    expect(found.map((c) => c?.id)).toEqual(['creator-a', 'creator-a', undefined]);
    t.advance(59_000);
    for (const id of ['nobody', 'nobody-else', 'creator-a']) await t.registry.find(id);
    expect(t.listChannels).toHaveBeenCalledTimes(1);
  });

  it('after maxAge serves the old list while one refresh runs; a failed refresh keeps the old list', async () => {
    const pages = [summary('A', 'creator-a')];
    const t = setup(pages);
    await t.registry.find('creator-a');
    pages.push(summary('B', 'creator-b'));
    t.advance(61_000);
    expect(await t.registry.find('creator-b')).toBeUndefined(); // stale answer, refresh behind it
    await t.settle();
    expect((await t.registry.find('creator-b'))?.arn).toBe(arn('B'));
    expect(t.listChannels).toHaveBeenCalledTimes(2);
    t.failWith(new Error('ThrottlingException'));
    t.advance(61_000);
    expect((await t.registry.find('creator-b'))?.id).toBe('creator-b');
    await t.settle();
    expect((await t.registry.find('creator-a'))?.id).toBe('creator-a');
  });

  it('answers 503 channel_unavailable when nothing was ever listed and IVS fails', async () => {
    const t = setup([]);
    t.failWith(new Error('timeout'));
    const err = await t.registry.find('creator-a').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ProblemError);
    expect((err as ProblemError).status).toBe(503);
    expect((err as ProblemError).extra.headers?.['retry-after']).toBe('5');
  });

  it('never lists IVS when discovery is off', async () => {
    const listChannels = vi.fn(async () => [summary('A', 'creator-a')]);
    const registry = new ChannelRegistry(config({ channelDiscovery: undefined }), { listChannels });
    expect(await registry.find('creator-a')).toBeUndefined();
    expect(listChannels).not.toHaveBeenCalled();
  });
});

describe('entitlements by tag selector and by claim', () => {
  // `identity` arrives with the lead's caller.ts changes; the assertion keeps this test valid before and after.
  const caller = (claims: Record<string, unknown>) => ({ subject: 's', issuer: 'https://idp', identity: 's', claims }) as Caller;
  const rules = config({
    entitlements: [
      { name: 'premium', when: { claim: 'plan', anyOf: ['premium'] }, channels: ['tag:tier=premium', 'tag:tier=gold'], maximumResolution: 'HD' },
      { name: 'claimed', channelsFromClaim: 'channels', maximumResolution: 'SD' },
      { name: 'admins', when: { claim: 'cognito:groups', anyOf: ['admins'] }, channels: ['*'] },
    ],
  }).entitlements;

  it('a tag selector opens channels whose tag matches, key and value', () => {
    const e = entitlementOf(caller({ plan: 'premium' }), rules);
    expect(e.maximumResolution({ id: 'a', tags: { tier: 'premium' } })).toBe('HD');
    expect(e.mayWatch({ id: 'b', tags: { tier: 'gold', x: 'y' } })).toBe(true);
    expect(e.mayWatch({ id: 'c', tags: { tier: 'free' } })).toBe(false);
    expect(e.mayWatch({ id: 'd', tags: { premium: 'tier' } })).toBe(false);
    expect(e.mayWatch({ id: 'e' })).toBe(false);
    expect(entitlementOf(caller({ plan: 'basic' }), rules).mayWatch({ id: 'a', tags: { tier: 'premium' } })).toBe(false);
  });

  it('channelsFromClaim opens exactly the ids in the claim', () => {
    const e = entitlementOf(caller({ channels: ['event-a', 'event-b'] }), rules);
    expect(e.maximumResolution({ id: 'event-a' })).toBe('SD');
    expect(e.mayWatch({ id: 'event-b' })).toBe(true);
    expect(e.mayWatch({ id: 'event-c' })).toBe(false);
    expect(entitlementOf(caller({}), rules).mayWatch({ id: 'event-a' })).toBe(false);
  });

  it('"*" opens every channel, configured or discovered, and the highest resolution wins', () => {
    const e = entitlementOf(caller({ 'cognito:groups': ['admins'], channels: ['event-a'] }), rules);
    expect(e.maximumResolution({ id: 'event-a' })).toBe('FULL_HD');
    expect(e.mayWatch({ id: 'anything', tags: {} })).toBe(true);
  });

  it('looks a rule with 10,000 channel ids up without scanning it', () => {
    const ids = Array.from({ length: 10_000 }, (_, i) => `ch-${i}`);
    const big = parseConfig({ channels: ids.map((id, i) => ({ id, arn: arn(`C${i}`) })), entitlements: [{ name: 'many', channels: ids }] }).entitlements;
    const includes = vi.spyOn(Array.prototype, 'includes');
    const e = entitlementOf(caller({}), big);
    for (let i = 0; i < 100; i++) expect(e.mayWatch({ id: `ch-${9_999 - i}` })).toBe(true);
    expect(includes.mock.calls.filter(([x]) => typeof x === 'string' && x.startsWith('ch-'))).toEqual([]);
    includes.mockRestore();
  });
});

describe('config for channels at scale', () => {
  const base = { channels: [{ id: 'a', arn: arn('A') }], entitlements: [{ name: 'e', channels: ['a'] }] };
  it.each([
    ['no channels and no discovery', { ...base, channels: [] }, /at least one channel is needed \(or channelDiscovery\)/],
    ['an entitlement entry that is neither id, "*" nor selector', { ...base, entitlements: [{ name: 'e', channels: ['tag:novalue'] }] }, /neither a channel id/],
    ['a discovery tag in the aws: namespace', { ...base, channelDiscovery: { tag: 'aws:cloudformation:stack-name' } }, /reserved by AWS/],
    ['an unknown channel id without discovery', { ...base, entitlements: [{ name: 'e', channels: ['zzz'] }] }, /unknown channel id "zzz"/],
  ])('refuses %s', (_n, input, message) => {
    expect(() => parseConfig(input)).toThrow(message);
  });

  it('accepts discovery alone, ids it may discover, tag selectors and channelsFromClaim', () => {
    const c = parseConfig({
      channelDiscovery: { tag: 'tv-channel' },
      entitlements: [{ name: 'e', channels: ['creator-42', 'tag:tier=premium', 'tag:a=b=c'], channelsFromClaim: 'custom:channels' }],
    });
    expect(c.channels).toEqual([]);
    expect(c.entitlements[0]!.channelsFromClaim).toBe('custom:channels');
  });
});
