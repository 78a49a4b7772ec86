/**
 * The channel registry: the one way every feature looks a channel up (playback tokens, and
 * viewer revocation when it comes). A channel is either configured (from the config, indexed
 * by id and ARN in Maps once per container) or discovered (IVS channels of this region that
 * carry `channelDiscovery.tag`, whose value is the id; see ./discovery.ts). A configured
 * channel wins over a discovered one with the same id or ARN.
 *
 * The discovered list is held in the same RefreshingCache as secrets (`secrets.maxAgeSeconds`,
 * stale-on-error for `maxStaleSeconds`, one load in flight): a channel tagged now is found
 * within maxAge with no deploy, and a request for an unknown id never triggers an extra
 * ListChannels (so nobody can spend the account's 5 TPS ListChannels quota by asking).
 *
 * Playback URLs: configured with the channel, or resolved with IVS GetChannel once per
 * container (ListChannels summaries carry no playbackUrl; GetChannel is 5 TPS per account, not
 * adjustable) and kept in a RefreshingCache. A channel that is not `authorized` is refused
 * (409): a token protects nothing there.
 */
import type { IvsClient } from '@aws-sdk/client-ivs';
import { SDK_CLIENT_OPTIONS, withDeadline } from '../aws/sdk';
import { runtimeConfig } from '../config/runtime';
import type { TokenVendingConfig } from '../config/schema';
import { conflict, unavailable } from '../http/problem';
import { errorSummary, logger } from '../logger';
import { lookupFailed } from '../metrics';
import { RefreshingCache } from '../secrets/cache';
import { RETRY_AFTER_SECONDS } from '../secrets/store';
import { indexDiscovered, listAllChannels, type ChannelIndex, type ChannelSummaryLike } from './discovery';

export interface Channel {
  readonly id: string;
  readonly arn: string;
  /** Configured, or undefined: then GetChannel tells it. */
  readonly playbackUrl?: string;
  /** Configured channels' `tags`; discovered channels' IVS tags. */
  readonly tags: Readonly<Record<string, string>>;
  readonly source: 'config' | 'discovery';
  /** Discovered channels: IVS's `authorized` as of the last listing. */
  readonly authorized?: boolean;
}

export interface RegistryOptions {
  /** The whole ListChannels listing (all pages); default: the real IVS API. */
  listChannels?: () => Promise<ChannelSummaryLike[]>;
  now?: () => number;
}

export class ChannelRegistry {
  private readonly configured: ChannelIndex;
  private readonly discovered: RefreshingCache<ChannelIndex> | undefined;

  constructor(config: TokenVendingConfig, opts: RegistryOptions = {}) {
    this.configured = { byId: new Map(), byArn: new Map() };
    for (const c of config.channels) {
      const channel: Channel = { id: c.id, arn: c.arn, playbackUrl: c.playbackUrl, tags: c.tags ?? {}, source: 'config' };
      this.configured.byId.set(c.id, channel);
      this.configured.byArn.set(c.arn, channel);
    }
    const discovery = config.channelDiscovery;
    if (discovery) {
      const list = opts.listChannels ?? (async () => listAllChannels(await ivsClient()));
      this.discovered = new RefreshingCache(async () => indexDiscovered(await list(), discovery.tag, this.configured, warnOnce), {
        maxAgeMs: config.secrets.maxAgeSeconds * 1000,
        maxStaleMs: config.secrets.maxStaleSeconds * 1000,
        now: opts.now,
        onRefreshError: (err, staleForMs) => {
          if (staleForMs < config.secrets.maxStaleSeconds * 1000) lookupFailed('ivs', 'ListChannels', { stale: true });
          logger.warn('channel discovery refresh failed; serving the cached channel list', {
            staleForSeconds: Math.max(0, Math.round(staleForMs / 1000)),
            error: errorSummary(err),
          });
        },
      });
    }
  }

