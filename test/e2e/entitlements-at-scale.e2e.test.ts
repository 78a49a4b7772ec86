/**
 * Entitlements that scale, through the JWT authorizer path (loopback OIDC issuer, as in
 * auth.e2e.test.ts): `"tag:<key>=<value>"` selectors over configured channels' tags and
 * discovered channels' IVS tags, and `channelsFromClaim`.
 */
import { jwtVerify } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FAKE_AWS_ENV } from '../support/fake-aws';
import { fakeIvsChannels } from '../support/fake-ivs-channels';
import { p384KeyPair } from '../support/keys';
import { jsonOf, startLocalServer, writeTempFile, type LocalServer } from '../support/local-server';
import { startIssuer, type Issuer } from '../support/oidc-issuer';

const TAG = 'tv-channel';
const arn = (n: string) => `arn:aws:ivs:us-east-1:123456789012:channel/${n}`;
const url = (n: string) => `https://abc.us-east-1.playback.live-video.net/api/video/v1/${n}.m3u8`;
const keys = p384KeyPair();

let idp: Issuer;
let ivs: Awaited<ReturnType<typeof fakeIvsChannels>>;
let server: LocalServer;

beforeAll(async () => {
  idp = await startIssuer();
  ivs = await fakeIvsChannels(
    [
      { arn: arn('DiscPremium'), playbackUrl: url('DiscPremium'), authorized: true, tags: { [TAG]: 'disc-premium', tier: 'premium' } },
      { arn: arn('DiscFree'), playbackUrl: url('DiscFree'), authorized: true, tags: { [TAG]: 'disc-free', tier: 'free' } },
      // The tier tag alone does not make a channel: without the discovery tag it is not served.
      { arn: arn('NotDiscovered'), playbackUrl: url('NotDiscovered'), authorized: true, tags: { tier: 'premium' } },
    ],
    { pageSize: 1 },
  );
  const config = {
    channels: [
      { id: 'gold-1', arn: arn('Gold1'), playbackUrl: url('Gold1'), tags: { tier: 'premium' } },
      { id: 'free-1', arn: arn('Free1'), playbackUrl: url('Free1'), tags: { tier: 'free' } },
      { id: 'event-a', arn: arn('EventA'), playbackUrl: url('EventA') },
      { id: 'event-b', arn: arn('EventB'), playbackUrl: url('EventB') },
    ],
    channelDiscovery: { tag: TAG },
    entitlements: [
      { name: 'premium', when: { claim: 'cognito:groups', anyOf: ['premium'] }, channels: ['tag:tier=premium'], maximumResolution: 'FULL_HD' },
      { name: 'subscriptions', channelsFromClaim: 'custom:channels', maximumResolution: 'HD' },
    ],
  };
  server = await startLocalServer({
    ...FAKE_AWS_ENV,
    AWS_ENDPOINT_URL_IVS: ivs.url,
    PLAYBACK_PRIVATE_KEY_FILE: writeTempFile('key.pem', keys.pkcs8Pem),
    CONFIG_FILE: writeTempFile('config.json', JSON.stringify(config)),
    AUTH_ISSUER: idp.issuer,
    AUTH_AUDIENCE: idp.audience,
  });
});
afterAll(async () => {
  await server?.stop();
  await ivs?.close();
  await idp?.close();
});

async function ask(claims: Record<string, unknown>, channel: string) {
  const res = await server.post('/v1/playback-tokens', { channel }, { authorization: `Bearer ${await idp.mint(claims)}` });
  return { status: res.status, body: await jsonOf(res) };
}

async function expectServed(claims: Record<string, unknown>, channel: string, channelArn: string) {
  const { status, body } = await ask(claims, channel);
  expect(status, `${channel}: ${JSON.stringify(body)}`).toBe(200);
  expect((await jwtVerify(body.token, keys.publicKey, { algorithms: ['ES384'] })).payload['aws:channel-arn']).toBe(channelArn);
  return body;
}

async function expectRefused(claims: Record<string, unknown>, channel: string) {
  const { status, body } = await ask(claims, channel);
  expect(status, channel).toBe(403);
  expect(body.code).toBe('not_entitled');
  expect(body.token).toBeUndefined();
}

describe('a "tag:tier=premium" selector', () => {
  const premium = { 'cognito:groups': ['premium'] };
  it('opens configured channels with that tag and discovered channels with that IVS tag', async () => {
    await expectServed(premium, 'gold-1', arn('Gold1'));
    await expectServed(premium, 'disc-premium', arn('DiscPremium'));
    await expectServed(premium, arn('DiscPremium'), arn('DiscPremium'));
  });

  it('does not open channels with another tag value, without the tag, or not discovered', async () => {
    for (const channel of ['free-1', 'disc-free', 'event-a', arn('NotDiscovered')]) await expectRefused(premium, channel);
  });

  it('opens nothing to a caller who does not hold the entitlement', async () => {
    for (const claims of [{ 'cognito:groups': ['basic'] }, {}]) {
      for (const channel of ['gold-1', 'disc-premium']) await expectRefused(claims, channel);
    }
  });
});

describe('channelsFromClaim', () => {
  it('opens exactly the channel ids listed in the claim, configured or discovered', async () => {
    const claims = { 'custom:channels': ['event-a', 'disc-free'] };
    await expectServed(claims, 'event-a', arn('EventA'));
    await expectServed(claims, arn('EventA'), arn('EventA'));
    await expectServed(claims, 'disc-free', arn('DiscFree'));
    for (const channel of ['event-b', 'gold-1', 'disc-premium']) await expectRefused(claims, channel);
  });

  it('caps the resolution at the entitlement that opened the channel', async () => {
    const claims = { 'custom:channels': ['event-b'] };
    const body = await expectServed(claims, 'event-b', arn('EventB'));
    expect((await jwtVerify(body.token, keys.publicKey)).payload['aws:maximum-resolution']).toBe('HD');
    const res = await server.post('/v1/playback-tokens', { channel: 'event-b', maximumResolution: 'FULL_HD' }, { authorization: `Bearer ${await idp.mint(claims)}` });
    expect(res.status).toBe(403);
    expect((await jsonOf(res)).code).toBe('resolution_not_allowed');
  });

  it('refuses a caller whose claim is missing, empty, or lists other channels', async () => {
    for (const claims of [{}, { 'custom:channels': [] }, { 'custom:channels': ['event-b'] }, { 'custom:channels': 'nothing-here' }]) {
      await expectRefused(claims, 'event-a');
    }
  });

  it('cannot reach a channel id that neither the config nor IVS knows, even when the claim names it', async () => {
    await expectRefused({ 'custom:channels': ['ghost-channel'] }, 'ghost-channel');
  });
});
