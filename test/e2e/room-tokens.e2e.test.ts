/**
 * POST /v1/room-tokens through the local server, with every token checked by LiveKit's own
 * TokenVerifier (livekit-server-sdk).
 */
import { randomBytes } from 'node:crypto';
import { TokenSource } from 'livekit-client';
import { TokenVerifier } from 'livekit-server-sdk';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { jsonOf, startLocalServer, writeTempFile, type LocalServer } from '../support/local-server';

const API_KEY = 'APItest';
const API_SECRET = randomBytes(30).toString('base64url'); // 40 characters
const verifier = new TokenVerifier(API_KEY, API_SECRET);
const e2eeSecretFile = writeTempFile('e2ee', randomBytes(32).toString('base64url'));

const config = (hostEpoch: number) => ({
  channels: [{ id: 'demo', arn: 'arn:aws:ivs:us-east-1:123456789012:channel/Demo', playbackUrl: 'https://x.playback.live-video.net/a.m3u8' }],
  livekit: {
    url: 'wss://livekit.example.com',
    ttlSeconds: { default: 600, min: 60, max: 3600 },
    roomPolicies: [
      { name: 'audience', rooms: ['stage-*', 'lobby'], grants: { canSubscribe: true } },
      {
        name: 'host', rooms: ['studio', 'studio-*'],
        grants: { canPublish: true, canPublishData: true, canPublishSources: ['camera', 'microphone'] },
        allowIdentityOverride: true, allowMetadata: true, allowAttributes: true, e2ee: true, e2eeEpoch: hostEpoch,
        agents: ['support-bot', 'captioner'],
      },
      { name: 'backstage', rooms: ['backstage'], grants: { canPublish: true } },
    ],
  },
  entitlements: [{ name: 'everyone', channels: ['demo'], roomPolicies: ['audience', 'host'] }],
});

const env = (hostEpoch: number) => ({
  CONFIG_FILE: writeTempFile('config.json', JSON.stringify(config(hostEpoch))),
  LIVEKIT_API_KEY: API_KEY,
  LIVEKIT_API_SECRET: API_SECRET,
  LIVEKIT_E2EE_SECRET_FILE: e2eeSecretFile,
});

let server: LocalServer;
let nextEpoch: LocalServer;
beforeAll(async () => {
  [server, nextEpoch] = await Promise.all([startLocalServer(env(1)), startLocalServer(env(2))]);
});
afterAll(async () => {
  await Promise.all([server?.stop(), nextEpoch?.stop()]);
});

const request = async (body: unknown, s = server) => {
  const res = await s.post('/v1/room-tokens', body);
  return { res, json: await jsonOf(res) };
};

describe('a LiveKit token endpoint', () => {
  it('answers 201 {server_url, participant_token} that TokenVerifier accepts, with the policy\'s grants', async () => {
    const before = Math.floor(Date.now() / 1000);
    const { res, json } = await request({ room_name: 'stage-7', participant_name: 'Ann' });
    expect(res.status).toBe(201);
    expect(res.headers.get('cache-control')).toBe('no-store');
    expect(Object.keys(json).sort()).toEqual(['participant_token', 'server_url']);
    expect(json.server_url).toBe('wss://livekit.example.com');
    const claims = await verifier.verify(json.participant_token);
    expect(claims.iss).toBe(API_KEY);
    expect(claims.sub).toBe('local-dev-user');
    expect(claims.name).toBe('Ann');
    expect(claims.nbf).toBeGreaterThanOrEqual(before);
    expect(claims.exp).toBeGreaterThanOrEqual(before + 600);
    expect(claims.exp).toBeLessThanOrEqual(before + 602);
    expect(claims.video).toEqual({
      room: 'stage-7', roomJoin: true, canPublish: false, canSubscribe: true, canPublishData: false, canUpdateOwnMetadata: false,
    });
  });

  it('is refused by TokenVerifier with another secret', async () => {
    const { json } = await request({ room_name: 'lobby' });
    await expect(new TokenVerifier(API_KEY, randomBytes(30).toString('base64url')).verify(json.participant_token)).rejects.toThrow();
  });

  it('accepts null for absent fields and an empty room_config/attributes, as SDKs send them', async () => {
    const { res } = await request({ room_name: 'lobby', participant_identity: null, participant_name: null, participant_metadata: null, participant_attributes: {}, room_config: {} });
    expect(res.status).toBe(201);
  });
});

