/**
 * The key lifecycle's AWS calls, each through `withDeadline` with SDK_CLIENT_OPTIONS:
 * Secrets Manager versions and stages, and IVS playback key pairs per region (key pairs are
 * regional, so each region gets its own client). Thin: no decisions here (see plan.ts).
 */
import {
  ConflictException,
  DeletePlaybackKeyPairCommand,
  ImportPlaybackKeyPairCommand,
  IvsClient,
  ListPlaybackKeyPairsCommand,
  ListTagsForResourceCommand,
  ResourceNotFoundException as IvsNotFound,
  StartViewerSessionRevocationCommand,
  TagResourceCommand,
} from '@aws-sdk/client-ivs';
import {
  DescribeSecretCommand,
  GetSecretValueCommand,
  PutSecretValueCommand,
  ResourceNotFoundException,
  SecretsManagerClient,
  UpdateSecretVersionStageCommand,
} from '@aws-sdk/client-secrets-manager';
import { SDK_CLIENT_OPTIONS, withDeadline } from '../aws/sdk';
import type { KeyPairInfo, VersionStages } from './plan';

/**
 * Rotation and custom-resource functions run for up to a minute and call IVS's key-pair APIs
 * (3 TPS, not adjustable) a few times: each call gets a longer deadline than a request's,
 * still well under their own timeout.
 */
export const LIFECYCLE_CALL_DEADLINE_MS = 10_000;

let sm: SecretsManagerClient | undefined;
const secrets = () => (sm ??= new SecretsManagerClient(SDK_CLIENT_OPTIONS));
const ivsClients = new Map<string, IvsClient>();
const ivs = (region: string) => ivsClients.get(region) ?? (ivsClients.set(region, new IvsClient({ ...SDK_CLIENT_OPTIONS, region })), ivsClients.get(region)!);

export interface SecretDescription {
  arn: string;
  rotationEnabled: boolean;
  stages: VersionStages;
}

export async function describeSecret(secretId: string, ms = LIFECYCLE_CALL_DEADLINE_MS): Promise<SecretDescription> {
  const out = await withDeadline('Secrets Manager DescribeSecret', (abortSignal) => secrets().send(new DescribeSecretCommand({ SecretId: secretId }), { abortSignal }), ms);
  return { arn: out.ARN ?? secretId, rotationEnabled: out.RotationEnabled === true, stages: out.VersionIdsToStages ?? {} };
}

/** A version's value by id and/or stage; undefined when no such version (or stage) exists. */
export async function secretValue(
  secretId: string,
  select: { versionId?: string; stage?: string },
  ms = LIFECYCLE_CALL_DEADLINE_MS,
): Promise<{ versionId: string; value: string | Uint8Array } | undefined> {
  try {
    const out = await withDeadline(
      'Secrets Manager GetSecretValue',
      (abortSignal) => secrets().send(new GetSecretValueCommand({ SecretId: secretId, VersionId: select.versionId, VersionStage: select.stage }), { abortSignal }),
      ms,
    );
    const value = out.SecretString ?? out.SecretBinary;
    return value === undefined ? undefined : { versionId: out.VersionId!, value };
  } catch (err) {
    if (err instanceof ResourceNotFoundException) return undefined;
    throw err;
  }
}

export async function putSecretVersion(secretId: string, token: string, value: string, stages: string[]): Promise<void> {
  await withDeadline(
    'Secrets Manager PutSecretValue',
    (abortSignal) => secrets().send(new PutSecretValueCommand({ SecretId: secretId, ClientRequestToken: token, SecretString: value, VersionStages: stages }), { abortSignal }),
    LIFECYCLE_CALL_DEADLINE_MS,
  );
}

export async function moveStage(secretId: string, stage: string, to: string, from: string | undefined): Promise<void> {
  await withDeadline(
    'Secrets Manager UpdateSecretVersionStage',
    (abortSignal) =>
      secrets().send(new UpdateSecretVersionStageCommand({ SecretId: secretId, VersionStage: stage, MoveToVersionId: to, RemoveFromVersionId: from }), { abortSignal }),
    LIFECYCLE_CALL_DEADLINE_MS,
  );
}

/** Every key pair of the region, with its tags (ListPlaybackKeyPairs pages; ListTagsForResource where a page omits tags). */
export async function listKeyPairs(region: string): Promise<KeyPairInfo[]> {
  const out: KeyPairInfo[] = [];
  let nextToken: string | undefined;
  do {
    const page = await withDeadline(
      `IVS ListPlaybackKeyPairs (${region})`,
      (abortSignal) => ivs(region).send(new ListPlaybackKeyPairsCommand({ maxResults: 100, nextToken }), { abortSignal }),
      LIFECYCLE_CALL_DEADLINE_MS,
    );
    for (const k of page.keyPairs ?? []) {
      const tags =
        k.tags ??
        (await withDeadline(`IVS ListTagsForResource (${region})`, (abortSignal) => ivs(region).send(new ListTagsForResourceCommand({ resourceArn: k.arn! }), { abortSignal }), LIFECYCLE_CALL_DEADLINE_MS)).tags;
      out.push({ arn: k.arn!, tags: tags ?? {} });
    }
    nextToken = page.nextToken || undefined;
  } while (nextToken);
  return out;
}

/**
 * Import a public key with its tags. IVS refuses the same public key twice in a region
 * (ConflictException): then it is imported already, which is what we wanted.
 */
export async function importKeyPair(region: string, publicKeyPem: string, name: string, tags: Record<string, string>): Promise<{ arn?: string; fingerprint?: string }> {
  try {
    const { keyPair } = await withDeadline(
      `IVS ImportPlaybackKeyPair (${region})`,
      (abortSignal) => ivs(region).send(new ImportPlaybackKeyPairCommand({ publicKeyMaterial: publicKeyPem, name, tags }), { abortSignal }),
      LIFECYCLE_CALL_DEADLINE_MS,
    );
    return { arn: keyPair?.arn, fingerprint: keyPair?.fingerprint };
  } catch (err) {
    if (err instanceof ConflictException) return {};
    throw err;
  }
}

/** Delete a key pair; one that is gone already is fine (a retried step). */
export async function deleteKeyPair(region: string, arn: string): Promise<void> {
  try {
    await withDeadline(`IVS DeletePlaybackKeyPair (${region})`, (abortSignal) => ivs(region).send(new DeletePlaybackKeyPairCommand({ arn }), { abortSignal }), LIFECYCLE_CALL_DEADLINE_MS);
  } catch (err) {
    if (!(err instanceof IvsNotFound)) throw err;
  }
}

export async function tagKeyPair(region: string, arn: string, tags: Record<string, string>): Promise<void> {
  await withDeadline(`IVS TagResource (${region})`, (abortSignal) => ivs(region).send(new TagResourceCommand({ resourceArn: arn, tags }), { abortSignal }), LIFECYCLE_CALL_DEADLINE_MS);
}

/** IVS StartViewerSessionRevocation in the channel's region (a request-path call: the default deadline). */
export async function revokeViewer(channelArn: string, viewerId: string): Promise<void> {
  const region = channelArn.split(':')[3]!;
  await withDeadline('IVS StartViewerSessionRevocation', (abortSignal) => ivs(region).send(new StartViewerSessionRevocationCommand({ channelArn, viewerId }), { abortSignal }));
}
