/**
 * Where secret values come from: Secrets Manager (deployed, or any endpoint set with
 * AWS_ENDPOINT_URL_SECRETS_MANAGER) through Powertools' SecretsProvider, or a local file.
 * These return the raw value; parsing and caching live in `keys.ts` and `cache.ts`.
 */
import { readFile } from 'node:fs/promises';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { SecretsProvider } from '@aws-lambda-powertools/parameters/secrets';

export type RawSecret = string | Uint8Array;
export interface SecretSource {
  /** `inline`: the value itself (local server only, e.g. TURN_STATIC_AUTH_SECRET). */
  readonly kind: 'secretsManager' | 'file' | 'inline';
  readonly id: string;
}

/**
 * SDK timeouts stay far below the function timeout (10 s): two attempts of at most 3 s each.
 * A cached value keeps serving meanwhile, so only a cold start ever waits on this.
 */
export const SDK_CLIENT_OPTIONS = {
  maxAttempts: 2,
  requestHandler: { connectionTimeout: 1_000, requestTimeout: 2_000 },
} as const;

let provider: SecretsProvider | undefined;
function secretsProvider(): SecretsProvider {
  provider ??= new SecretsProvider({ awsSdkV3Client: new SecretsManagerClient(SDK_CLIENT_OPTIONS) });
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
    const value = await secretsProvider().get(source.id, { forceFetch: true });
    if (value === undefined) throw new SecretMissingError(`secret ${source.id} has no value`);
    return value;
  };
}
