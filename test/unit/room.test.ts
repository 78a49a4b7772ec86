import { createSecretKey } from 'node:crypto';
import { runInNewContext } from 'node:vm';
import { jwtVerify } from 'jose';
import { TokenVerifier } from 'livekit-server-sdk';
import { describe, expect, it } from 'vitest';
import { parseConfig, type RoomPolicy } from '../../lambda/config/schema';
import { parseLiveKitCredentials, SecretFormatError } from '../../lambda/secrets/keys';
import { agentDispatches, e2eeKey, roomMatches, roomPolicyFor, roomTokenClaims, signRoomToken } from '../../lambda/tokens/room';

const policies = parseConfig({
  channels: [{ id: 'a', arn: 'arn:aws:ivs:us-east-1:123456789012:channel/Abc' }],
  livekit: {
    url: 'wss://lk.example.com',
    roomPolicies: [
      { name: 'speakers', rooms: ['stage-*'], grants: { canPublish: true, canPublishData: true, canPublishSources: ['camera', 'microphone'] } },
      { name: 'audience', rooms: ['stage-*', 'lobby'], grants: {} },
    ],
  },
  entitlements: [{ name: 'e', roomPolicies: ['speakers', 'audience'] }],
}).livekit!.roomPolicies;
const [speakers, audience] = policies as [RoomPolicy, RoomPolicy];

describe('roomMatches', () => {
  it.each([
    ['lobby', 'lobby', true],
    ['lobby', 'lobby2', false],
    ['stage-*', 'stage-1', true],
    ['stage-*', 'stage-', false],
    ['stage-*', 'stage-a.b', false],
    ['stage-*', 'xstage-1', false],
    ['a.b-*', 'axb-1', false],
  ])('%s vs %s -> %s', (pattern, room, expected) => expect(roomMatches(pattern, room)).toBe(expected));
});

describe('roomPolicyFor', () => {
  it('takes the first held policy in config order that covers the room', () => {
    expect(roomPolicyFor('stage-1', policies, new Set(['audience', 'speakers']))?.name).toBe('speakers');
    expect(roomPolicyFor('stage-1', policies, new Set(['audience']))?.name).toBe('audience');
    expect(roomPolicyFor('lobby', policies, new Set(['speakers']))).toBeUndefined();
    expect(roomPolicyFor('backstage', policies, new Set(['speakers', 'audience']))).toBeUndefined();
  });
});

describe('roomTokenClaims', () => {
  const now = new Date('2026-01-01T00:00:00.500Z');
  const base = { apiKey: 'APIkey', identity: 'u1', room: 'stage-1', now, ttlSeconds: 900 };
  it('sets iss, sub, nbf, exp in seconds, the room and explicit grants', () => {
    const c = roomTokenClaims({ ...base, policy: audience });
    expect(c).toEqual({
      iss: 'APIkey', sub: 'u1', nbf: 1767225600, exp: 1767226500,
      video: { room: 'stage-1', roomJoin: true, canPublish: false, canSubscribe: true, canPublishData: false, canUpdateOwnMetadata: false },
    });
  });
  it('writes publish sources only for publishers, and never an admin grant', () => {
    const c = roomTokenClaims({ ...base, policy: speakers, name: 'Ann', attributes: { seat: '3' } });
    expect(c.video.canPublishSources).toEqual(['camera', 'microphone']);
    expect(c.name).toBe('Ann');
    expect(c.attributes).toEqual({ seat: '3' });
    for (const grant of ['roomAdmin', 'roomCreate', 'roomList', 'roomRecord', 'ingressAdmin', 'recorder', 'agent', 'destinationRoom']) {
      expect(c.video).not.toHaveProperty(grant);
    }
  });
  it('refuses an empty room', () => {
    expect(() => roomTokenClaims({ ...base, room: '', policy: audience })).toThrow(/room/);
  });
  it('signs HS256 so that LiveKit\'s TokenVerifier accepts it, and refuses a wrong secret', async () => {
    const secret = 'a'.repeat(40);
    const claims0 = roomTokenClaims({ ...base, now: new Date(), policy: speakers });
    const token = signRoomToken(claims0, createSecretKey(Buffer.from(secret)));
    const claims = await new TokenVerifier('APIkey', secret).verify(token);
    expect(claims.video?.room).toBe('stage-1');
    await expect(new TokenVerifier('APIkey', 'b'.repeat(40)).verify(token)).rejects.toThrow();
    await expect(new TokenVerifier('OtherKey', secret).verify(token)).rejects.toThrow();
    // Exactly our claims (no iat from jsonwebtoken's clock) under exactly this header.
    const { payload, protectedHeader } = await jwtVerify(token, new TextEncoder().encode(secret), { algorithms: ['HS256'] });
    expect(protectedHeader).toEqual({ alg: 'HS256', typ: 'JWT' });
    expect(payload).toEqual(claims0);
  });
});

