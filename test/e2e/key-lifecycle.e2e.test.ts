/**
 * The key lifecycle seen from outside, through the local server over HTTP (what `npm start`
 * runs, same handlers as AWS): the JWKS route before and after a rotation of the managed key
 * (real SDK, loopback Secrets Manager and IVS), the JWKS route without authentication, and
 * viewer revocation calling IVS with exactly the viewer id the playback token carries.
 */
import { randomBytes } from 'node:crypto';
import type { CloudFormationCustomResourceEvent } from 'aws-lambda';
import { calculateJwkThumbprint, createLocalJWKSet, decodeJwt, exportJWK, jwtVerify, type CryptoKey, type JSONWebKeySet, type JWTPayload } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { handler as resource } from '../../lambda/handlers/playback-key-resource';
import { handler as rotationHandler } from '../../lambda/handlers/rotate-playback-key';
import { FAKE_AWS_ENV } from '../support/fake-aws';
import { fakeIvsKeys, type FakeIvsKeys } from '../support/fake-ivs-keys';
import { fakeSecretsRotation, type FakeSecretsRotation } from '../support/fake-secrets-rotation';
import { p384KeyPair } from '../support/keys';
import { jsonOf, startLocalServer, writeTempFile, type LocalServer } from '../support/local-server';

const CHANNEL_ARN = 'arn:aws:ivs:eu-west-1:123456789012:channel/KeyLifecycle1';
const OTHER_ARN = 'arn:aws:ivs:eu-west-1:123456789012:channel/KeyLifecycle2';
const SECRET_ARN = 'arn:aws:secretsmanager:us-east-1:123456789012:secret:playback-e2e-AbCdEf';
const config = (extra: Record<string, unknown> = {}) => ({
  channels: [
    { id: 'demo', arn: CHANNEL_ARN, playbackUrl: 'https://a.eu-west-1.playback.live-video.net/api/video/v1/demo.m3u8' },
    { id: 'other', arn: OTHER_ARN, playbackUrl: 'https://a.eu-west-1.playback.live-video.net/api/video/v1/other.m3u8' },
  ],
  playback: { viewerId: true, ttlSeconds: { default: 300, min: 30, max: 600 } },
  secrets: { maxAgeSeconds: 1, maxStaleSeconds: 60 },
  entitlements: [
    { name: 'viewers', channels: ['demo', 'other'] },
    { name: 'moderators', channels: ['demo'], revokeViewers: true },
  ],
  ...extra,
});

let sm: FakeSecretsRotation;
let ivs: FakeIvsKeys;
const saved = { ...process.env };
const stopAfter: LocalServer[] = [];

beforeAll(async () => {
  [sm, ivs] = await Promise.all([fakeSecretsRotation(), fakeIvsKeys()]);
  Object.assign(process.env, FAKE_AWS_ENV, { AWS_ENDPOINT_URL_SECRETS_MANAGER: sm.url, AWS_ENDPOINT_URL_IVS: ivs.url, KEY_REGIONS: 'eu-west-1', KEY_GRACE_SECONDS: '3600' });
});
afterAll(async () => {
  process.env = saved;
  await Promise.all(stopAfter.map((s) => s.stop()));
  await Promise.all([sm?.close(), ivs?.close()]);
});

async function server(env: Record<string, string>, cfg = config()): Promise<LocalServer> {
  const s = await startLocalServer({ ...FAKE_AWS_ENV, CONFIG_FILE: writeTempFile('config.json', JSON.stringify(cfg)), ...env });
  stopAfter.push(s);
  return s;
}

/** jose's way to verify a token without `kid` against a set: try every key that could match. */
async function verifyWithJwks(token: string, set: JSONWebKeySet): Promise<JWTPayload> {
  const keys = createLocalJWKSet(set);
  try {
    return (await jwtVerify(token, keys, { algorithms: ['ES384'] })).payload;
  } catch (err) {
    if ((err as { code?: string }).code !== 'ERR_JWKS_MULTIPLE_MATCHING_KEYS') throw err;
    for await (const key of err as AsyncIterable<CryptoKey>) {
      try {
        return (await jwtVerify(token, key, { algorithms: ['ES384'] })).payload;
      } catch {
        // the next key
      }
    }
    throw new Error('no key of the set verifies the token');
  }
}

