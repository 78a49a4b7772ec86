/**
 * The managed playback key's custom resource and rotation function, run as deployed handlers
 * through the real @aws-sdk clients against loopback Secrets Manager (awsJson1_1, versions and
 * staging labels) and IVS (restJson1, regional key pairs, 3 per region, duplicates refused).
 * After every step: at most 3 key pairs per region, and the key of every version that may
 * still sign is imported, checked by public key material, independent of our tags.
 */
import { randomBytes } from 'node:crypto';
import type { CloudFormationCustomResourceEvent } from 'aws-lambda';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { handler as resource } from '../../lambda/handlers/playback-key-resource';
import { handler as rotationHandler } from '../../lambda/handlers/rotate-playback-key';
import { publicJwk, publicKeyPem } from '../../lambda/keys/material';
import type { RotationStep } from '../../lambda/keys/lifecycle';
import { TAG_SECRET } from '../../lambda/keys/plan';
import { parsePlaybackKey } from '../../lambda/secrets/keys';
import { FAKE_AWS_ENV } from '../support/fake-aws';
import { fakeIvsKeys, spkiDer, type FakeIvsKeys } from '../support/fake-ivs-keys';
import { fakeSecretsRotation, type FakeSecretsRotation } from '../support/fake-secrets-rotation';
import { p384KeyPair } from '../support/keys';

const REGIONS = ['eu-west-1', 'us-east-1'];
const STEPS: RotationStep[] = ['createSecret', 'setSecret', 'testSecret', 'finishSecret'];
let sm: FakeSecretsRotation;
let ivs: FakeIvsKeys;
const saved = { ...process.env };
let n = 0;
let arn: string;

beforeAll(async () => {
  [sm, ivs] = await Promise.all([fakeSecretsRotation(), fakeIvsKeys()]);
  Object.assign(process.env, FAKE_AWS_ENV, {
    AWS_ENDPOINT_URL_SECRETS_MANAGER: sm.url,
    AWS_ENDPOINT_URL_IVS: ivs.url,
    KEY_REGIONS: REGIONS.join(','),
    KEY_GRACE_SECONDS: '3600',
  });
});
afterAll(async () => {
  process.env = saved;
  await Promise.all([sm?.close(), ivs?.close()]);
});
beforeEach(() => {
  // A fresh secret per test, holding what CloudFormation generates for a new Secret: a random string.
  arn = `arn:aws:secretsmanager:us-east-1:123456789012:secret:playback-${++n}-AbCdEf`;
  sm.create(arn, randomBytes(24).toString('base64url'));
  for (const r of [...REGIONS, 'ap-south-1']) ivs.keyPairs(r).splice(0);
  process.env.KEY_GRACE_SECONDS = '3600';
});

const cfn = (RequestType: 'Create' | 'Update' | 'Delete', regions = REGIONS, oldRegions?: string[]) =>
  ({
    RequestType,
    RequestId: `req-${RequestType}`,
    ResourceProperties: { ServiceToken: 'x', SecretArn: arn, Regions: regions, GraceSeconds: '3600' },
    ...(oldRegions ? { OldResourceProperties: { ServiceToken: 'x', SecretArn: arn, Regions: oldRegions, GraceSeconds: '3600' } } : {}),
    ...(RequestType === 'Create' ? {} : { PhysicalResourceId: `playback-key:${arn}` }),
  }) as unknown as CloudFormationCustomResourceEvent;

const stageOf = (stage: string) => Object.entries(sm.stages(arn)).find(([, s]) => s.includes(stage))?.[0];
const derOf = (value: string | undefined) => {
  try {
    return value === undefined ? undefined : spkiDer(publicKeyPem(parsePlaybackKey(value)));
  } catch {
    return undefined; // the CloudFormation placeholder
  }
};

/** When each version stopped being AWSCURRENT, as the test saw it (taken just before finishSecret ran: never later than the function's own clock). */
const stoppedSigning = new Map<string, number>();

/**
 * The invariant, from the fakes' own state: at most 3 key pairs per region; AWSCURRENT's key
 * imported everywhere; AWSPREVIOUS's while its tokens may live (it stopped signing less than
 * KEY_GRACE_SECONDS ago); AWSPENDING's once setSecret ran.
 */
function assertInvariant(opts: { pendingSigns?: boolean } = {}) {
  const previous = stageOf('AWSPREVIOUS');
  const stopped = previous === undefined ? undefined : stoppedSigning.get(previous);
  const previousMaySign = stopped === undefined || Date.now() < stopped + Number(process.env.KEY_GRACE_SECONDS) * 1000;
  const mustBeImported = ['AWSCURRENT', ...(previousMaySign ? ['AWSPREVIOUS'] : []), ...(opts.pendingSigns ? ['AWSPENDING'] : [])]
    .map((s) => derOf(sm.value(arn, s)))
    .filter((d): d is string => d !== undefined);
  expect(mustBeImported.length).toBeGreaterThan(0);
  for (const region of REGIONS) {
    const held = ivs.keyPairs(region);
    expect(held.length, `${region} holds ${held.length} key pairs`).toBeLessThanOrEqual(3);
    for (const der of mustBeImported) expect(held.some((k) => k.publicKeyDer === der), `a signing key is missing in ${region}`).toBe(true);
  }
}

