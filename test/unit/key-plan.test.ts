/**
 * The key-pair planner, exhaustively over a small universe: every assignment of stages to 4
 * versions, every subset of imported key pairs, every retirement age, 0-2 foreign key pairs.
 */
import { describe, expect, it } from 'vitest';
import { IVS_MAX_KEY_PAIRS_PER_REGION, planRegion, TAG_RETIRED_AT, TAG_SECRET, TAG_VERSION, type KeyPairInfo, type PlanInput } from '../../lambda/keys/plan';

const SECRET = 'arn:aws:secretsmanager:us-east-1:123456789012:secret:playback-AbCdEf';
const NOW = new Date('2026-01-01T12:00:00Z');
const GRACE = 7_500;
const VERSIONS = ['v1', 'v2', 'v3', 'v4'];
const STAGES = ['none', 'AWSCURRENT', 'AWSPENDING', 'AWSPREVIOUS'] as const;
const RETIRED = { never: undefined, recent: new Date(NOW.getTime() - 60_000).toISOString(), old: new Date(NOW.getTime() - (GRACE + 1) * 1000).toISOString() };

const ours = (v: string, retired?: string): KeyPairInfo => ({
  arn: `arn:aws:ivs:us-east-1:123456789012:playback-key/${v}`,
  tags: { [TAG_SECRET]: SECRET, [TAG_VERSION]: v, ...(retired ? { [TAG_RETIRED_AT]: retired } : {}) },
});
const foreign = (i: number): KeyPairInfo => ({ arn: `arn:aws:ivs:us-east-1:123456789012:playback-key/f${i}`, tags: { owner: 'someone-else' } });

function* universe(): Generator<PlanInput> {
  for (let s = 0; s < 4 ** VERSIONS.length; s++) {
    const assign = VERSIONS.map((_, i) => STAGES[Math.floor(s / 4 ** i) % 4]!);
    // Secrets Manager: exactly one AWSCURRENT, at most one AWSPENDING / AWSPREVIOUS.
    if (assign.filter((x) => x === 'AWSCURRENT').length !== 1) continue;
    if (assign.filter((x) => x === 'AWSPENDING').length > 1 || assign.filter((x) => x === 'AWSPREVIOUS').length > 1) continue;
    const stages = Object.fromEntries(VERSIONS.flatMap((v, i) => (assign[i] === 'none' ? [] : [[v, [assign[i]!]]])));
    for (let imported = 0; imported < 2 ** VERSIONS.length; imported++) {
      for (const retiredAge of Object.values(RETIRED)) {
        for (const nForeign of [0, 1, 2]) {
          const keyPairs = [
            ...VERSIONS.flatMap((v, i) => ((imported >> i) & 1 ? [ours(v, assign[i] === 'AWSCURRENT' || assign[i] === 'AWSPENDING' ? undefined : retiredAge)] : [])),
            ...Array.from({ length: nForeign }, (_, i) => foreign(i)),
          ];
          yield { secretArn: SECRET, stages, keyPairs, keyVersions: new Set(VERSIONS), now: NOW, graceSeconds: GRACE };
        }
      }
    }
  }
}

/**
 * Versions that may still sign, computed independently of the planner: AWSCURRENT, AWSPENDING,
 * any version that stopped signing less than GRACE ago, and an imported AWSPREVIOUS unless it
 * is known to have stopped more than GRACE ago (one not imported was deleted after its grace).
 */
function mustHave(input: PlanInput): Set<string> {
  const out = new Set<string>();
  const retiredAt = (v: string) => input.keyPairs.find((k) => k.tags[TAG_SECRET] === SECRET && k.tags[TAG_VERSION] === v)?.tags[TAG_RETIRED_AT];
  const inGrace = (at: string) => Date.parse(at) + GRACE * 1000 > NOW.getTime();
  for (const [v, st] of Object.entries(input.stages)) {
    if (st.includes('AWSCURRENT') || st.includes('AWSPENDING')) out.add(v);
    const imported = input.keyPairs.some((k) => k.tags[TAG_SECRET] === SECRET && k.tags[TAG_VERSION] === v);
    const at = retiredAt(v);
    if (st.includes('AWSPREVIOUS') && imported && (at === undefined || inGrace(at))) out.add(v);
  }
  for (const k of input.keyPairs) {
    const at = k.tags[TAG_RETIRED_AT];
    if (k.tags[TAG_SECRET] === SECRET && at && inGrace(at)) out.add(k.tags[TAG_VERSION]!);
  }
  return out;
}

