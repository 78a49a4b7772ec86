/**
 * The managed playback key's life: the custom resource's create/update/delete and the four
 * Secrets Manager rotation steps. Each applies `planRegion` (pure) to what Secrets Manager
 * and IVS say now, so every step is idempotent and safe to retry: run twice, it finds the
 * work done. A step that cannot keep the invariant fails before AWSCURRENT moves.
 *
 * Secrets Manager rotation contract (REFERENCE.md; AWS "Rotation by Lambda function"):
 * createSecret puts the new value under the token as AWSPENDING if absent; setSecret makes
 * the outside world accept it (here: import into IVS in every region); testSecret proves it;
 * finishSecret moves AWSCURRENT to it (Secrets Manager puts AWSPREVIOUS on the old one).
 */
import { randomUUID, type KeyObject } from 'node:crypto';
import { jwtVerify } from 'jose';
import { errorSummary, logger } from '../logger';
import { parsePlaybackKey, SecretFormatError } from '../secrets/keys';
import { playbackClaims, signPlaybackToken } from '../tokens/playback';
import { deleteKeyPair, describeSecret, importKeyPair, listKeyPairs, moveStage, putSecretVersion, secretValue, tagKeyPair } from './aws';
import { generatePlaybackKey, publicJwk, publicKeyPem } from './material';
import { isOurs, planRegion, TAG_RETIRED_AT, TAG_SECRET, TAG_VERSION, versionWith, type VersionStages } from './plan';

export interface LifecycleOptions {
  readonly regions: readonly string[];
  /** How long a version that stopped being AWSCURRENT may still have valid tokens (see keys/config.ts). */
  readonly graceSeconds: number;
  readonly now?: () => Date;
}

export class RotationError extends Error {
  override readonly name = 'RotationError';
}

/** The parsed key of a version, or undefined when the version holds no usable key (e.g. the placeholder CloudFormation generated). */
async function keyOf(secretId: string, versionId: string): Promise<KeyObject | undefined> {
  const v = await secretValue(secretId, { versionId });
  if (!v) return undefined;
  try {
    return parsePlaybackKey(v.value);
  } catch (err) {
    if (err instanceof SecretFormatError) return undefined;
    throw err;
  }
}

export interface RegionKeys {
  /** ARNs of our key pairs in the region after reconciling. */
  readonly keyPairArns: string[];
}

/**
 * Bring every region to the plan: delete our key pairs that no signing version needs, then
 * import the missing ones. Throws (after the safe deletions) where the keys do not fit.
 */
export async function reconcile(secretArn: string, stages: VersionStages, opts: LifecycleOptions): Promise<Record<string, RegionKeys>> {
  const now = (opts.now ?? (() => new Date()))();
  const listed = new Map(await Promise.all(opts.regions.map(async (r) => [r, await listKeyPairs(r)] as const)));
  const candidates = new Set([...Object.keys(stages), ...[...listed.values()].flat().filter(isOurs(secretArn)).map((k) => k.tags[TAG_VERSION] ?? '')]);
  candidates.delete('');
  const keys = new Map<string, KeyObject>();
  for (const v of candidates) {
    const k = await keyOf(secretArn, v);
    if (k) keys.set(v, k);
  }
  const out: Record<string, RegionKeys> = {};
  const failures: string[] = [];
  for (const region of opts.regions) {
    const keyPairs = listed.get(region)!;
    const plan = planRegion({ secretArn, stages, keyPairs, keyVersions: new Set(keys.keys()), now, graceSeconds: opts.graceSeconds });
    for (const k of plan.delete) {
      await deleteKeyPair(region, k.arn);
      logger.info('deleted playback key pair', { region, arn: k.arn, version: k.tags[TAG_VERSION] });
    }
    if (plan.error) {
      failures.push(`${region}: ${plan.error}`);
      continue;
    }
    const arns = keyPairs.filter((k) => isOurs(secretArn)(k) && !plan.delete.includes(k)).map((k) => k.arn);
    for (const version of plan.import) {
      const imported = await importKeyPair(region, publicKeyPem(keys.get(version)!), `token-vending-${version.replace(/[^a-zA-Z0-9-_]/g, '')}`.slice(0, 128), {
        [TAG_SECRET]: secretArn,
        [TAG_VERSION]: version,
      });
      if (imported.arn) arns.push(imported.arn);
      logger.info('imported playback key pair', { region, arn: imported.arn, version });
    }
    out[region] = { keyPairArns: arns };
  }
  if (failures.length) throw new RotationError(`playback keys do not fit: ${failures.join('; ')}`);
  return out;
}

// ---------------------------------------------------------------- custom resource

export interface ManagedKeyResult {
  keyPairArns: string[];
  /** RFC 7638 thumbprint of the signing key: the `kid` the JWKS route serves it under. */
  thumbprint: string;
}

/**
 * Create/Update: make sure AWSCURRENT holds a P-384 key generated here (a freshly created
 * secret holds CloudFormation's random placeholder), then import what may sign everywhere.
 */
