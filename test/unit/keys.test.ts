import { generateKeyPairSync } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { parsePlaybackKey, SecretFormatError } from '../../lambda/secrets/keys';
import { p384KeyPair } from '../support/keys';

const k = p384KeyPair();

describe('parsePlaybackKey', () => {
  it.each([
    ['SEC1 PEM', k.sec1Pem],
    ['PKCS#8 PEM', k.pkcs8Pem],
    ['PEM with surrounding whitespace', `\n  ${k.sec1Pem}\n\n`],
    ['SecretBinary bytes', new TextEncoder().encode(k.pkcs8Pem)],
    ['JSON {privateKey}', JSON.stringify({ privateKey: k.sec1Pem, note: 'x' })],
  ])('accepts %s as the same P-384 key', (_n, raw) => {
    const key = parsePlaybackKey(raw);
    expect(key.type).toBe('private');
    expect(key.export({ format: 'jwk' })).toEqual(k.privateKey.export({ format: 'jwk' }));
  });

  const p256 = generateKeyPairSync('ec', { namedCurve: 'prime256v1' }).privateKey.export({ type: 'pkcs8', format: 'pem' }) as string;
  const rsa = generateKeyPairSync('rsa', { modulusLength: 1024 }).privateKey.export({ type: 'pkcs8', format: 'pem' }) as string;
  it.each([
    ['a P-256 key', p256, /P-384/],
    ['an RSA key', rsa, /P-384/],
    ['a public key', k.spkiPem, /private key/],
    ['a random password (what a new secret holds)', 'hN3$kq^2mZ!x', /not a PEM/],
    ['JSON without privateKey', '{"key": "x"}', /privateKey/],
    ['broken JSON', '{"privateKey": ', /JSON/],
    ['a truncated PEM', k.sec1Pem.slice(0, 80) + '\n-----END EC PRIVATE KEY-----', /does not parse/],
  ])('refuses %s with a message that does not contain the value', (_n, raw, message) => {
    let error: unknown;
    try {
      parsePlaybackKey(raw);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(SecretFormatError);
    expect((error as Error).message).toMatch(message);
    expect((error as Error).message).not.toContain(raw.length > 60 ? raw.slice(30, 60) : raw);
  });
});
