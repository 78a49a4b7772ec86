import { createHmac, createSecretKey, randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../lambda/config/schema';
import { parseTurnSecrets, SecretFormatError } from '../../lambda/secrets/keys';
import { turnCredentials, turnPassword } from '../../lambda/tokens/turn';
import { pseudonymousId } from '../../lambda/http/pseudonym';

const key = (s: string) => createSecretKey(Buffer.from(s, 'utf8'));
const uris = ['stun:turn.example.com:3478', 'turn:turn.example.com:3478?transport=udp', 'turns:turn.example.com:5349?transport=tcp'];

describe('turnPassword', () => {
  // Vectors computed with `openssl dgst -sha1 -hmac <secret> -binary | base64`, not with Node.
  it.each([
    ['north-star', '1700003600:alice', 'hkfdlfWYpVBeofXj/45bV7mPHEs='],
    ['bar', '1433895918506:1735416240', 'hcKUri40qJIiYD2c7eewdWXSGYM='],
  ])('HMAC-SHA1(%s, %s) is %s in padded standard base64', (secret, username, expected) => {
    expect(turnPassword(key(secret), username)).toBe(expected);
  });
});

describe('turnCredentials', () => {
  const now = new Date('2023-11-14T22:13:20.900Z'); // 1700000000.9 s
  // Minted inside each test, not once for the describe block: Stryker runs only the tests that ran a mutant.
  const mint = () => turnCredentials({ userId: 'alice', now, ttlSeconds: 3600, key: key('north-star'), uris });

  it('puts the expiry in unix seconds before the user, and signs that username', () => {
    const creds = mint();
    expect(creds.username).toBe('1700003600:alice');
    expect(creds.password).toBe('hkfdlfWYpVBeofXj/45bV7mPHEs=');
    expect(creds.ttl).toBe(3600);
    expect(creds.expiresAt).toBe('2023-11-14T23:13:20.000Z');
  });

  it('answers in the draft shape and as RTCIceServer[] (STUN without credentials)', () => {
    const creds = mint();
    expect(creds.uris).toEqual(['turn:turn.example.com:3478?transport=udp', 'turns:turn.example.com:5349?transport=tcp']);
    expect(creds.iceServers).toEqual([
      { urls: ['stun:turn.example.com:3478'] },
      { urls: creds.uris, username: creds.username, credential: creds.password },
    ]);
  });

  it('sorts by scheme alone: stuns and any case are STUN, a TURN host named "stun" is TURN', () => {
    const mixed = ['STUN:a.example.com', 'stuns:b.example.com:5349', 'turn:stun:3478', 'TURNS:c.example.com:443?transport=tcp', 'xturn:d.example.com'];
    const c = turnCredentials({ userId: 'alice', now, ttlSeconds: 60, key: key('s'), uris: mixed });
    expect(c.iceServers[0]).toEqual({ urls: ['STUN:a.example.com', 'stuns:b.example.com:5349'] });
    expect(c.uris).toEqual(['turn:stun:3478', 'TURNS:c.example.com:443?transport=tcp']);
    // No STUN URI: no credential-less entry at all.
    expect(turnCredentials({ userId: 'alice', now, ttlSeconds: 60, key: key('s'), uris: uris.slice(1) }).iceServers).toHaveLength(1);
  });

  it('refuses a user id with ":" or none', () => {
    expect(() => turnCredentials({ userId: 'a:b', now, ttlSeconds: 60, key: key('s'), uris })).toThrow(/:/);
    expect(() => turnCredentials({ userId: '', now, ttlSeconds: 60, key: key('s'), uris })).toThrow();
  });

  it('derives a user id without ":" for any caller id', () => {
    for (const subject of ['a:b:c', '::::', 'user@example.com', 'ünïcødé', 'x'.repeat(500)]) {
      const id = pseudonymousId(createSecretKey(randomBytes(32)), { subject, issuer: 'https://idp' }, 'turn-user');
      expect(id).toMatch(/^[A-Za-z0-9_-]{22}$/);
      expect(turnCredentials({ userId: id, now, ttlSeconds: 60, key: key('s'), uris }).username.split(':')).toHaveLength(2);
    }
  });
});

describe('parseTurnSecrets', () => {
  it('reads a plain string (dropping a file\'s newline) or a JSON list, first one signing', () => {
    const sign = (ks: ReturnType<typeof parseTurnSecrets>) => createHmac('sha1', ks[0]!).update('u').digest('base64');
    expect(sign(parseTurnSecrets('north-star\n'))).toBe(createHmac('sha1', 'north-star').update('u').digest('base64'));
    const both = parseTurnSecrets(JSON.stringify({ secrets: ['new', 'old'] }));
    expect(both).toHaveLength(2);
    expect(sign(both)).toBe(createHmac('sha1', 'new').update('u').digest('base64'));
  });
  it.each(['', '{"secrets": []}', '{"secrets": [""]}', '{"secrets": "x"}', '{"secret'])('refuses %j', (raw) => {
    expect(() => parseTurnSecrets(raw)).toThrow(SecretFormatError);
  });
});

describe('turn config', () => {
  const base = {
    channels: [{ id: 'a', arn: 'arn:aws:ivs:us-east-1:123456789012:channel/Abc' }],
    entitlements: [{ name: 'e', channels: ['a'], turn: true }],
  };
  it('accepts stun, turn over udp and tcp, turns on 5349 and 443, IPv6 literals', () => {
    const c = parseConfig({
      ...base,
      turn: { uris: [...uris, 'turns:turn.example.com:443?transport=tcp', 'turn:[2001:db8::1]:3478', 'stun:192.0.2.1'] },
    });
    expect(c.turn!.ttlSeconds).toEqual({ default: 3600, min: 60, max: 86400 });
  });
  it.each([
    ['http://turn.example.com'],
    ['turn:turn.example.com:3478?transport=sctp'],
    ['turn:turn.example.com:99999'],
    ['turn://turn.example.com'],
    ['turn:user@turn.example.com'],
    ['stun:turn.example.com?transport=udp'],
  ])('refuses %s with a clear message', (uri) => {
    expect(() => parseConfig({ ...base, turn: { uris: [uri] } })).toThrow(/turn\.uris\.0: (must be stun|port must)/);
  });
  it('needs at least one TURN URI, and a max TTL of at most 24 h', () => {
    expect(() => parseConfig({ ...base, turn: { uris: ['stun:a.example.com'] } })).toThrow(/at least one turn/);
    expect(() => parseConfig({ ...base, turn: { uris, ttlSeconds: { max: 86_401 } } })).toThrow(/turn\.ttlSeconds\.max/);
  });
});