describe('planRegion over every small state', () => {
  it('keeps the invariant or refuses, never touches foreign or signing key pairs', () => {
    let cases = 0;
    let refusals = 0;
    for (const input of universe()) {
      cases++;
      const plan = planRegion(input);
      const need = mustHave(input);
      const deleted = new Set(plan.delete.map((k) => k.arn));
      // Never a foreign key pair, never one a signing version needs (unless it is a duplicate).
      for (const k of plan.delete) {
        expect(k.tags[TAG_SECRET]).toBe(SECRET);
        expect(need.has(k.tags[TAG_VERSION]!)).toBe(false);
      }
      const after = input.keyPairs.filter((k) => !deleted.has(k.arn)).length + plan.import.length;
      const nForeign = input.keyPairs.filter((k) => k.tags[TAG_SECRET] !== SECRET).length;
      if (plan.error) {
        refusals++;
        expect(nForeign + need.size).toBeGreaterThan(IVS_MAX_KEY_PAIRS_PER_REGION);
        expect(plan.import).toEqual([]);
        continue;
      }
      expect(after).toBeLessThanOrEqual(IVS_MAX_KEY_PAIRS_PER_REGION);
      const present = new Set([...input.keyPairs.filter((k) => !deleted.has(k.arn)).map((k) => k.tags[TAG_VERSION]), ...plan.import]);
      for (const v of need) expect(present.has(v), `${v} must be imported`).toBe(true);
      // Nothing imported twice, nothing imported that is there already.
      expect(new Set(plan.import).size).toBe(plan.import.length);
      for (const v of plan.import) expect(input.keyPairs.some((k) => k.tags[TAG_VERSION] === v && !deleted.has(k.arn))).toBe(false);
      // Only signing versions are imported, and AWSCURRENT first.
      for (const v of plan.import) expect(need.has(v)).toBe(true);
      const current = Object.entries(input.stages).find(([, s]) => s.includes('AWSCURRENT'))![0];
      if (plan.import.includes(current)) expect(plan.import[0]).toBe(current);
    }
    expect(cases).toBeGreaterThan(5_000);
    expect(refusals).toBeGreaterThan(0);
  });
});

describe('planRegion cases', () => {
  const base = { secretArn: SECRET, keyVersions: new Set(VERSIONS), now: NOW, graceSeconds: GRACE };

  it('first deploy: imports AWSCURRENT, leaves the placeholder version (no key) alone', () => {
    const plan = planRegion({ ...base, keyVersions: new Set(['v2']), stages: { v1: ['AWSPREVIOUS'], v2: ['AWSCURRENT'] }, keyPairs: [] });
    expect(plan).toEqual({ live: ['v2'], import: ['v2'], delete: [] });
  });

  it('setSecret: imports AWSPENDING next to AWSCURRENT and a recent AWSPREVIOUS (3 of 3)', () => {
    const plan = planRegion({ ...base, stages: { v1: ['AWSPREVIOUS'], v2: ['AWSCURRENT'], v3: ['AWSPENDING'] }, keyPairs: [ours('v1', RETIRED.recent), ours('v2')] });
    expect(plan.import).toEqual(['v3']);
    expect(plan.delete).toEqual([]);
  });

  it('after finishSecret: deletes the version that lost AWSPREVIOUS once its tokens expired, keeps it before', () => {
    const stages = { v2: ['AWSPREVIOUS'], v3: ['AWSCURRENT'] };
    expect(planRegion({ ...base, stages, keyPairs: [ours('v1', RETIRED.old), ours('v2', RETIRED.recent), ours('v3')] }).delete.map((k) => k.arn)).toEqual([ours('v1').arn]);
    expect(planRegion({ ...base, stages, keyPairs: [ours('v1', RETIRED.recent), ours('v2', RETIRED.recent), ours('v3')] }).delete).toEqual([]);
  });

  it('refuses a rotation that would need a 4th key pair, and says why', () => {
    const plan = planRegion({ ...base, stages: { v2: ['AWSPREVIOUS'], v3: ['AWSCURRENT'], v4: ['AWSPENDING'] }, keyPairs: [ours('v1', RETIRED.recent), ours('v2', RETIRED.recent), ours('v3')] });
    expect(plan.error).toMatch(/4 > 3 \(IVS limit\)/);
    expect(plan.import).toEqual([]);
  });

  it('drops an AWSPREVIOUS whose tokens have expired, so a rotation fits next to a hand-imported key pair', () => {
    const plan = planRegion({ ...base, stages: { v1: ['AWSPREVIOUS'], v2: ['AWSCURRENT'], v3: ['AWSPENDING'] }, keyPairs: [foreign(0), ours('v1', RETIRED.old), ours('v2')] });
    expect(plan.error).toBeUndefined();
    expect(plan.delete.map((k) => k.arn)).toEqual([ours('v1').arn]);
    expect(plan.import).toEqual(['v3']);
  });

  it('counts a hand-imported key pair against the limit and never deletes it', () => {
    const plan = planRegion({ ...base, stages: { v1: ['AWSPREVIOUS'], v2: ['AWSCURRENT'], v3: ['AWSPENDING'] }, keyPairs: [foreign(0), ours('v1', RETIRED.recent), ours('v2')] });
    expect(plan.error).toMatch(/1 other key pair/);
    expect(plan.delete).toEqual([]);
  });
});
