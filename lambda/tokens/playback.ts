/**
 * IVS playback authorization tokens (ES384 JWT), pure: claims from parameters, signature with
 * a parsed KeyObject. No I/O, no clock, no config reads.
 *
 * Rules: IVS "Generate and Sign Playback Tokens" (see shared/REFERENCE.md): `exp` in seconds,
 * `aws:channel-arn` always, 10-minute cap with viewer-id or single-use.
 */
import type { KeyObject } from 'node:crypto';
import { IVS_REVOCABLE_MAX_TTL_SECONDS, type Resolution } from '../config/schema';
import { signJwt } from './jws';
import { epochSeconds } from './ttl';

export interface PlaybackTokenInput {
  channelArn: string;
  now: Date;
  ttlSeconds: number;
  /** Value of `aws:access-control-allow-origin` (one origin or a comma-separated list). */
  allowOrigin?: string;
  strictOriginEnforcement?: boolean;
  viewerId?: string;
  singleUseUuid?: string;
  maximumResolution?: Resolution;
}

export interface PlaybackClaims {
  'aws:channel-arn': string;
  'aws:access-control-allow-origin'?: string;
  'aws:strict-origin-enforcement'?: boolean;
  'aws:viewer-id'?: string;
  'aws:single-use-uuid'?: string;
  'aws:maximum-resolution'?: Resolution;
  exp: number;
}

export const VIEWER_ID_MAX_LENGTH = 40;

export function playbackClaims(input: PlaybackTokenInput): PlaybackClaims {
  const now = epochSeconds(input.now);
  const revocable = input.viewerId !== undefined || input.singleUseUuid !== undefined;
  if (revocable && input.ttlSeconds > IVS_REVOCABLE_MAX_TTL_SECONDS) {
    throw new RangeError(`with aws:viewer-id or aws:single-use-uuid, exp may be at most ${IVS_REVOCABLE_MAX_TTL_SECONDS} s ahead`);
  }
  if (input.viewerId !== undefined && (input.viewerId.length === 0 || input.viewerId.length > VIEWER_ID_MAX_LENGTH)) {
    throw new RangeError(`aws:viewer-id must be 1-${VIEWER_ID_MAX_LENGTH} characters`);
  }
  const claims: PlaybackClaims = { 'aws:channel-arn': input.channelArn, exp: now + input.ttlSeconds };
  if (input.allowOrigin) claims['aws:access-control-allow-origin'] = input.allowOrigin;
  if (input.allowOrigin && input.strictOriginEnforcement) claims['aws:strict-origin-enforcement'] = true;
  if (input.viewerId !== undefined) claims['aws:viewer-id'] = input.viewerId;
  if (input.singleUseUuid !== undefined) claims['aws:single-use-uuid'] = input.singleUseUuid;
  if (input.maximumResolution) claims['aws:maximum-resolution'] = input.maximumResolution;
  return claims;
}

/** Sign with ES384 and header `{"alg":"ES384","typ":"JWT"}`; the algorithm is pinned here. */
export function signPlaybackToken(claims: PlaybackClaims, key: KeyObject): string {
  return signJwt('ES384', claims, key);
}

/**
 * `<playbackUrl>?token=<jwt>`, correct when the URL already has a query (`&token=`), and
 * replacing (never duplicating) a `token` parameter that is already there.
 */
export function playbackUrlWithToken(playbackUrl: string, token: string): string {
  const url = new URL(playbackUrl);
  url.searchParams.set('token', token);
  return url.toString();
}
