/**
 * Where secret values come from: Secrets Manager (deployed, or any endpoint set with
 * AWS_ENDPOINT_URL_SECRETS_MANAGER) through Powertools' SecretsProvider, or a local file.
 * These return the raw value; parsing and caching live in `keys.ts` and `cache.ts`.
 */
import { readFile } from 'node:fs/promises';
import type { SecretsProvider } from '@aws-lambda-powertools/parameters/secrets';
import { SDK_CLIENT_OPTIONS, withDeadline } from '../aws/sdk';

export type RawSecret = string | Uint8Array;
export interface SecretSource {
  /** `inline`: the value itself (local server only, e.g. TURN_STATIC_AUTH_SECRET). */
  readonly kind: 'secretsManager' | 'file' | 'inline';
  readonly id: string;
}

/**
 * The SDK client and Powertools' provider are loaded on first use, not with the handler: a
 * function that reads no secret from Secrets Manager (not-found without an edge, the local
 * server with files) never pays for them (README "Cold starts").
 */
let provider: Promise<SecretsProvider> | undefined;
function secretsProvider(): Promise<SecretsProvider> {
  provider ??= Promise.all([import('@aws-sdk/client-secrets-manager'), import('@aws-lambda-powertools/parameters/secrets')]).then(
    ([{ SecretsManagerClient }, { SecretsProvider }]) => new SecretsProvider({ awsSdkV3Client: new SecretsManagerClient(SDK_CLIENT_OPTIONS) }),
  );
  return provider;
}

export class SecretMissingError extends Error {
  override readonly name = 'SecretMissingError';
}

/** A loader for one secret; every call is one fetch (the cache above decides when to call). */
export function secretLoader(source: SecretSource): () => Promise<RawSecret> {
  if (source.kind === 'file') return () => readFile(source.id, 'utf8');
  if (source.kind === 'inline') return async () => source.id;
  return async () => {
    // forceFetch: our RefreshingCache owns caching, because it keeps the parsed KeyObject and
    // serves a stale value when Secrets Manager fails, which Powertools' cache does not.
    // Powertools takes no AbortSignal: the deadline rejects, and the throwing per-attempt
    // timeouts of SDK_CLIENT_OPTIONS end the abandoned request soon after.
    const value = await withDeadline('Secrets Manager GetSecretValue', async () => (await secretsProvider()).get(source.id, { forceFetch: true }));
    if (value === undefined) throw new SecretMissingError(`secret ${source.id} has no value`);
    return value;
  };
}