describe("LiveKit's own client SDK", () => {
  it('fetches through TokenSource.endpoint without glue', async () => {
    const source = TokenSource.endpoint(`${server.url}/v1/room-tokens`, { headers: { 'x-app': 'test' } });
    const { serverUrl, participantToken } = await source.fetch({ roomName: 'studio', participantName: 'Ann', participantIdentity: 'desk-1' });
    expect(serverUrl).toBe('wss://livekit.example.com');
    const claims = await verifier.verify(participantToken);
    expect(claims).toMatchObject({ sub: 'desk-1', name: 'Ann', video: { room: 'studio', roomJoin: true } });
  });

  it('gets a 4xx, not a token, when it asks for agent dispatch (room_config) the caller may not set', async () => {
    const source = TokenSource.endpoint(`${server.url}/v1/room-tokens`);
    await expect(source.fetch({ roomName: 'studio', agentName: 'helper' })).rejects.toThrow(/403.*field_not_allowed/);
    await expect(source.fetch({ roomName: 'lobby', agentName: 'support-bot' })).rejects.toThrow(/403.*field_not_allowed/);
  });

  it('dispatches an agent the room policy lists: agentName and agentMetadata land in the token\'s roomConfig', async () => {
    const source = TokenSource.endpoint(`${server.url}/v1/room-tokens`);
    const { participantToken } = await source.fetch({ roomName: 'studio', agentName: 'support-bot', agentMetadata: '{"lang":"de"}' });
    const claims = await verifier.verify(participantToken);
    expect(claims.roomConfig).toEqual({ agents: [{ agentName: 'support-bot', metadata: '{"lang":"de"}' }] });
    expect(claims.video).toMatchObject({ room: 'studio', roomJoin: true });
  });
});

describe('LiveKit agent dispatch (room policy `agents`)', () => {
  it('writes every listed agent the request dispatches into roomConfig.agents, in order', async () => {
    const { res, json } = await request({
      room_name: 'studio-2',
      room_config: { agents: [{ agent_name: 'captioner' }, { agent_name: 'support-bot', metadata: 'x' }] },
    });
    expect(res.status).toBe(201);
    const claims = await verifier.verify(json.participant_token);
    expect(claims.roomConfig).toEqual({ agents: [{ agentName: 'captioner', metadata: '' }, { agentName: 'support-bot', metadata: 'x' }] });
  });

  it('puts no roomConfig into a token whose request dispatches nothing', async () => {
    for (const room_config of [undefined, null, {}, { agents: [] }, { agents: null }]) {
      const { res, json } = await request({ room_name: 'studio', room_config });
      expect(res.status).toBe(201);
      expect(await verifier.verify(json.participant_token)).not.toHaveProperty('roomConfig');
    }
  });

  it.each([
    ['an agent the policy does not list', 'studio', { agents: [{ agent_name: 'helper' }] }, 'room_config.agents.0.agent_name'],
    ['a listed agent beside one that is not', 'studio', { agents: [{ agent_name: 'captioner' }, { agent_name: 'helper' }] }, 'room_config.agents.1.agent_name'],
    ['any agent in a room whose policy lists none', 'lobby', { agents: [{ agent_name: 'support-bot' }] }, 'room_config.agents.0.agent_name'],
    ['other room settings beside the agents', 'studio', { agents: [{ agent_name: 'support-bot' }], max_participants: 2 }, 'room_config.max_participants'],
    ['other room settings alone', 'studio', { name: 'studio', empty_timeout: 1 }, 'room_config.name'],
    ['other dispatch settings (deployment)', 'studio', { agents: [{ agent_name: 'support-bot', deployment: 'canary' }] }, 'room_config.agents.0.deployment'],
  ])('refuses %s: 403 field_not_allowed', async (_what, room_name, room_config, field) => {
    const { res, json } = await request({ room_name, room_config });
    expect(res.status).toBe(403);
    expect(json).toMatchObject({ code: 'field_not_allowed', detail: expect.stringContaining(field) });
    expect(json.participant_token).toBeUndefined();
  });

  it.each([
    [{ agents: [{ agent_name: 'support-bot' }, { agent_name: 'support-bot' }] }],
    [{ agents: [{ agent_name: '' }] }],
    [{ agents: [{ agent_name: 'support-bot', metadata: 'x'.repeat(1025) }] }],
    [{ agents: 'support-bot' }],
  ])('refuses a malformed dispatch %j: 400 invalid_request', async (room_config) => {
    const { res, json } = await request({ room_name: 'studio', room_config });
    expect(res.status).toBe(400);
    expect(json.code).toBe('invalid_request');
  });
});