  /** A channel by id or ARN; undefined when neither configured nor discovered. */
  async find(idOrArn: string): Promise<Channel | undefined> {
    const configured = this.configured.byId.get(idOrArn) ?? this.configured.byArn.get(idOrArn);
    if (configured || !this.discovered) return configured;
    let index: ChannelIndex;
    try {
      index = await this.discovered.get();
    } catch (err) {
      lookupFailed('ivs', 'ListChannels');
      logger.error('channel discovery unavailable', { error: errorSummary(err) });
      throw unavailable('channel_unavailable', 'Channels cannot be looked up right now; try again shortly.', RETRY_AFTER_SECONDS);
    }
    return index.byId.get(idOrArn) ?? index.byArn.get(idOrArn);
  }
}

let registry: ChannelRegistry | undefined;

/** The container's registry, built on first use from the runtime config. */
export function runtimeChannels(): ChannelRegistry {
  return (registry ??= new ChannelRegistry(runtimeConfig().config));
}

const warned = new Set<string>();
/** Log a warning once per container for the same key (a refresh every maxAge must not repeat it). */
function warnOnce(key: string, message: string, attrs: Record<string, unknown>): void {
  if (warned.has(key)) return;
  warned.add(key);
  logger.warn(message, attrs);
}

interface ChannelInfo {
  playbackUrl: string;
  authorized: boolean;
}

const LOOKUP_MAX_AGE_MS = 15 * 60_000;
const LOOKUP_MAX_STALE_MS = 24 * 60 * 60_000;

/**
 * The IVS SDK is loaded on first use, not with the handler: with configured playback URLs a
 * container never calls IVS, and importing the client is tens of ms of every cold start
 * (README "Cold starts").
 */
let client: Promise<IvsClient> | undefined;
const ivsClient = () => (client ??= import('@aws-sdk/client-ivs').then(({ IvsClient }) => new IvsClient(SDK_CLIENT_OPTIONS)));
const lookups = new Map<string, RefreshingCache<ChannelInfo>>();

async function getChannel(arn: string): Promise<ChannelInfo> {
  const [ivs, { GetChannelCommand }] = await Promise.all([ivsClient(), import('@aws-sdk/client-ivs')]);
  const { channel } = await withDeadline('IVS GetChannel', (abortSignal) => ivs.send(new GetChannelCommand({ arn }), { abortSignal }));
  if (!channel?.playbackUrl) throw new Error(`GetChannel returned no playbackUrl for ${arn}`);
  return { playbackUrl: channel.playbackUrl, authorized: channel.authorized === true };
}

const notPrivate = (channel: Channel) => {
  logger.error('channel is not private', { channel: channel.id, source: channel.source });
  return conflict(
    'channel_not_private',
    'This channel does not require playback authorization, so no token is issued for it; an operator must make it private (authorized).',
  );
};

export async function channelPlaybackUrl(channel: Channel): Promise<string> {
  // A discovered channel: the listing (refreshed every maxAge) says whether it is private.
  if (channel.authorized === false) throw notPrivate(channel);
  if (channel.playbackUrl) return channel.playbackUrl;
  let cache = lookups.get(channel.arn);
  if (!cache) {
    cache = new RefreshingCache(() => getChannel(channel.arn), {
      maxAgeMs: LOOKUP_MAX_AGE_MS,
      maxStaleMs: LOOKUP_MAX_STALE_MS,
      onRefreshError: (err, staleMs) => { if (staleMs < LOOKUP_MAX_STALE_MS) lookupFailed('ivs', 'GetChannel', { stale: true }); logger.warn('GetChannel refresh failed; serving the cached channel', { channel: channel.id, error: errorSummary(err) }); },
    });
    lookups.set(channel.arn, cache);
  }
  let info: ChannelInfo;
  try {
    info = await cache.get();
  } catch (err) {
    lookupFailed('ivs', 'GetChannel');
    logger.error('channel lookup failed', { channel: channel.id, error: errorSummary(err) });
    throw unavailable('channel_unavailable', 'The channel cannot be looked up right now; try again shortly.', RETRY_AFTER_SECONDS);
  }
  // A configured channel: GetChannel says whether it is private.
  if (channel.authorized === undefined && !info.authorized) throw notPrivate(channel);
  return info.playbackUrl;
}
