/** POST /v1/playback-tokens: an IVS playback token for a configured or discovered, entitled channel. */
import { randomUUID } from 'node:crypto';
import { IVS_REVOCABLE_MAX_TTL_SECONDS } from '../config/schema';
import { runtimeConfig } from '../config/runtime';
import { callerFromEvent } from '../http/caller';
import { entitlementOf, resolutionRank } from '../http/entitlements';
import { httpHandler, json } from '../http/handler';
import { originClaim } from '../http/origin';
import { viewerIdOf } from '../http/pseudonym';
import { forbidden } from '../http/problem';
import { header, parseJsonBody } from '../http/request';
import type { PlaybackTokenResponse } from '../http/responses';
import { playbackTokenRequest } from '../http/schemas';
import { channelPlaybackUrl, runtimeChannels } from '../ivs/channels';
import { parsePlaybackKey } from '../secrets/keys';
import { runtimeSecret } from '../secrets/store';
import { playbackClaims, playbackUrlWithToken, signPlaybackToken } from '../tokens/playback';
import { chooseTtl } from '../tokens/ttl';

const signingKey = runtimeSecret('playbackKey', 'playback signing key', parsePlaybackKey);

export const handler = httpHandler('POST /v1/playback-tokens', async (event) => {
  const { config } = runtimeConfig();
  const caller = callerFromEvent(event, config.auth);
  const body = parseJsonBody(event, playbackTokenRequest);

  // What does not depend on the channel loads while the channel is looked up (and its playback
  // URL while the rest waits), so a cold request waits for the slowest AWS call (each has its
  // own deadline), not for their sum. Awaited below; a refusal before then leaves them to the
  // cache (the catch only marks them handled).
  const keyLoad = signingKey.get();
  const viewerIdLoad = config.playback.viewerId ? viewerIdOf(caller) : Promise.resolve(undefined);
  for (const p of [keyLoad, viewerIdLoad]) p.catch(() => undefined);

  // The channel (and so the ARN in the token) comes from the config or IVS, never from the body.
  const channel = await runtimeChannels().find(body.channel);
  const entitlement = entitlementOf(caller, config.entitlements);
  const entitledResolution = channel && entitlement.maximumResolution(channel);
  if (!channel || !entitledResolution) {
    throw forbidden('not_entitled', 'You are not entitled to this channel, or it does not exist.');
  }
  if (body.maximumResolution && resolutionRank(body.maximumResolution) > resolutionRank(entitledResolution)) {
    throw forbidden('resolution_not_allowed', `Your entitlement allows at most ${entitledResolution} on this channel.`);
  }

  const playbackUrlLoad = channelPlaybackUrl(channel);
  playbackUrlLoad.catch(() => undefined);
  const viewerId = await viewerIdLoad;
  const revocable = viewerId !== undefined || body.singleUse === true;
  const ttlSeconds = chooseTtl(body.ttlSeconds, config.playback.ttlSeconds, revocable ? IVS_REVOCABLE_MAX_TTL_SECONDS : Infinity);
  const allowOrigin = originClaim(header(event, 'origin'), config.origins.allow);

  const [key, playbackUrl] = await Promise.all([keyLoad, playbackUrlLoad]);
  const claims = playbackClaims({
    channelArn: channel.arn,
    now: new Date(),
    ttlSeconds,
    allowOrigin,
    strictOriginEnforcement: config.origins.strictOriginEnforcement,
    viewerId,
    singleUseUuid: body.singleUse ? randomUUID() : undefined,
    maximumResolution: body.maximumResolution ?? (entitledResolution === 'FULL_HD' ? undefined : entitledResolution),
  });
  const token = signPlaybackToken(claims, key);

  return json(200, {
    token,
    expiresAt: new Date(claims.exp * 1000).toISOString(),
    playbackUrl: playbackUrlWithToken(playbackUrl, token),
    channelArn: channel.arn,
  } satisfies PlaybackTokenResponse);
});