describe('callers cannot pick their own privileges', () => {
  it.each([
    [{ room_name: 'stage-1', canPublish: true }, 400, 'invalid_request'],
    [{ room_name: 'stage-1', video: { roomAdmin: true } }, 400, 'invalid_request'],
    [{ room_name: 'stage-1', grants: { canPublish: true } }, 400, 'invalid_request'],
    [{ room_name: 'stage-1', room_config: { name: 'stage-1', agents: [{ agent_name: 'x' }] } }, 403, 'field_not_allowed'],
    [{ room_name: 'stage-1', participant_metadata: '{"role":"admin"}' }, 403, 'field_not_allowed'],
    [{ room_name: 'stage-1', participant_attributes: { role: 'host' } }, 403, 'field_not_allowed'],
    [{ room_name: 'stage-1', participant_identity: 'someone-else' }, 403, 'identity_not_allowed'],
    [{ room_name: 'backstage' }, 403, 'not_entitled'],
    [{ room_name: 'no-such-room' }, 403, 'not_entitled'],
    [{ room_name: '' }, 400, 'invalid_request'],
    [{ room_name: 'stage 1' }, 400, 'invalid_request'],
    [{ room_name: 'x'.repeat(129) }, 400, 'invalid_request'],
    [{}, 400, 'invalid_request'],
    [{ room_name: 'studio', participant_name: 'x'.repeat(129) }, 400, 'invalid_request'],
    [{ room_name: 'studio', participant_name: 'Ann\u0000' }, 400, 'invalid_request'],
    [{ room_name: 'studio', participant_metadata: 'x'.repeat(1025) }, 400, 'invalid_request'],
    [{ room_name: 'studio', participant_attributes: Object.fromEntries(Array.from({ length: 17 }, (_, i) => [`k${i}`, 'v'])) }, 400, 'invalid_request'],
    [{ room_name: 'studio', participant_attributes: { k: 1 } }, 400, 'invalid_request'],
    ['{"room_name":"studio","participant_attributes":{"__proto__":"x"}}', 400, 'invalid_request'],
  ])('%j -> %i %s, and no token', async (body, status, code) => {
    const { res, json } = await request(body);
    expect(res.status).toBe(status);
    expect(res.headers.get('content-type')).toBe('application/problem+json');
    expect(json.code).toBe(code);
    expect(json.participant_token).toBeUndefined();
  });

  it('a policy may allow identity, metadata and attributes, and grants still come from it alone', async () => {
    const { res, json } = await request({
      room_name: 'studio', participant_identity: 'camera-2', participant_metadata: '{"seat":2}', participant_attributes: { seat: '2' },
    });
    expect(res.status).toBe(201);
    const claims = await verifier.verify(json.participant_token);
    expect(claims.sub).toBe('camera-2');
    expect(claims.metadata).toBe('{"seat":2}');
    expect(claims.attributes).toEqual({ seat: '2' });
    expect(claims.video).toEqual({
      room: 'studio', roomJoin: true, canPublish: true, canSubscribe: true, canPublishData: true,
      canPublishSources: ['camera', 'microphone'], canUpdateOwnMetadata: false,
    });
  });

  it('never issues a token without exp, with an empty room, or with an admin grant', async () => {
    for (const room_name of ['stage-1', 'lobby', 'studio', 'studio-b']) {
      const { json } = await request({ room_name });
      const claims = await verifier.verify(json.participant_token);
      expect(typeof claims.exp).toBe('number');
      expect(claims.video?.room).toBe(room_name);
      for (const grant of ['roomAdmin', 'roomCreate', 'roomList', 'roomRecord', 'ingressAdmin', 'recorder', 'agent']) {
        expect(claims.video).not.toHaveProperty(grant);
      }
    }
  });
});

describe('E2EE keys', () => {
  it('are the same for two participants of one room', async () => {
    const a = (await request({ room_name: 'studio', participant_identity: 'alice' })).json;
    const b = (await request({ room_name: 'studio', participant_identity: 'bob' })).json;
    expect(a.e2ee_key).toMatch(/^[A-Za-z0-9+/]{43}=$/);
    expect(Buffer.from(a.e2ee_key, 'base64')).toHaveLength(32);
    expect(b.e2ee_key).toBe(a.e2ee_key);
  });

  it('differ across rooms and epochs', async () => {
    const studio = (await request({ room_name: 'studio' })).json.e2ee_key;
    const other = (await request({ room_name: 'studio-b' })).json.e2ee_key;
    const nextStudio = (await request({ room_name: 'studio' }, nextEpoch)).json.e2ee_key;
    expect(new Set([studio, other, nextStudio]).size).toBe(3);
  });

  it('are absent when the policy does not ask for them, and never logged', async () => {
    const { json } = await request({ room_name: 'lobby' });
    expect(json).not.toHaveProperty('e2ee_key');
    const key = (await request({ room_name: 'studio' })).json.e2ee_key;
    expect(server.output()).not.toContain(key);
    expect(server.output()).not.toContain(API_SECRET);
  });
});
