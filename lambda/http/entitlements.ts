/**
 * What a caller may have: the union of every configured entitlement whose claim condition the
 * caller meets (DESIGN.md §5). Pure: config and caller in, answer out.
 */
import { RESOLUTIONS, type EntitlementConfig, type Resolution } from '../config/schema';
import { claimValues, type Caller } from './caller';

export interface Entitlement {
  /** May the caller get TURN credentials? */
  readonly turn: boolean;
  /** Names of the LiveKit room policies the caller holds. */
  readonly roomPolicies: ReadonlySet<string>;
  mayWatch(channelId: string): boolean;
  /** May the caller revoke viewers' sessions on this channel? */
  mayRevokeViewers(channelId: string): boolean;
  /** Highest resolution over the matching entitlements that open this channel; undefined if none. */
  maximumResolution(channelId: string): Resolution | undefined;
}

export function entitlementOf(caller: Caller, rules: readonly EntitlementConfig[]): Entitlement {
  const matching = rules.filter(
    (r) => !r.when || claimValues(caller.claims, r.when.claim).some((v) => r.when!.anyOf.includes(v)),
  );
  const opening = (channelId: string) => matching.filter((r) => r.channels.includes('*') || r.channels.includes(channelId));
  return {
    turn: matching.some((r) => r.turn),
    roomPolicies: new Set(matching.flatMap((r) => r.roomPolicies)),
    mayWatch: (channelId) => opening(channelId).length > 0,
    mayRevokeViewers: (channelId) => opening(channelId).some((r) => r.revokeViewers === true),
    maximumResolution: (channelId) => {
      const ranks = opening(channelId).map((r) => RESOLUTIONS.indexOf(r.maximumResolution));
      return ranks.length ? RESOLUTIONS[Math.max(...ranks)] : undefined;
    },
  };
}

export const resolutionRank = (r: Resolution): number => RESOLUTIONS.indexOf(r);
