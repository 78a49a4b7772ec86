import { describe, expect, it } from 'vitest';
import { claimValues, type Caller } from '../../lambda/http/caller';
import { entitlementOf } from '../../lambda/http/entitlements';
import { originAllowed, originClaim } from '../../lambda/http/origin';
import { ProblemError } from '../../lambda/http/problem';

const caller = (claims: Record<string, unknown>): Caller => ({ subject: String(claims.sub ?? 's'), issuer: 'https://idp', claims });

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
  ])('%s -> %s', (origin, expected) => expect(originAllowed(origin, allow)).toBe(expected));
});

describe('originClaim', () => {
  it('refuses a browser origin when nothing is allowed', () => {
    expect(() => originClaim('https://a.example', [])).toThrow(ProblemError);
    expect(originClaim(undefined, [])).toBeUndefined();
  });
});

describe('claimValues', () => {
  it.each([
    [['a', 'b'], ['a', 'b']],
    ['[admins subscribers]', ['admins', 'subscribers']],
    ['read write', ['read', 'write']],
    ['solo', ['solo']],
    [42, ['42']],
    [undefined, []],
    [{ nested: 1 }, []],
  ])('%j -> %j', (value, expected) => expect(claimValues({ c: value }, 'c')).toEqual(expected));
});

describe('entitlementOf', () => {
  const rules = [
    { name: 'all', channels: ['free'], maximumResolution: 'SD' as const, turn: false, roomPolicies: [] },
    { name: 'subs', when: { claim: 'cognito:groups', anyOf: ['subscribers'] }, channels: ['*'], maximumResolution: 'HD' as const, turn: true, roomPolicies: [] },
    { name: 'vip', when: { claim: 'plan', anyOf: ['vip'] }, channels: ['premium'], maximumResolution: 'FULL_HD' as const, turn: false, roomPolicies: [] },
  ];
  it('gives the highest resolution among the matching rules that open the channel', () => {
    const e = entitlementOf(caller({ 'cognito:groups': '[subscribers]', plan: 'vip' }), rules);
    expect(e.maximumResolution('free')).toBe('HD');
    expect(e.maximumResolution('premium')).toBe('FULL_HD');
    expect(e.turn).toBe(true);
  });
  it('opens nothing a caller does not match', () => {
    const e = entitlementOf(caller({ plan: 'basic' }), rules);
    expect(e.mayWatch('free')).toBe(true);
    expect(e.mayWatch('premium')).toBe(false);
    expect(e.maximumResolution('premium')).toBeUndefined();
    expect(e.turn).toBe(false);
  });
});

