/**
 * The minimum strengths the secret parsers enforce, at their exact boundaries: one character
 * short is refused with a message that names the rule (never the value), the minimum itself
 * is accepted and signs with exactly that value.
 */
import { createHmac, randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { parsePepper } from '../../lambda/http/pseudonym';
import { LIVEKIT_MIN_SECRET_LENGTH, parseE2eeSecret, parseLiveKitCredentials, SecretFormatError } from '../../lambda/secrets/keys';

/** What a KeyObject signs like: HMAC-SHA256 of a fixed message, to compare keys by behaviour. */
const mac = (key: Parameters<typeof createHmac>[1]) => createHmac('sha256', key).update('probe').digest('hex');

describe('LiveKit credentials', () => {
  it('need an API secret of at least 32 characters when deployed', () => {
    expect(LIVEKIT_MIN_SECRET_LENGTH).toBe(32);
    const ok = 's'.repeat(32);
    const creds = parseLiveKitCredentials(JSON.stringify({ apiKey: 'APIkey', apiSecret: ok }));
    expect(creds.apiKey).toBe('APIkey');
    expect(mac(creds.apiSecret)).toBe(mac(ok));
    expect(() => parseLiveKitCredentials(JSON.stringify({ apiKey: 'APIkey', apiSecret: 's'.repeat(31) }))).toThrow(
      new SecretFormatError('LiveKit "apiSecret" must be a string of at least 32 characters'),
    );
  });

  it('take a lower minimum only when the caller passes one (the local server and `--dev`)', () => {
    expect(mac(parseLiveKitCredentials(JSON.stringify({ apiKey: 'devkey', apiSecret: 'secret' }), 1).apiSecret)).toBe(mac('secret'));
    expect(() => parseLiveKitCredentials(JSON.stringify({ apiKey: 'devkey', apiSecret: '' }), 1)).toThrow(SecretFormatError);
  });

  it.each([
    ['no apiKey', { apiSecret: 'x'.repeat(40) }, /no "apiKey"/],
    ['an empty apiKey', { apiKey: '', apiSecret: 'x'.repeat(40) }, /no "apiKey"/],
    ['a numeric apiSecret', { apiKey: 'k', apiSecret: 1e40 }, /apiSecret/],
  ])('refuse %s', (_n, value, message) => {
    expect(() => parseLiveKitCredentials(JSON.stringify(value))).toThrow(message);
  });

  it('refuse JSON that is not an object, and text that is not JSON, without echoing it', () => {
    expect(() => parseLiveKitCredentials('null')).toThrow(/no "apiKey"/);
    expect(() => parseLiveKitCredentials('apiKey=devkey secret')).toThrow(new SecretFormatError('LiveKit credentials {"apiKey", "apiSecret"} is not valid JSON'));
  });
});

describe('the E2EE master secret', () => {
  it('is accepted at 32 characters, trimmed, and keys exactly that text', () => {
    const text = 'm'.repeat(32);
    expect(mac(parseE2eeSecret(`\n ${text} \n`))).toBe(mac(text));
    expect(mac(parseE2eeSecret(new TextEncoder().encode(text)))).toBe(mac(text));
  });
  it('is refused at 31 characters, even padded with whitespace to more', () => {
    expect(() => parseE2eeSecret('m'.repeat(31))).toThrow(new SecretFormatError('the E2EE master secret must be at least 32 characters'));
    expect(() => parseE2eeSecret(`   ${'m'.repeat(31)}   `)).toThrow(SecretFormatError);
  });
  it('takes any 32 random bytes written as base64url (what the README suggests generating)', () => {
    const value = randomBytes(32).toString('base64url');
    expect(mac(parseE2eeSecret(value))).toBe(mac(value));
  });
});

describe('the pseudonym pepper', () => {
  it('is accepted at 32 characters (trimmed) and refused at 31', () => {
    expect(mac(parsePepper(` ${'p'.repeat(32)}\n`))).toBe(mac('p'.repeat(32)));
    expect(() => parsePepper('p'.repeat(31))).toThrow(new SecretFormatError('the pseudonym pepper must be at least 32 characters'));
  });
});
