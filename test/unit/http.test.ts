import { describe, expect, it } from 'vitest';
import { callerFromEvent, claimValues, flattenClaim, hmacIssuer, type Caller } from '../../lambda/http/caller';
import { sha256Hex } from '../../lambda/http/hmac';
import { roomTokenRequest } from '../../lambda/http/schemas';
import { entitlementOf } from '../../lambda/http/entitlements';
import { originAllowed, originClaim } from '../../lambda/http/origin';
import { ProblemError } from '../../lambda/http/problem';

const caller = (claims: Record<string, unknown>): Caller => ({ subject: String(claims.sub ?? 's'), issuer: 'https://idp', identity: String(claims.sub ?? 's'), claims });

describe('originAllowed', () => {
  const allow = ['https://watch.example.com', 'https://*.example.org', 'http://localhost:3000'];
  it.each([
    ['https://watch.example.com', true],
    ['HTTPS://WATCH.EXAMPLE.COM', true],
    ['https://a.example.org', true],
    ['https://a.b.example.org', true],
    ['http://localhost:3000', true],
    ['https://example.org', false],
    ['https://evilexample.org', false],
    ['https://a.example.org.evil.net', false],
    ['https://a.example.org:8443', false],
    ['http://a.example.org', false],
    ['http://localhost:3001', false],
    ['null', false],
    ['', false],
    // Forgeries that a suffix match accepted: IVS reads a comma as a list separator.
    ['https://evil.com,x.example.org', false],
    ['https://*,x.example.org', false],
    ['https://*.example.org', false],
    ['https://evil.com x.example.org', false],
    ['https://user@a.example.org', false],
    ['https://evil.com?.example.org', false],
    ['https://evil.com#.example.org', false],
    ['https://evil.com/.example.org', false],
    ['https://a.example.org/', false],
    ['https://a..example.org', false],
    ['https://-a.example.org', false],
    ['https://a_b.example.org', false],
    [' https://a.example.org', false],
    ['https://a.example.org\n', false],
    ['http://localhost:03000', false],
    ['http://localhost:99999', false],
    [`https://${'a'.repeat(64)}.example.org`, false],
  ])('%j -> %s', (origin, expected) => expect(originAllowed(origin, allow)).toBe(expected));
});

describe('originClaim', () => {
  it('refuses a browser origin when nothing is allowed', () => {
    expect(() => originClaim('https://a.example', [])).toThrow(ProblemError);
    expect(originClaim(undefined, [])).toBeUndefined();
  });
  it('puts exactly one canonical origin into the claim, and refuses a forged list', () => {
    const allow = ['https://*.example.org'];
    expect(originClaim('HTTPS://A.Example.ORG', allow)).toBe('https://a.example.org');
    for (const forged of ['https://evil.com,x.example.org', 'https://*,x.example.org']) {
      expect(() => originClaim(forged, allow)).toThrow(
        expect.objectContaining({ status: 403, code: 'origin_not_allowed', detail: 'Tokens are not issued to pages served from this origin.' }),
      );
    }
  });
});

describe('claimValues', () => {
  it.each([
    [['a', 'b'], ['a', 'b']],
    [['subscribers (lapsed)', 'trial,subscribers'], ['subscribers (lapsed)', 'trial,subscribers']],
    // API Gateway's flattened form is one opaque string: never split into values.
    ['[admins subscribers]', ['[admins subscribers]']],
    ['trial,subscribers', ['trial,subscribers']],
    ['mallory vip-user', ['mallory vip-user']],
    ['solo', ['solo']],
    [42, ['42']],
    [true, ['true']],
    [undefined, []],
    [{ nested: 1 }, []],
    [[{ nested: 1 }, 'x'], ['x']],
    [[7, false, null, 'x'], ['7', 'false', 'x']],
  ])('%j -> %j', (value, expected) => expect(claimValues({ c: value }, 'c')).toEqual(expected));
  it('splits only scope, on spaces', () => {
    expect(claimValues({ scope: 'read write  admin' }, 'scope')).toEqual(['read', 'write', 'admin']);
    expect(claimValues({ scope: 'read,write' }, 'scope')).toEqual(['read,write']);
  });
});