async function step(Step: RotationStep, token: string) {
  const current = stageOf('AWSCURRENT');
  if (Step === 'finishSecret' && current && current !== token && !stoppedSigning.has(current)) stoppedSigning.set(current, Date.now());
  await rotationHandler({ Step, SecretId: arn, ClientRequestToken: token });
}

/** A full rotation as Secrets Manager drives it, every step run twice, the invariant after each. */
async function rotateTwiceEach(): Promise<string> {
  const token = sm.startRotation(arn);
  for (const s of STEPS) {
    for (let i = 0; i < 2; i++) {
      await step(s, token);
      assertInvariant({ pendingSigns: s !== 'createSecret' });
    }
  }
  sm.clearPending(arn);
  return token;
}

describe('the custom resource', () => {
  it('Create generates the key inside AWS and imports it into every region; run twice it changes nothing', async () => {
    const first = await resource(cfn('Create'));
    const current = stageOf('AWSCURRENT')!;
    const key = parsePlaybackKey(sm.value(arn, 'AWSCURRENT')!);
    expect(key.asymmetricKeyDetails?.namedCurve).toBe('secp384r1');
    assertInvariant();
    expect(first.PhysicalResourceId).toBe(`playback-key:${arn}`);
    expect(first.Data!.KeyPairArns.split(',').map((a: string) => a.split(':')[3]).sort()).toEqual(REGIONS);
    expect(first.Data!.Thumbprint).toBe((await publicJwk(key)).kid);

    const again = await resource(cfn('Create'));
    expect(stageOf('AWSCURRENT')).toBe(current);
    for (const r of REGIONS) expect(ivs.keyPairs(r)).toHaveLength(1);
    expect(again.Data!.Thumbprint).toBe(first.Data!.Thumbprint);
    expect(again.Data!.KeyPairArns.split(',').sort()).toEqual(first.Data!.KeyPairArns.split(',').sort());
  });

  it('Update imports into a new region and empties a dropped one; Delete removes our key pairs only', async () => {
    await resource(cfn('Create'));
    const other = p384KeyPair();
    ivs.addForeign('us-east-1', other.spkiPem);
    const current = derOf(sm.value(arn, 'AWSCURRENT'));

    await resource(cfn('Update', ['ap-south-1', 'us-east-1'], REGIONS));
    expect(ivs.keyPairs('ap-south-1').map((k) => k.publicKeyDer)).toEqual([current]);
    expect(ivs.keyPairs('eu-west-1')).toEqual([]);
    expect(ivs.keyPairs('us-east-1')).toHaveLength(2);

    await resource(cfn('Delete', ['ap-south-1', 'us-east-1']));
    await resource(cfn('Delete', ['ap-south-1', 'us-east-1'])); // retried: nothing left to do, no error
    expect(ivs.keyPairs('ap-south-1')).toEqual([]);
    expect(ivs.keyPairs('us-east-1').map((k) => k.name)).toEqual(['manual']);
  });
});

describe('a key imported by hand already', () => {
  it('counts as imported: IVS refuses the same public key twice (ConflictException), and Create goes on', async () => {
    const keys = p384KeyPair();
    sm.create(arn, JSON.stringify({ privateKey: keys.pkcs8Pem })); // replaces the placeholder secret of this test
    ivs.addForeign('eu-west-1', keys.spkiPem);
    const out = await resource(cfn('Create'));
    assertInvariant();
    expect(ivs.keyPairs('eu-west-1')).toHaveLength(1); // the hand-imported one, not a duplicate
    expect(out.Data!.KeyPairArns.split(',').map((a: string) => a.split(':')[3])).toEqual(['us-east-1']);
    expect(ivs.calls.filter((c) => c.target === 'POST /ImportPlaybackKeyPair')).not.toHaveLength(0);
  });
});