describe('e2eeKey', () => {
  const master = createSecretKey(Buffer.from('correct-horse-battery-staple-0123456789'));
  // Vectors from `openssl kdf -keylen 32 -kdfopt digest:SHA256 -kdfopt key:... -kdfopt salt:token-vending/livekit-e2ee -kdfopt info:'v1|<epoch>|<room>' -binary HKDF | base64`.
  it('matches the known-answer vectors', () => {
    expect(e2eeKey(master, 'demo', 1)).toBe('64ENihJ1gUGkPUGOncNM+n80uG8p/bYB4vVhBCu8pr4=');
    expect(e2eeKey(master, 'demo', 2)).toBe('UIsvxVti6kYLVswDRGX6RPZt0soHLKeOChSFtzlP+SU=');
  });
  it('is 256 bits and differs per room', () => {
    expect(Buffer.from(e2eeKey(master, 'a', 1), 'base64')).toHaveLength(32);
    expect(e2eeKey(master, 'a', 1)).not.toBe(e2eeKey(master, 'b', 1));
  });
});

describe('parseLiveKitCredentials', () => {
  it('refuses a deployed secret under 32 characters, names no value', () => {
    expect(() => parseLiveKitCredentials(JSON.stringify({ apiKey: 'k', apiSecret: 'secret' }))).toThrow(/at least 32/);
    expect(parseLiveKitCredentials(JSON.stringify({ apiKey: 'k', apiSecret: 'secret' }), 1).apiKey).toBe('k');
  });
  it.each(['not json', '{}', '{"apiKey": "k"}', '{"apiKey": 1, "apiSecret": "' + 'x'.repeat(40) + '"}'])('refuses %s', (raw) => {
    expect(() => parseLiveKitCredentials(raw)).toThrow(SecretFormatError);
  });
});

describe('roomMatches in bounded time', () => {
  const reference = (pattern: string, room: string) =>
    new RegExp(`^${pattern.split('*').map((s) => s.replace(/[-]/g, '\\-')).join('[A-Za-z0-9_-]{1,64}')}$`).test(room);

  // Before: a regex with one [..]{1,64} group per star; 6 stars against 128 dashes and a
  // mismatching last character backtracked for over 20 s. A synchronous loop cannot be
  // stopped by a test timeout, so the call runs under vm's watchdog, which interrupts it
  // (regex backtracking included) after 2 s: a hang guard, orders of magnitude above the
  // milliseconds a linear matcher needs, not a speed target.
  // Under `npm run mutate` the code runs instrumented (a coverage counter per statement) on a
  // busy machine: vitest.stryker.config.ts raises the guard there.
  const guardMs = Number(process.env.TEST_HANG_GUARD_MS ?? 2_000);
  const withinTwoSeconds = (pattern: string, room: string): boolean =>
    runInNewContext('roomMatches(pattern, room)', { roomMatches, pattern, room }, { timeout: guardMs }) as boolean;
  it.each([4, 6, 8, 16, 63])('answers no for %i stars and a 128-character near miss', (stars) => {
    const pattern = `${Array.from({ length: stars }, () => '*').join('-')}x`;
    expect(withinTwoSeconds(pattern, `${'-'.repeat(127)}y`)).toBe(false);
    expect(withinTwoSeconds(pattern, '-'.repeat(128))).toBe(false);
  });

  it('agrees with the plain regex definition on small cases', () => {
    const patterns = ['*', 'a*', '*a', 'a*b', '*-*', 'class-*', '*_*_*', 'x**y', '**'];
    const rooms = ['a', 'ab', 'a-b', 'class-', 'class-7', 'a_b_c', 'xy', 'x1y', 'x12y', '-', '--', 'a'.repeat(65), `a${'b'.repeat(64)}`, `${'a'.repeat(64)}-${'b'.repeat(64)}`];
    for (const p of patterns) for (const r of rooms) expect(roomMatches(p, r), `${p} ~ ${r}`).toBe(reference(p, r));
  });
});