describe('callerFromEvent', () => {
  const jwt = (payload: Record<string, unknown>) => `${b64({ alg: 'RS256', kid: 'k' })}.${b64(payload)}.sig`;
  const b64 = (o: unknown) => Buffer.from(JSON.stringify(o)).toString('base64url');
  const payload = { iss: 'https://idp', sub: 'u1', exp: 2_000_000_000, 'cognito:groups': ['subscribers (lapsed)', 'beta'] };
  // What API Gateway's JWT authorizer passes: every claim a string, arrays flattened.
  const flattened = { iss: 'https://idp', sub: 'u1', exp: '2000000000', 'cognito:groups': '[subscribers (lapsed) beta]' };
  const event = (claims: Record<string, unknown> | undefined, authorization?: string) =>
    ({ headers: authorization ? { authorization } : {}, requestContext: claims ? { authorizer: { jwt: { claims } } } : {} }) as never;

  it('reads array claims whole from the verified bearer token, not from the flattened string', () => {
    const c = callerFromEvent(event(flattened, `Bearer ${jwt(payload)}`));
    expect(claimValues(c.claims, 'cognito:groups')).toEqual(['subscribers (lapsed)', 'beta']);
    expect(entitlementOf(c, [{ name: 's', when: { claim: 'cognito:groups', anyOf: ['subscribers'] }, channels: ['x'], maximumResolution: 'HD', turn: true, roomPolicies: [] }]).turn).toBe(false);
    expect(c.subject).toBe('u1');
  });
  it('refuses a bearer token that is not the one the authorizer verified, even with the same iss, sub and exp', () => {
    const refused = expect.objectContaining({ status: 401 });
    expect(() => callerFromEvent(event(flattened, `Bearer ${jwt({ ...payload, sub: 'u2' })}`))).toThrow(refused);
    expect(() => callerFromEvent(event(flattened, 'Bearer not-a-jwt'))).toThrow(refused);
    expect(() => callerFromEvent(event(flattened))).toThrow(refused);
    // Forged groups under the verified token's iss, sub and exp.
    expect(() => callerFromEvent(event(flattened, `bearer\t${jwt({ ...payload, 'cognito:groups': ['subscribers'] })}`))).toThrow(refused);
    // A claim the authorizer never passed.
    expect(() => callerFromEvent(event(flattened, `Bearer ${jwt({ ...payload, extra: 'x' })}`))).toThrow(refused);
  });
  /** The 401 a caller gets: code and detail, not just "some 401". */
  const refusal = (f: () => unknown): ProblemError => {
    try {
      f();
    } catch (e) {
      if (e instanceof ProblemError) return e;
      throw e;
    }
    throw new Error('not refused');
  };
  it('refuses with the reason: not the verified token, or no signed-in caller', () => {
    const forged = refusal(() => callerFromEvent(event(flattened, 'Bearer not-a-jwt')));
    expect([forged.status, forged.code, forged.detail]).toEqual([401, 'unauthenticated', 'The Authorization header does not hold the verified token.']);
    const none = refusal(() => callerFromEvent(event(undefined), { type: 'jwt' }));
    expect([none.status, none.code, none.detail]).toEqual([401, 'unauthenticated', 'A signed-in caller is required.']);
    expect(refusal(() => callerFromEvent(event({ iss: 'https://idp', sub: '' }))).code).toBe('unauthenticated');
    // No headers at all (not even an empty object): still a 401, not a TypeError.
    const headless = { requestContext: { authorizer: { jwt: { claims: flattened } } } } as never;
    expect(refusal(() => callerFromEvent(headless)).status).toBe(401);
  });
  it('keeps the authorizer\'s scalar claims and takes only the arrays from the token', () => {
    const c = callerFromEvent(event(flattened, `Bearer ${jwt(payload)}`));
    expect(c.claims).toEqual({ ...flattened, 'cognito:groups': ['subscribers (lapsed)', 'beta'] });
    expect([c.issuer, c.identity]).toEqual(['https://idp', 'u1']); // a JWT caller's identity is its sub, unprefixed
  });
  it('compares every claim of the token but objects: null, or the string "undefined", not passed by the authorizer is refused', () => {
    const address = { country: 'NL' };
    expect(callerFromEvent(event(flattened, `Bearer ${jwt({ ...payload, address })}`)).subject).toBe('u1');
    expect(() => callerFromEvent(event(flattened, `Bearer ${jwt({ ...payload, nickname: null })}`))).toThrow(ProblemError);
    expect(() => callerFromEvent(event(flattened, `Bearer ${jwt({ ...payload, nickname: 'undefined' })}`))).toThrow(ProblemError);
  });
  it('reads the token only for a claim in the flattened form, "[...]", both ends', () => {
    for (const name of ['[draft', 'draft]', 'plain']) {
      expect(callerFromEvent(event({ iss: 'https://idp', sub: 'u1', name })).claims.name).toBe(name); // no Authorization: not needed
    }
  });
  it('names a caller whose claims have no string iss with an empty issuer', () => {
    expect(callerFromEvent(event({ sub: 'u1', iss: 7 })).issuer).toBe('');
  });
  it('with auth "none", an authorizer\'s caller is still that caller (none only names callers nobody authenticated)', () => {
    expect(callerFromEvent(event(flattened, `Bearer ${jwt(payload)}`), { type: 'none' }).subject).toBe('u1');
    const hmac = { lambda: { sub: 'user-42', iss: hmacIssuer('b'), 'hmac:key': 'b', contentSha256: sha256Hex('') } };
    expect(callerFromEvent({ headers: {}, body: '', requestContext: { authorizer: hmac } } as never, { type: 'none' }).identity).toBe('b/user-42');
  });
  it('leaves claims with nothing flattened alone, whatever the Authorization header holds (local dev identity)', () => {
    const dev = { sub: 'local-dev-user', iss: 'urn:token-vending:local-dev' };
    expect(callerFromEvent(event(dev, 'Bearer some-frontend-token')).subject).toBe('local-dev-user');
  });
  it('with auth "none" and no authorizer, makes a new anonymous caller per request; otherwise 401', () => {
    const a = callerFromEvent(event(undefined), { type: 'none' });
    const b = callerFromEvent(event(undefined), { type: 'none' });
    expect(a.subject).toMatch(/^anonymous-[0-9a-f]{24}$/);
    expect(a.subject).not.toBe(b.subject);
    expect(a.claims).toEqual({});
    expect([a.issuer, a.identity]).toEqual(['urn:token-vending:anonymous', a.subject]);
    expect(() => callerFromEvent(event(undefined), { type: 'jwt' })).toThrow(expect.objectContaining({ status: 401 }));
  });
  it('refuses an HMAC caller whose body is not the one signed, saying so', () => {
    const hmac = (body: string, isBase64Encoded = false) =>
      callerFromEvent({ headers: {}, body, isBase64Encoded, requestContext: { authorizer: { lambda: { sub: 'u', iss: hmacIssuer('k'), 'hmac:key': 'k', contentSha256: sha256Hex('{"a":1}') } } } } as never);
    expect(hmac('{"a":1}').subject).toBe('u');
    expect(hmac(Buffer.from('{"a":1}').toString('base64'), true).subject).toBe('u');
    let e: unknown;
    try {
      hmac('{"a":2}');
    } catch (err) {
      e = err;
    }
    expect(e).toMatchObject({ status: 401, code: 'body_mismatch', detail: 'The body does not match the signed x-tv-content-sha256.' });
  });
  it('namespaces an HMAC caller by key id: same subject, different issuer and identity', () => {
    const hmac = (key: string) =>
      callerFromEvent({ headers: {}, body: '', requestContext: { authorizer: { lambda: { sub: 'user-42', iss: hmacIssuer(key), 'hmac:key': key, contentSha256: sha256Hex('') } } } } as never);
    expect(hmac('backend-1').identity).toBe('backend-1/user-42');
    expect(hmac('backend-2').identity).toBe('backend-2/user-42');
    expect(hmac('backend-1').issuer).not.toBe(hmac('backend-2').issuer);
  });
});

