/**
 * The one JWS signer (lambda/tokens/jws.ts), checked against independent implementations:
 * jose verifies both algorithms, jsonwebtoken (which signed our tokens before) gives the same
 * bytes for HS256 (deterministic), and the ES384 signature is the raw R || S of RFC 7518.
 */
import { createSecretKey, randomBytes, verify } from 'node:crypto';
import { compactVerify, decodeProtectedHeader, jwtVerify } from 'jose';
import jwt from 'jsonwebtoken';
import { describe, expect, it } from 'vitest';
import { signJwt } from '../../lambda/tokens/jws';
import { p384KeyPair } from '../support/keys';

const claims = { sub: 'user-1', exp: 2_000_000_000, nested: { a: [1, 'ü'] } };

describe('signJwt', () => {
  it('ES384: a compact JWT whose header is exactly {"alg":"ES384","typ":"JWT"} and whose claims come back unchanged (jose)', async () => {
    const keys = p384KeyPair();
    const token = signJwt('ES384', claims, keys.privateKey);
    const [header, payload, signature] = token.split('.');
    expect(Buffer.from(header!, 'base64url').toString()).toBe('{"alg":"ES384","typ":"JWT"}');
    expect(JSON.parse(Buffer.from(payload!, 'base64url').toString())).toEqual(claims);
    expect(token).not.toMatch(/[=+/]/); // base64url without padding
    const { payload: verified, protectedHeader } = await jwtVerify(token, keys.publicKey, { algorithms: ['ES384'] });
    expect(protectedHeader).toEqual({ alg: 'ES384', typ: 'JWT' });
    expect(verified).toEqual(claims);
    // R || S, 48 bytes each (RFC 7518 §3.4), not DER: what IVS and every JOSE verifier expect.
    const sig = Buffer.from(signature!, 'base64url');
    expect(sig).toHaveLength(96);
    expect(verify('sha384', Buffer.from(`${header}.${payload}`), { key: keys.publicKey, dsaEncoding: 'ieee-p1363' }, sig)).toBe(true);
  });

  it('ES384: fails verification under another key and after any change to the claims', async () => {
    const keys = p384KeyPair();
    const token = signJwt('ES384', claims, keys.privateKey);
    await expect(jwtVerify(token, p384KeyPair().publicKey, { algorithms: ['ES384'] })).rejects.toThrow();
    const [h, , s] = token.split('.');
    const forged = `${h}.${Buffer.from(JSON.stringify({ ...claims, sub: 'user-2' })).toString('base64url')}.${s}`;
    await expect(compactVerify(forged, keys.publicKey)).rejects.toThrow();
  });

  it('HS256: byte for byte what jsonwebtoken signs with the same claims and key, and jose verifies it', async () => {
    const secret = randomBytes(32);
    const key = createSecretKey(secret);
    const token = signJwt('HS256', claims, key);
    expect(token).toBe(jwt.sign(claims, secret, { algorithm: 'HS256', header: { alg: 'HS256', typ: 'JWT' }, noTimestamp: true }));
    expect(decodeProtectedHeader(token)).toEqual({ alg: 'HS256', typ: 'JWT' });
    expect((await jwtVerify(token, key, { algorithms: ['HS256'] })).payload).toEqual(claims);
    await expect(jwtVerify(token, createSecretKey(randomBytes(32)), { algorithms: ['HS256'] })).rejects.toThrow();
  });
});
