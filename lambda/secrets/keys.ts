/**
 * Turning raw secret values into what the signers need, once per refresh (DESIGN.md §4).
 * Errors name the format problem, never the value.
 */
import { createPrivateKey, createSecretKey, type KeyObject } from 'node:crypto';
import { HMAC_KEY_ID } from '../http/hmac';
import type { RawSecret } from './sources';

export class SecretFormatError extends Error {
  override readonly name = 'SecretFormatError';
}

function asText(raw: RawSecret): string {
  return typeof raw === 'string' ? raw : Buffer.from(raw).toString('utf8');
}

/** JSON.parse whose error names what failed to parse, never the text. */
function parseJson(text: string, what: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    throw new SecretFormatError(`${what} is not valid JSON`);
  }
}

/**
 * The IVS playback signing key: PEM (SEC1 `EC PRIVATE KEY` or PKCS#8 `PRIVATE KEY`) as
 * SecretString or SecretBinary, or JSON `{"privateKey": "<PEM>", ...}`. Must be ECDSA P-384.
 */
export function parsePlaybackKey(raw: RawSecret): KeyObject {
  let pem = asText(raw).trim();
  if (pem.startsWith('{')) {
    const field = (parseJson(pem, 'playback key secret') as { privateKey?: unknown } | null)?.privateKey;
    if (typeof field !== 'string') throw new SecretFormatError('playback key JSON has no string "privateKey" field');
    pem = field.trim();
  }
  if (!pem.startsWith('-----BEGIN')) throw new SecretFormatError('playback key is not a PEM private key');
  let key: KeyObject;
  try {
    key = createPrivateKey({ key: pem, format: 'pem' });
  } catch {
    throw new SecretFormatError('playback key PEM does not parse as a private key');
  }
  // Both tests on purpose, though only an EC key has a namedCurve, so the first never decides:
  // the mutant that drops it survives, and is equivalent. Not disabled, since a disable comment
  // would also hide the mutants of the curve test on the same line.
  if (key.asymmetricKeyType !== 'ec' || key.asymmetricKeyDetails?.namedCurve !== 'secp384r1') {
    throw new SecretFormatError(
      `playback key must be ECDSA P-384 (secp384r1) for ES384, got ${key.asymmetricKeyType} ${key.asymmetricKeyDetails?.namedCurve ?? ''}`.trim(),
    );
  }
  return key;
}

/**
 * The TURN shared secret(s): a plain string (a file's trailing newline is dropped), or JSON
 * `{"secrets": ["current", "previous"]}`. The first one signs; the others exist so that a
 * rotation can be staged (coturn accepts several `static-auth-secret` lines at once).
 */
export function parseTurnSecrets(raw: RawSecret): KeyObject[] {
  const text = asText(raw).trim();
  let values: unknown[] = [text];
  if (text.startsWith('{')) {
    const list = (parseJson(text, 'TURN secret') as { secrets?: unknown } | null)?.secrets;
    if (!Array.isArray(list) || list.length === 0) throw new SecretFormatError('TURN secret JSON needs a non-empty "secrets" array');
    values = list;
  }
  return values.map((v, i) => {
    if (typeof v !== 'string' || v.length === 0) throw new SecretFormatError(`TURN secret #${i + 1} is not a non-empty string`);
    return createSecretKey(Buffer.from(v, 'utf8'));
  });
}

export interface LiveKitCredentials {
  apiKey: string;
  apiSecret: KeyObject;
}

/** Deployed LiveKit API secrets must be at least this long (`livekit-server --dev` uses "secret"). */
export const LIVEKIT_MIN_SECRET_LENGTH = 32;

/** LiveKit credentials: JSON `{"apiKey", "apiSecret"}`. */
export function parseLiveKitCredentials(raw: RawSecret, minSecretLength = LIVEKIT_MIN_SECRET_LENGTH): LiveKitCredentials {
  const parsed = parseJson(asText(raw), 'LiveKit credentials {"apiKey", "apiSecret"}') as { apiKey?: unknown; apiSecret?: unknown } | null;
  const { apiKey, apiSecret } = parsed ?? {};
  if (typeof apiKey !== 'string' || apiKey.length === 0) throw new SecretFormatError('LiveKit credentials have no "apiKey"');
  if (typeof apiSecret !== 'string' || apiSecret.length < minSecretLength) {
    throw new SecretFormatError(`LiveKit "apiSecret" must be a string of at least ${minSecretLength} characters`);
  }
  return { apiKey, apiSecret: createSecretKey(Buffer.from(apiSecret, 'utf8')) };
}

/** The E2EE master secret that per-room keys are derived from: at least 32 characters. */
export function parseE2eeSecret(raw: RawSecret): KeyObject {
  const text = asText(raw).trim();
  if (text.length < 32) throw new SecretFormatError('the E2EE master secret must be at least 32 characters');
  return createSecretKey(Buffer.from(text, 'utf8'));
}

/** HMAC request-signing keys: JSON {"<key id>": "<key of at least 32 characters>", ...}. */
export function parseHmacKeys(raw: RawSecret): Map<string, KeyObject> {
  const parsed = parseJson(asText(raw), 'HMAC keys {"<key id>": "<key>"}');
  if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed) || Object.keys(parsed).length === 0) {
    throw new SecretFormatError('HMAC keys must be a non-empty JSON object {"<key id>": "<key>"}');
  }
  return new Map(
    Object.entries(parsed as Record<string, unknown>).map(([id, value]) => {
      if (!HMAC_KEY_ID.test(id)) throw new SecretFormatError('HMAC key ids are 1-64 letters, digits, "_" or "-", optionally ".<version>"');
      if (typeof value !== 'string' || value.length < 32) throw new SecretFormatError(`HMAC key "${id}" must be a string of at least 32 characters`);
      return [id, createSecretKey(Buffer.from(value, 'utf8'))] as const;
    }),
  );
}
