import { createHash, createSecretKey, randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { parsePepper, pseudonymousId } from '../../lambda/http/pseudonym';
import { SecretFormatError } from '../../lambda/secrets/keys';

const pepper = createSecretKey(randomBytes(32));
const alice = { issuer: 'https://idp', subject: 'alice@example.com' };

describe('pseudonymousId', () => {
  it('is stable, opaque, purpose-bound, and never holds ":" or the subject', () => {
    const a = pseudonymousId(pepper, alice, 'ivs-viewer');
    expect(pseudonymousId(pepper, alice, 'ivs-viewer')).toBe(a);
    expect(pseudonymousId(pepper, alice, 'turn-user')).not.toBe(a.slice(0, 22));
    expect(pseudonymousId(pepper, { ...alice, subject: 'bob@example.com' }, 'ivs-viewer')).not.toBe(a);
    expect(pseudonymousId(pepper, { ...alice, issuer: 'https://other-idp' }, 'ivs-viewer')).not.toBe(a);
    expect(a).toMatch(/^[A-Za-z0-9_-]{32}$/);
    expect(pseudonymousId(pepper, alice, 'turn-user')).toMatch(/^[A-Za-z0-9_-]{22}$/);
    expect(a).not.toContain('alice');
  });

  it('cannot be recomputed from a guessed subject without the pepper (unlike a plain SHA-256)', () => {
    const a = pseudonymousId(pepper, alice, 'ivs-viewer');
    const unkeyed = createHash('sha256').update(`token-vending/ivs-viewer\0${alice.issuer}\0${alice.subject}`).digest('base64url').slice(0, 32);
    expect(a).not.toBe(unkeyed);
    expect(pseudonymousId(createSecretKey(randomBytes(32)), alice, 'ivs-viewer')).not.toBe(a);
  });

  it('fits IVS aws:viewer-id (<= 40 characters)', () => {
    // 32 base64url characters (192 bits), whatever the input length: within IVS's 40.
    expect(pseudonymousId(pepper, { issuer: 'x'.repeat(500), subject: 'y'.repeat(500) }, 'ivs-viewer')).toMatch(/^[A-Za-z0-9_-]{32}$/);
    expect(pseudonymousId(pepper, { issuer: '', subject: 'a' }, 'turn-user')).toMatch(/^[A-Za-z0-9_-]{22}$/);
  });
});

describe('parsePepper', () => {
  it('takes 32 or more characters and refuses a short one without echoing it', () => {
    expect(parsePepper('p'.repeat(48)).symmetricKeySize).toBe(48);
    expect(() => parsePepper('short-pepper')).toThrow(SecretFormatError);
    expect(() => parsePepper('short-pepper')).not.toThrow(/short-pepper/);
  });
});