describe('flattenClaim (what the local server passes, as API Gateway does)', () => {
  it.each([
    [['a b', 'c'], '[a b c]'],
    [{ country: 'NL' }, '{"country":"NL"}'],
    [null, 'null'],
    [42, '42'],
    ['s', 's'],
  ])('%j -> %j', (value, expected) => expect(flattenClaim(value)).toBe(expected));
});

describe('entitlementOf', () => {
  const rules = [
    { name: 'all', channels: ['free'], maximumResolution: 'SD' as const, turn: false, roomPolicies: [] },
    { name: 'subs', when: { claim: 'cognito:groups', anyOf: ['subscribers'] }, channels: ['*'], maximumResolution: 'HD' as const, turn: true, roomPolicies: [] },
    { name: 'vip', when: { claim: 'plan', anyOf: ['vip'] }, channels: ['premium'], maximumResolution: 'FULL_HD' as const, turn: false, roomPolicies: [] },
  ];
  it('gives the highest resolution among the matching rules that open the channel', () => {
    const e = entitlementOf(caller({ 'cognito:groups': ['subscribers'], plan: 'vip' }), rules);
    expect(e.maximumResolution({ id: 'free' })).toBe('HD');
    expect(e.maximumResolution({ id: 'premium' })).toBe('FULL_HD');
    expect(e.turn).toBe(true);
  });
  it('opens nothing a caller does not match', () => {
    const e = entitlementOf(caller({ plan: 'basic' }), rules);
    expect(e.mayWatch({ id: 'free' })).toBe(true);
    expect(e.mayWatch({ id: 'premium' })).toBe(false);
    expect(e.maximumResolution({ id: 'premium' })).toBeUndefined();
    expect(e.turn).toBe(false);
  });
  it('lets a caller revoke viewers only of the channels a matching rule with revokeViewers opens', () => {
    const withOps = [
      ...rules,
      { name: 'ops', when: { claim: 'cognito:groups', anyOf: ['ops'] }, channels: ['premium'], maximumResolution: 'SD' as const, turn: false, roomPolicies: [], revokeViewers: true },
    ];
    const ops = entitlementOf(caller({ 'cognito:groups': ['ops', 'subscribers'] }), withOps);
    expect(ops.mayRevokeViewers({ id: 'premium' })).toBe(true);
    // Watching is not revoking: "subs" opens every channel, but only "ops" may revoke, and only on premium.
    expect(ops.mayWatch({ id: 'free' })).toBe(true);
    expect(ops.mayRevokeViewers({ id: 'free' })).toBe(false);
    expect(entitlementOf(caller({ 'cognito:groups': ['subscribers'] }), withOps).mayRevokeViewers({ id: 'premium' })).toBe(false);
  });
});

