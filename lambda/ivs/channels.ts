/**
 * Playback URLs of configured channels. A channel configured with `playbackUrl` needs no
 * call; one without it is resolved with IVS GetChannel once per container (GetChannel is
 * limited to 5 TPS per account, not adjustable) and kept in the same RefreshingCache as
 * secrets. A channel that is not `authorized` is refused: a token protects nothing there.
 */
import { GetChannelCommand, IvsClient } from '@aws-sdk/client-ivs';
import type { ChannelConfig } from '../config/schema';
import { conflict, unavailable } from '../http/problem';
import { errorSummary, logger } from '../logger';
import { lookupFailed } from '../metrics';
import { RefreshingCache } from '../secrets/cache';
import { SDK_CLIENT_OPTIONS, withDeadline } from '../aws/sdk';
import { RETRY_AFTER_SECONDS } from '../secrets/store';

interface ChannelInfo {
  playbackUrl: string;
  authorized: boolean;
}

const LOOKUP_MAX_AGE_MS = 15 * 60_000;
const LOOKUP_MAX_STALE_MS = 24 * 60 * 60_000;

let client: IvsClient | undefined;
const lookups = new Map<string, RefreshingCache<ChannelInfo>>();

async function getChannel(arn: string): Promise<ChannelInfo> {
  client ??= new IvsClient(SDK_CLIENT_OPTIONS);
  const ivs = client;
  const { channel } = await withDeadline('IVS GetChannel', (abortSignal) => ivs.send(new GetChannelCommand({ arn }), { abortSignal }));
  if (!channel?.playbackUrl) throw new Error(`GetChannel returned no playbackUrl for ${arn}`);
  return { playbackUrl: channel.playbackUrl, authorized: channel.authorized === true };
}

export async function channelPlaybackUrl(channel: ChannelConfig): Promise<string> {
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
  if (!info.authorized) {
    logger.error('channel is not private', { channel: channel.id });
    throw conflict(
      'channel_not_private',
      'This channel does not require playback authorization, so no token is issued for it; an operator must make it private (authorized).',
    );
  }
  return info.playbackUrl;
}