const mint = async (s: LocalServer, channel = 'demo') => {
  const res = await s.post('/v1/playback-tokens', { channel });
  expect(res.status).toBe(200);
  return ((await jsonOf(res)) as { token: string }).token;
};
const getJwks = async (s: LocalServer, headers: Record<string, string> = {}) => {
  const res = await fetch(`${s.url}/.well-known/jwks.json`, { headers });
  expect(res.status).toBe(200);
  expect(res.headers.get('content-type')).toBe('application/jwk-set+json');
  expect(res.headers.get('cache-control')).toMatch(/^public, max-age=\d+$/);
  return (await res.json()) as JSONWebKeySet;
};

describe('GET /.well-known/jwks.json with the managed key', () => {
  it('verifies tokens signed before, during and after a rotation, with jose; no request fails during it', async () => {
    sm.create(SECRET_ARN, randomBytes(24).toString('base64url'));
    const created = await resource({
      RequestType: 'Create',
      ResourceProperties: { ServiceToken: 'x', SecretArn: SECRET_ARN, Regions: ['eu-west-1'], GraceSeconds: '3600' },
    } as unknown as CloudFormationCustomResourceEvent);
    const s = await server({ PLAYBACK_KEY_SECRET_ID: SECRET_ARN, AWS_ENDPOINT_URL_SECRETS_MANAGER: sm.url });

    const before = await mint(s);
    const jwksBefore = await getJwks(s);
    expect(jwksBefore.keys.map((k) => k.kid)).toEqual([created.Data!.Thumbprint]);
    await verifyWithJwks(before, jwksBefore);

    // Viewers keep asking while the rotation runs: no request may fail.
    let rotating = true;
    const during: Promise<{ status: number; token?: string }>[] = [];
    const load = (async () => {
      while (rotating) {
        during.push(s.post('/v1/playback-tokens', { channel: 'demo' }).then(async (r) => ({ status: r.status, token: ((await r.json()) as { token?: string }).token })));
        await new Promise((r) => setTimeout(r, 40));
      }
    })();
    const token = sm.startRotation(SECRET_ARN);
    for (const Step of ['createSecret', 'setSecret', 'testSecret', 'finishSecret'] as const) {
      await rotationHandler({ Step, SecretId: SECRET_ARN, ClientRequestToken: token });
    }
    sm.clearPending(SECRET_ARN);
    await new Promise((r) => setTimeout(r, 1_500)); // past maxAgeSeconds: the signer refreshes meanwhile
    rotating = false;
    await load;
    const minted = await Promise.all(during);
    expect(minted.length).toBeGreaterThan(5);
    expect(new Set(minted.map((m) => m.status))).toEqual(new Set([200]));

    // Signers pick up the new AWSCURRENT within secrets.maxAgeSeconds (1 s here).
    let after = '';
    const deadline = Date.now() + 15_000;
    while (Date.now() < deadline) {
      after = await mint(s);
      const stillOld = await verifyWithJwks(after, jwksBefore).then(() => true, () => false);
      if (!stillOld) break;
      await new Promise((r) => setTimeout(r, 300));
    }
    await expect(verifyWithJwks(after, jwksBefore), 'the signer never moved to the new key').rejects.toThrow();

    // The JWKS may lag the signer by its own cache age as well; poll until it shows both keys.
    let jwksAfter = jwksBefore;
    while (jwksAfter.keys.length < 2 && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 300));
      jwksAfter = await getJwks(s);
    }
    expect(jwksAfter.keys).toHaveLength(2);
    for (const k of jwksAfter.keys) {
      expect(k).toMatchObject({ kty: 'EC', crv: 'P-384', alg: 'ES384', use: 'sig' });
      expect(k.kid).toBe(await calculateJwkThumbprint(k));
      expect(k).not.toHaveProperty('d');
    }
    expect((await verifyWithJwks(before, jwksAfter))['aws:channel-arn']).toBe(CHANNEL_ARN);
    expect((await verifyWithJwks(after, jwksAfter))['aws:channel-arn']).toBe(CHANNEL_ARN);
    for (const m of minted) await verifyWithJwks(m.token!, jwksAfter);
    await expect(verifyWithJwks(after, { keys: [(await exportJWK(p384KeyPair().publicKey)) as never] })).rejects.toThrow();
  });
});

describe('GET /.well-known/jwks.json locally', () => {
  it('needs no authentication where every other route does, and serves the key the server signs with', async () => {
    const keys = p384KeyPair();
    const s = await server({
      PLAYBACK_PRIVATE_KEY_FILE: writeTempFile('key.pem', keys.sec1Pem),
      AUTH_HMAC_KEYS: JSON.stringify({ k1: randomBytes(32).toString('base64url') }),
    });
    expect((await s.post('/v1/playback-tokens', { channel: 'demo' })).status).toBe(401);
    const set = await getJwks(s);
    expect(set.keys.map((k) => k.kid)).toEqual([await calculateJwkThumbprint(await exportJWK(keys.publicKey))]);
    // A wrong method on the public path is still an authenticated 405/401 through $default, as in the stack.
    expect((await fetch(`${s.url}/.well-known/jwks.json`, { method: 'POST' })).status).toBe(401);
  });
});

