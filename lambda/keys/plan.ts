/**
 * Which IVS playback key pairs a region should hold, pure: from the signing-key secret's
 * version stages and the key pairs IVS lists (with their tags), decide what to import and
 * what to delete. The rotation function and the custom resource both apply this plan.
 *
 * The invariant (REFERENCE.md, "IVS key pairs"): at most 3 key pairs per region, and the key
 * of every version that may still be signing is imported:
 * - AWSCURRENT signs now; AWSPENDING will sign once finishSecret moves AWSCURRENT to it, so
 *   it is imported (setSecret) before that;
 * - AWSPREVIOUS and any older version that stopped being AWSCURRENT less than `graceSeconds`
 *   ago may still sign (a signer's cached key lives up to maxAge + maxStale) and its tokens
 *   live up to the longest playback TTL: its key pair stays until then. When a version stops
 *   being AWSCURRENT, its key pairs are tagged with the time (TAG_RETIRED_AT).
 * Key pairs not tagged with our secret ("foreign": imported by hand or by another stack)
 * are never touched but count against the 3.
 */
export const TAG_SECRET = 'token-vending:secret';
export const TAG_VERSION = 'token-vending:secret-version';
export const TAG_RETIRED_AT = 'token-vending:retired-at';
/** IVS: "a maximum of three key pairs" per region, not adjustable. */
export const IVS_MAX_KEY_PAIRS_PER_REGION = 3;

export type Stage = 'AWSCURRENT' | 'AWSPENDING' | 'AWSPREVIOUS' | (string & {});
/** DescribeSecret's VersionIdsToStages. */
export type VersionStages = Readonly<Record<string, readonly Stage[]>>;

export interface KeyPairInfo {
  readonly arn: string;
  readonly tags: Readonly<Record<string, string>>;
}

export interface PlanInput {
  readonly secretArn: string;
  readonly stages: VersionStages;
  /** Every key pair of the region, ours and foreign. */
  readonly keyPairs: readonly KeyPairInfo[];
  /** Versions whose value is a usable key (a version holding anything else has nothing to import). */
  readonly keyVersions: ReadonlySet<string>;
  readonly now: Date;
  readonly graceSeconds: number;
}

export interface RegionPlan {
  /** Versions that may sign and have a key. */
  readonly live: readonly string[];
  /** Versions to import, in this order. */
  readonly import: readonly string[];
  /** Our key pairs that no version that may sign needs (deleted first, to free room). */
  readonly delete: readonly KeyPairInfo[];
  /** Set when the live keys do not fit in the region: apply only `delete`, then fail. */
  readonly error?: string;
}

export const isOurs = (secretArn: string) => (k: KeyPairInfo) => k.tags[TAG_SECRET] === secretArn;

export const versionWith = (stages: VersionStages, stage: Stage): string | undefined =>
  Object.entries(stages).find(([, s]) => s.includes(stage))?.[0];

/**
 * Versions that may still be signing (see the header). AWSPREVIOUS is *kept* while its key
 * pair says it stopped signing less than `graceSeconds` ago (without that tag: conservatively,
 * kept), never imported again: it was imported while it was AWSCURRENT, and once its key pair
 * is gone its tokens have expired. So a stale AWSPREVIOUS holds no slot the next rotation needs.
 */
export function liveVersions(input: Omit<PlanInput, 'keyPairs'> & { ours: readonly KeyPairInfo[] }): Set<string> {
  const recent = new Set<string>();
  const expired = new Set<string>();
  const present = new Set<string>();
  for (const k of input.ours) {
    const version = k.tags[TAG_VERSION];
    const retired = Date.parse(k.tags[TAG_RETIRED_AT] ?? '');
    if (version) present.add(version);
    if (version && Number.isFinite(retired)) (input.now.getTime() < retired + input.graceSeconds * 1000 ? recent : expired).add(version);
  }
  const live = new Set(recent);
  for (const [version, stages] of Object.entries(input.stages)) {
    if (stages.some((s) => s === 'AWSCURRENT' || s === 'AWSPENDING')) live.add(version);
    if (stages.includes('AWSPREVIOUS') && present.has(version) && !expired.has(version)) live.add(version);
  }
  return new Set([...live].filter((v) => input.keyVersions.has(v)));
}

export function planRegion(input: PlanInput): RegionPlan {
  const ours = input.keyPairs.filter(isOurs(input.secretArn));
  const foreign = input.keyPairs.length - ours.length;
  const live = liveVersions({ ...input, ours });
  // A duplicate for a version (cannot happen through IVS, which refuses a public key twice) is deleted.
  const seen = new Set<string>();
  const keep: KeyPairInfo[] = [];
  const del: KeyPairInfo[] = [];
  for (const k of ours) {
    const v = k.tags[TAG_VERSION];
    if (v && live.has(v) && !seen.has(v)) {
      seen.add(v);
      keep.push(k);
    } else del.push(k);
  }
  // Order: AWSCURRENT first (it must be there before anything else), then the others.
  const current = versionWith(input.stages, 'AWSCURRENT');
  const missing = [...live].filter((v) => !seen.has(v)).sort((a, b) => Number(b === current) - Number(a === current) || a.localeCompare(b));
  const total = foreign + keep.length + missing.length;
  if (total > IVS_MAX_KEY_PAIRS_PER_REGION) {
    return {
      live: [...live],
      import: [],
      delete: del,
      error:
        `${live.size} key(s) of this secret may still be signing and ${foreign} other key pair(s) exist in the region: ` +
        `${total} > ${IVS_MAX_KEY_PAIRS_PER_REGION} (IVS limit). Wait until the previous key's tokens have expired, or delete unused key pairs.`,
    };
  }
  return { live: [...live], import: missing, delete: del };
}