describe('rotation', () => {
  it('runs createSecret, setSecret, testSecret, finishSecret, each twice, keeping the invariant after every step', async () => {
    await resource(cfn('Create'));
    const before = stageOf('AWSCURRENT')!;
    const token = await rotateTwiceEach();
    expect(stageOf('AWSCURRENT')).toBe(token);
    expect(stageOf('AWSPREVIOUS')).toBe(before);
    // Both keys imported everywhere, nothing else of ours.
    for (const r of REGIONS) expect(ivs.keyPairs(r).filter((k) => k.tags[TAG_SECRET] === arn)).toHaveLength(2);
    // Exactly one new version was written, whatever the retries.
    expect(sm.callsTo('PutSecretValue').filter((c) => c.body.ClientRequestToken === token)).toHaveLength(1);
  });

  it('keeps the previous key while its tokens may live, refuses a rotation that needs a 4th key pair, and cleans up after the grace', async () => {
    await resource(cfn('Create'));
    const v1 = derOf(sm.value(arn, 'AWSCURRENT'));
    await rotateTwiceEach();
    await rotateTwiceEach(); // v1 lost AWSPREVIOUS seconds ago: its tokens may still be live
    for (const r of REGIONS) {
      expect(ivs.keyPairs(r)).toHaveLength(3);
      expect(ivs.keyPairs(r).some((k) => k.publicKeyDer === v1)).toBe(true);
    }

    const current = stageOf('AWSCURRENT');
    const token = sm.startRotation(arn);
    await step('createSecret', token);
    await expect(step('setSecret', token)).rejects.toThrow(/4 > 3 \(IVS limit\)/);
    assertInvariant();
    expect(stageOf('AWSCURRENT')).toBe(current);

    // Once v1's tokens have expired, the same rotation goes through.
    process.env.KEY_GRACE_SECONDS = '1';
    await new Promise((r) => setTimeout(r, 1_100));
    for (const s of STEPS.slice(1)) {
      await step(s, token);
      assertInvariant({ pendingSigns: true });
    }
    expect(stageOf('AWSCURRENT')).toBe(token);
    for (const r of REGIONS) expect(ivs.keyPairs(r).some((k) => k.publicKeyDer === v1)).toBe(false);
  });

  it('next to a hand-imported key pair, rotates once the previous key\'s tokens have expired', async () => {
    await resource(cfn('Create'));
    await rotateTwiceEach();
    ivs.addForeign('us-east-1', p384KeyPair().spkiPem); // us-east-1: previous, current, foreign
    const current = stageOf('AWSCURRENT');
    const early = sm.startRotation(arn);
    await step('createSecret', early);
    await expect(step('setSecret', early)).rejects.toThrow(/us-east-1: .*1 other key pair/);
    expect(stageOf('AWSCURRENT')).toBe(current);
    assertInvariant();

    process.env.KEY_GRACE_SECONDS = '1';
    await new Promise((r) => setTimeout(r, 1_100));
    for (const s of STEPS.slice(1)) {
      await step(s, early);
      assertInvariant({ pendingSigns: true });
    }
    expect(stageOf('AWSCURRENT')).toBe(early);
    expect(ivs.keyPairs('us-east-1').map((k) => k.name).filter((n) => n === 'manual')).toHaveLength(1);
  });

  it('a failing testSecret leaves AWSCURRENT signing and imported; a retried rotation then completes', async () => {
    await resource(cfn('Create'));
    const current = stageOf('AWSCURRENT')!;
    const token = sm.startRotation(arn);
    await step('createSecret', token);
    await step('setSecret', token);
    // Someone deletes the new key pair in one region between setSecret and testSecret.
    const pending = derOf(sm.value(arn, 'AWSPENDING'));
    const list = ivs.keyPairs('eu-west-1');
    list.splice(list.findIndex((k) => k.publicKeyDer === pending), 1);

    await expect(step('testSecret', token)).rejects.toThrow(/not imported into IVS in eu-west-1/);
    expect(stageOf('AWSCURRENT')).toBe(current);
    assertInvariant();

    for (const s of STEPS.slice(1)) await step(s, token);
    expect(stageOf('AWSCURRENT')).toBe(token);
    assertInvariant();
  });

  it('a failing finishSecret (Secrets Manager down) leaves AWSCURRENT where it was', async () => {
    await resource(cfn('Create'));
    const current = stageOf('AWSCURRENT')!;
    const token = sm.startRotation(arn);
    for (const s of STEPS.slice(0, 3)) await step(s, token);
    sm.failNext('UpdateSecretVersionStage');
    sm.failNext('UpdateSecretVersionStage'); // the SDK retries once
    await expect(step('finishSecret', token)).rejects.toThrow();
    expect(stageOf('AWSCURRENT')).toBe(current);
    assertInvariant({ pendingSigns: true });
    await step('finishSecret', token);
    expect(stageOf('AWSCURRENT')).toBe(token);
    assertInvariant();
  });

  it('refuses a token that is not AWSPENDING and a secret without rotation', async () => {
    await resource(cfn('Create'));
    await expect(step('createSecret', '00000000-0000-4000-8000-00000000dead')).rejects.toThrow(/has no stage/);
    const previousOnly = sm.startRotation(arn);
    await step('createSecret', previousOnly);
    sm.clearPending(arn);
    await expect(step('setSecret', previousOnly)).rejects.toThrow(/has no stage|not AWSPENDING/);
    const noRotation = `arn:aws:secretsmanager:us-east-1:123456789012:secret:norotation-${n}-AbCdEf`;
    sm.create(noRotation, 'x', false);
    await expect(rotationHandler({ Step: 'createSecret', SecretId: noRotation, ClientRequestToken: 'x'.repeat(36) })).rejects.toThrow(/rotation is not enabled/);
  });
});
