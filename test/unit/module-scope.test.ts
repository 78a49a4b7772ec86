/**
 * The request schemas and the key-id pattern are built at module scope, once per container.
 * Loaded fresh here (vi.resetModules), so that what they refuse is checked against the module as
 * a cold start builds it, not against a copy another test file loaded earlier.
 */
import { describe, expect, it, vi } from 'vitest';

const fresh = async () => {
  vi.resetModules();
  return { schemas: await import('../../lambda/http/schemas'), hmac: await import('../../lambda/http/hmac'), origin: await import('../../lambda/http/origin') };
};
const messages = (r: { success: boolean; error?: { issues: { message: string }[] } }) => (r.success ? [] : r.error!.issues.map((i) => i.message));

describe('room token request, as a cold start builds it', () => {
  it('refuses hidden characters and names with nothing visible, with the message that says so', async () => {
    const { roomTokenRequest } = (await fresh()).schemas;
    const hidden = 'must not contain control, format or invisible characters (bidi, zero-width, fillers)';
    for (const name of ['Ann\u0007', 'Ann\u202egnp', 'Ann\u2028x', 'Ann\u2029x', 'Ann\ud800', 'Ann\ue000', 'Ann\u0378', '\u3164']) {
      expect(messages(roomTokenRequest.safeParse({ room_name: 'demo', participant_name: name })), JSON.stringify(name)).toContain(hidden);
    }
    expect(messages(roomTokenRequest.safeParse({ room_name: 'demo', participant_name: '   ' }))).toEqual(['must contain a visible character']);
    expect(messages(roomTokenRequest.safeParse({ room_name: 'demo', participant_identity: '' }))).toEqual(['Too small: expected string to have >=1 characters']);
    for (const name of ['Ann', 'Ann ❤️', '山田 太郎', '']) expect(roomTokenRequest.safeParse({ room_name: 'demo', participant_name: name }).success, name).toBe(true);
  });
  it('takes room names of exactly 1-128 allowed characters', async () => {
    const { roomTokenRequest } = (await fresh()).schemas;
    for (const room of ['demo!', '!demo', 'x'.repeat(129)]) {
      expect(messages(roomTokenRequest.safeParse({ room_name: room })), room).toEqual(['room_name: 1-128 letters, digits, "_" or "-"']);
    }
    expect(roomTokenRequest.safeParse({ room_name: 'x'.repeat(128) }).success).toBe(true);
  });
  it('takes at most 16 attributes with printable names', async () => {
    const { roomTokenRequest } = (await fresh()).schemas;
    const attrs = (n: number) => Object.fromEntries(Array.from({ length: n }, (_, i) => [`k${i}`, 'v']));
    expect(roomTokenRequest.safeParse({ room_name: 'demo', participant_attributes: attrs(16) }).success).toBe(true);
    expect(messages(roomTokenRequest.safeParse({ room_name: 'demo', participant_attributes: attrs(17) }))).toEqual(['at most 16 attributes']);
    expect(roomTokenRequest.safeParse({ room_name: 'demo', participant_attributes: { 'a\u200bb': 'v' } }).success).toBe(false);
  });
  it('dispatches each agent at most once, by a well-formed name', async () => {
    const { roomTokenRequest } = (await fresh()).schemas;
    const agents = (...names: string[]) => ({ room_name: 'demo', room_config: { agents: names.map((agent_name) => ({ agent_name })) } });
    expect(roomTokenRequest.safeParse(agents('a', 'b')).success).toBe(true);
    expect(messages(roomTokenRequest.safeParse(agents('a', 'a')))).toEqual(['each agent at most once']);
    expect(messages(roomTokenRequest.safeParse(agents('a b')))).toEqual(['agent_name: 1-128 letters, digits, "_", "-" or "."']);
    expect(roomTokenRequest.safeParse({ room_name: 'demo', room_config: { agents: null } }).success).toBe(true);
  });
});

describe('HMAC key ids and origin patterns, as a cold start builds them', () => {
  it('a key id is a namespace of 1-64 characters, optionally ".<version>" of 1-32, and nothing around it', async () => {
    const { HMAC_KEY_ID } = (await fresh()).hmac;
    for (const id of ['backend-1', 'backend-1.2027', `${'a'.repeat(64)}.${'v'.repeat(32)}`]) expect(HMAC_KEY_ID.test(id), id).toBe(true);
    for (const id of [' backend-1', 'backend-1 ', 'backend-1.', `a.${'v'.repeat(33)}`, 'a.$x', 'a.b.c']) expect(HMAC_KEY_ID.test(id), id).toBe(false);
  });
  it('an allow-list entry is an origin or http(s)://*.domain', async () => {
    const { ORIGIN_PATTERN } = (await fresh()).origin;
    for (const p of ['https://a.example', 'https://*.example.org:8443']) expect(ORIGIN_PATTERN.test(p), p).toBe(true);
    for (const p of ['ftp://a.example', 'https://a.example/', '*']) expect(ORIGIN_PATTERN.test(p), p).toBe(false);
  });
});