export async function ensureManagedKey(secretArn: string, opts: LifecycleOptions): Promise<ManagedKeyResult> {
  let { stages } = await describeSecret(secretArn);
  const current = versionWith(stages, 'AWSCURRENT');
  let key = current ? await keyOf(secretArn, current) : undefined;
  if (!key) {
    const generated = generatePlaybackKey();
    await putSecretVersion(secretArn, randomUUID(), generated.secretString, ['AWSCURRENT']);
    ({ stages } = await describeSecret(secretArn));
    key = await keyOf(secretArn, versionWith(stages, 'AWSCURRENT')!);
    if (!key) throw new RotationError('the new playback key cannot be read back');
    logger.info('generated the managed playback key');
  }
  const regions = await reconcile(secretArn, stages, opts);
  return { keyPairArns: Object.values(regions).flatMap((r) => r.keyPairArns), thumbprint: (await publicJwk(key)).kid };
}

/** Delete: remove every key pair of this secret from these regions (foreign ones stay). */
export async function removeKeyPairs(secretArn: string, regions: readonly string[]): Promise<void> {
  for (const region of regions) {
    for (const k of (await listKeyPairs(region)).filter(isOurs(secretArn))) await deleteKeyPair(region, k.arn);
  }
}

// ---------------------------------------------------------------- rotation

export type RotationStep = 'createSecret' | 'setSecret' | 'testSecret' | 'finishSecret';
export interface RotationEvent {
  Step: RotationStep;
  SecretId: string;
  ClientRequestToken: string;
}

export async function rotate(event: RotationEvent, opts: LifecycleOptions): Promise<void> {
  const { SecretId: secretId, ClientRequestToken: token, Step: step } = event;
  const secret = await describeSecret(secretId);
  if (!secret.rotationEnabled) throw new RotationError(`rotation is not enabled on the secret`);
  const labels = secret.stages[token];
  if (!labels) throw new RotationError(`version ${token} has no stage on the secret`);
  if (labels.includes('AWSCURRENT')) {
    // Done already (a retried step). finishSecret still clears what the last one may have left.
    if (step === 'finishSecret') await reconcile(secret.arn, secret.stages, opts);
    return;
  }
  if (!labels.includes('AWSPENDING')) throw new RotationError(`version ${token} is not AWSPENDING`);
  logger.info('rotation step', { step, version: token });
  switch (step) {
    case 'createSecret':
      return createSecret(secret.arn, token);
    case 'setSecret':
      await reconcile(secret.arn, secret.stages, opts);
      return;
    case 'testSecret':
      return testSecret(secret.arn, token, opts);
    case 'finishSecret':
      return finishSecret(secret.arn, token, secret.stages, opts);
    default:
      throw new RotationError(`unknown rotation step ${String(step)}`);
  }
}

async function createSecret(secretArn: string, token: string): Promise<void> {
  if (await secretValue(secretArn, { versionId: token, stage: 'AWSPENDING' })) return;
  await putSecretVersion(secretArn, token, generatePlaybackKey().secretString, ['AWSPENDING']);
}

/** The pending key signs a token that its public half verifies, and it is imported in every region. */
async function testSecret(secretArn: string, token: string, opts: LifecycleOptions): Promise<void> {
  const key = await keyOf(secretArn, token);
  if (!key) throw new RotationError(`the AWSPENDING version does not hold a P-384 key`);
  const probe = signPlaybackToken(playbackClaims({ channelArn: 'arn:aws:ivs:us-east-1:000000000000:channel/RotationProbe', now: new Date(), ttlSeconds: 60 }), key);
  await jwtVerify(probe, await publicJwk(key), { algorithms: ['ES384'] });
  for (const region of opts.regions) {
    const found = (await listKeyPairs(region)).some((k) => isOurs(secretArn)(k) && k.tags[TAG_VERSION] === token);
    if (!found) throw new RotationError(`the AWSPENDING key is not imported into IVS in ${region}`);
  }
}

async function finishSecret(secretArn: string, token: string, stages: VersionStages, opts: LifecycleOptions): Promise<void> {
  // The new key must be imported everywhere before it signs; this also repairs a skipped setSecret.
  await reconcile(secretArn, stages, opts);
  const current = versionWith(stages, 'AWSCURRENT');
  const now = (opts.now ?? (() => new Date()))();
  if (current) {
    // Mark when the old key stops signing, before it does: its key pairs stay for graceSeconds.
    for (const region of opts.regions) {
      for (const k of (await listKeyPairs(region)).filter((k) => isOurs(secretArn)(k) && k.tags[TAG_VERSION] === current)) {
        await tagKeyPair(region, k.arn, { [TAG_RETIRED_AT]: now.toISOString() });
      }
    }
  }
  await moveStage(secretArn, 'AWSCURRENT', token, current);
  logger.info('playback key rotated', { version: token, previous: current });
  try {
    await reconcile(secretArn, (await describeSecret(secretArn)).stages, opts);
  } catch (err) {
    // The rotation itself succeeded; what is left is cleanup the next run repeats.
    logger.warn('cleanup after rotation failed', { error: errorSummary(err) });
  }
}