describe('agentDispatches (LiveKit agent dispatch)', () => {
  it('turns dispatches of listed agents into RoomAgentDispatch (camelCase, metadata defaults to "")', () => {
    expect(agentDispatches({ agents: [{ agent_name: 'bot', metadata: 'm' }, { agent_name: 'cap' }] }, ['cap', 'bot'])).toEqual({
      agents: [{ agentName: 'bot', metadata: 'm' }, { agentName: 'cap', metadata: '' }],
    });
    expect(agentDispatches(undefined, undefined)).toEqual({ agents: [] });
    expect(agentDispatches({ agents: null, name: null }, undefined)).toEqual({ agents: [] });
  });

  it('names the first field the caller may not set', () => {
    expect(agentDispatches({ agents: [{ agent_name: 'bot' }] }, undefined)).toEqual({ refused: 'room_config.agents.0.agent_name' });
    expect(agentDispatches({ agents: [{ agent_name: 'bot', restart_policy: 1 }] }, ['bot'])).toEqual({ refused: 'room_config.agents.0.restart_policy' });
    expect(agentDispatches({ metadata: 'x' }, ['bot'])).toEqual({ refused: 'room_config.metadata' });
    // An array is not enough: only `agents` may hold one.
    expect(agentDispatches({ agents: [], egress: ['x'] } as never, ['bot'])).toEqual({ refused: 'room_config.egress' });
    // A field left null, in the room config or in a dispatch, is no request at all.
    expect(agentDispatches({ agents: [{ agent_name: 'bot', restart_policy: null }] } as never, ['bot'])).toEqual({ agents: [{ agentName: 'bot', metadata: '' }] });
  });

  it('writes roomConfig into the claims only when an agent is dispatched', () => {
    const base = { apiKey: 'k', identity: 'a', room: 'stage-1', policy: speakers, now: new Date(0), ttlSeconds: 60 };
    expect(roomTokenClaims(base)).not.toHaveProperty('roomConfig');
    expect(roomTokenClaims({ ...base, agents: [] })).not.toHaveProperty('roomConfig');
    expect(roomTokenClaims({ ...base, agents: [{ agentName: 'bot', metadata: '' }] }).roomConfig).toEqual({ agents: [{ agentName: 'bot', metadata: '' }] });
  });

  it('accepts policy agent names LiveKit workers register with, and refuses others at synth', () => {
    const withAgents = (agents: unknown) => () =>
      parseConfig({
        channels: [{ id: 'a', arn: 'arn:aws:ivs:us-east-1:123456789012:channel/Abc' }],
        livekit: { url: 'wss://lk.example.com', roomPolicies: [{ name: 'p', rooms: ['r'], agents }] },
        entitlements: [{ name: 'e', roomPolicies: ['p'] }],
      });
    expect(withAgents(['support-bot', 'my_agent.v2'])().livekit!.roomPolicies[0]!.agents).toEqual(['support-bot', 'my_agent.v2']);
    expect(withAgents(['has space'])).toThrow(/agent name/);
    expect(withAgents([])).toThrow();
  });
});