describe('room token request strings shown to other participants', () => {
  it.each([
    ['right-to-left override', 'Ann\u202egnp.exe'],
    ['bidi isolate', 'Ann\u2066x\u2069'],
    ['zero-width joiner', 'A\u200dnn'],
    ['zero-width space', 'A\u200bnn'],
    ['byte-order mark', '\ufeffAnn'],
    ['line separator', 'Ann\u2028Admin'],
    ['control character', 'Ann\u0007'],
    ['lone surrogate', 'Ann\ud800'],
    ['Hangul filler', '\u3164'],
    ['private-use character', 'Ann\ue000'],
    ['unassigned code point', 'Ann\u0378'],
  ])('refuses a participant_name with a %s', (_what, name) => {
    const r = roomTokenRequest.safeParse({ room_name: 'demo', participant_name: name });
    expect(r.success).toBe(false);
    expect(roomTokenRequest.safeParse({ room_name: 'demo', participant_identity: name }).success).toBe(false);
  });
  it('refuses a name with nothing visible', () => {
    for (const name of ['   ', '\u3164\u3164', '\ufe0f']) expect(roomTokenRequest.safeParse({ room_name: 'demo', participant_name: name }).success, JSON.stringify(name)).toBe(false);
  });
  it('accepts names in any script', () => {
    for (const name of ['Ann', 'Zoë Åström', 'محمد', '山田 太郎', 'Ann 👋', 'Ann ❤️']) {
      expect(roomTokenRequest.safeParse({ room_name: 'demo', participant_name: name }).success, name).toBe(true);
    }
  });
});
