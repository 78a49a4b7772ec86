/**
 * What a caller may have: the union of every configured entitlement whose claim condition the
 * caller meets (DESIGN.md §5). Pure: config and caller in, answer out.
 *
 * An entitlement opens channels by id, by `"tag:<key>=<value>"` selector (configured channels'
 * `tags`, discovered channels' IVS tags), by `"*"` (every configured and discovered channel),
 * and by `channelsFromClaim` (the ids listed in a claim of the caller's token). The rules are
 * compiled once per container into Sets and Maps, so a rule naming 10,000 channels is a hash
 * lookup, not a list scan.
 */
import { parseTagSelector, RESOLUTIONS, type EntitlementConfig, type Resolution } from '../config/schema';
import { claimValues, type Caller } from './caller';

/** What an entitlement looks at: a channel's id and tags. */
export interface ChannelRef {
  readonly id: string;
  readonly tags?: Readonly<Record<string, string>>;
}

export interface Entitlement {
  /** May the caller get TURN credentials? */
  readonly turn: boolean;
  /** Names of the LiveKit room policies the caller holds. */
  readonly roomPolicies: ReadonlySet<string>;
  mayWatch(channel: ChannelRef): boolean;
  /** May the caller revoke viewers' sessions on this channel? */
  mayRevokeViewers(channel: ChannelRef): boolean;
  /** Highest resolution over the matching entitlements that open this channel; undefined if none. */
  maximumResolution(channel: ChannelRef): Resolution | undefined;
}

interface CompiledRule {
  readonly rule: EntitlementConfig;
  readonly all: boolean;
  readonly ids: ReadonlySet<string>;
  /** tag key -> values it opens. */
  readonly tags: ReadonlyMap<string, ReadonlySet<string>>;
}

const compiled = new WeakMap<readonly EntitlementConfig[], CompiledRule[]>();

function compile(rules: readonly EntitlementConfig[]): CompiledRule[] {
  let out = compiled.get(rules);
  // Mutation testing: `if (true)` survives, and is equivalent (compiling again gives the same rules, only slower).
  if (!out) {
    out = rules.map((rule) => {
      const ids = new Set<string>();
      const tags = new Map<string, Set<string>>();
      for (const c of rule.channels) {
        const selector = parseTagSelector(c);
        if (selector) {
          if (!tags.has(selector.key)) tags.set(selector.key, new Set());
          tags.get(selector.key)!.add(selector.value);
          // Mutation testing: `c !== ''` and `true` here survive, and are equivalent: "*" among the ids would open only a channel whose id is "*", which neither the config nor discovery lets through (ids are [A-Za-z0-9_-]); `all` opens every channel.
        } else if (c !== '*') ids.add(c);
      }
      return { rule, all: rule.channels.includes('*'), ids, tags };
    });
    compiled.set(rules, out);
  }
  return out;
}

export function entitlementOf(caller: Caller, rules: readonly EntitlementConfig[]): Entitlement {
  const matching = compile(rules)
    .filter((r) => !r.rule.when || claimValues(caller.claims, r.rule.when.claim).some((v) => r.rule.when!.anyOf.includes(v)))
    .map((r) => ({ ...r, fromClaim: r.rule.channelsFromClaim ? new Set(claimValues(caller.claims, r.rule.channelsFromClaim)) : undefined }));
  const opens = (r: (typeof matching)[number], channel: ChannelRef) =>
    r.all ||
    r.ids.has(channel.id) ||
    r.fromClaim?.has(channel.id) === true ||
    // Mutation testing: `size >= 0` and `true` here survive, and are equivalent: the size test only skips the walk over the channel's tags; with no selectors, none of them matches anyway.
    (r.tags.size > 0 && Object.entries(channel.tags ?? {}).some(([k, v]) => r.tags.get(k)?.has(v) === true));
  const opening = (channel: ChannelRef) => matching.filter((r) => opens(r, channel));
  return {
    turn: matching.some((r) => r.rule.turn),
    roomPolicies: new Set(matching.flatMap((r) => r.rule.roomPolicies)),
    mayWatch: (channel) => opening(channel).length > 0,
    mayRevokeViewers: (channel) => opening(channel).some((r) => r.rule.revokeViewers === true),
    maximumResolution: (channel) => {
      const ranks = opening(channel).map((r) => RESOLUTIONS.indexOf(r.rule.maximumResolution));
      return ranks.length ? RESOLUTIONS[Math.max(...ranks)] : undefined;
    },
  };
}

export const resolutionRank = (r: Resolution): number => RESOLUTIONS.indexOf(r);