describe('POST /v1/viewer-revocations', () => {
  let s: LocalServer;
  beforeAll(async () => {
    s = await server({ PLAYBACK_PRIVATE_KEY_FILE: writeTempFile('key.pem', p384KeyPair().sec1Pem), AWS_ENDPOINT_URL_IVS: ivs.url });
  });

  it("calls IVS StartViewerSessionRevocation, in the channel's region, with the viewer id the user's token carries", async () => {
    const token = await mint(s);
    const viewerId = decodeJwt(token)['aws:viewer-id'];
    expect(viewerId).toMatch(/^[A-Za-z0-9_-]{32}$/);
    expect(String(viewerId)).not.toContain('local-dev-user');

    const res = await s.post('/v1/viewer-revocations', { channel: 'demo', subject: 'local-dev-user' });
    expect(res.status).toBe(202);
    expect(await jsonOf(res)).toEqual({ channelArn: CHANNEL_ARN, status: 'revocation started' });
    expect(ivs.revocations.at(-1)).toEqual({ region: 'eu-west-1', channelArn: CHANNEL_ARN, viewerId });
  });

  it('derives another id for another issuer, and refuses unknown fields, other channels and non-moderators', async () => {
    const count = ivs.revocations.length;
    expect((await s.post('/v1/viewer-revocations', { channel: 'demo', subject: 'local-dev-user', issuer: 'https://other-idp' })).status).toBe(202);
    expect(ivs.revocations.at(-1)!.viewerId).not.toBe(decodeJwt(await mint(s))['aws:viewer-id']);
    const bad = await s.post('/v1/viewer-revocations', { channel: 'demo', subject: 'x', viewerId: 'raw' });
    expect(bad.status).toBe(400);
    expect(bad.headers.get('content-type')).toBe('application/problem+json');
    const other = await s.post('/v1/viewer-revocations', { channel: 'other', subject: 'x' });
    expect(other.status).toBe(403);
    expect((await jsonOf(other)).code).toBe('not_entitled');
    expect(ivs.revocations.length).toBe(count + 1);
  });

  it('answers 503 problem+json with Retry-After when IVS fails, never a 500 or a stack trace', async () => {
    ivs.failNext('/StartViewerSessionRevocation');
    ivs.failNext('/StartViewerSessionRevocation'); // the SDK retries once
    const res = await s.post('/v1/viewer-revocations', { channel: 'demo', subject: 'local-dev-user' });
    expect(res.status).toBe(503);
    expect(res.headers.get('retry-after')).toBe('5');
    const body = await jsonOf(res);
    expect(body.code).toBe('ivs_unavailable');
    expect(JSON.stringify(body)).not.toMatch(/injected|at .*\.ts/);
    // Counted for the IvsLookupFailures alarm, with the call named in the EMF line.
    const failures = s
      .output()
      .split('\n')
      .filter((l) => l.startsWith('{') && l.includes('"IvsLookupFailures"'))
      .map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(failures.some((l) => l.source === 'StartViewerSessionRevocation')).toBe(true);
  });

  it('answers 429 with Retry-After when IVS throttles revocations (about 10 TPS)', async () => {
    ivs.failNext('/StartViewerSessionRevocation', 'ThrottlingException', 429);
    ivs.failNext('/StartViewerSessionRevocation', 'ThrottlingException', 429);
    const res = await s.post('/v1/viewer-revocations', { channel: 'demo', subject: 'local-dev-user' });
    expect(res.status).toBe(429);
    expect(res.headers.get('retry-after')).toBe('1');
    expect((await jsonOf(res)).code).toBe('ivs_throttled');
  });

  it('answers 409 when tokens carry no viewer id', async () => {
    const off = await server({ PLAYBACK_PRIVATE_KEY_FILE: writeTempFile('key.pem', p384KeyPair().sec1Pem) }, config({ playback: { viewerId: false } }));
    const res = await off.post('/v1/viewer-revocations', { channel: 'demo', subject: 'local-dev-user' });
    expect(res.status).toBe(409);
    expect((await jsonOf(res)).code).toBe('viewer_id_disabled');
  });
});
