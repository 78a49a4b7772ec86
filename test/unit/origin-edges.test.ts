/**
 * Wildcard allow-list entries at their edges: ports, schemes, deep subdomains, the bare
 * domain, entries that are themselves malformed, and the limits on host and origin length.
 */
import { describe, expect, it } from 'vitest';
import { canonicalOrigin, originAllowed, originClaim, ORIGIN_PATTERN } from '../../lambda/http/origin';

describe('a "*.domain" entry', () => {
  it('keeps its port: it admits subdomains on that port only', () => {
    const allow = ['https://*.example.org:8443'];
    expect(originAllowed('https://a.example.org:8443', allow)).toBe(true);
    expect(originAllowed('https://a.b.example.org:8443', allow)).toBe(true);
    expect(originAllowed('https://a.example.org', allow)).toBe(false);
    expect(originAllowed('https://a.example.org:443', allow)).toBe(false);
    expect(originAllowed('https://example.org:8443', allow)).toBe(false);
  });

  it('keeps its scheme', () => {
    expect(originAllowed('http://a.example.org', ['https://*.example.org'])).toBe(false);
    expect(originAllowed('http://a.example.org', ['http://*.example.org'])).toBe(true);
  });

  it('matches on a label boundary only', () => {
    expect(originAllowed('https://aexample.org', ['https://*.example.org'])).toBe(false);
    expect(originAllowed('https://a.xexample.org', ['https://*.example.org'])).toBe(false);
  });

  it('is matched case-insensitively, as hosts are', () => {
    expect(originAllowed('https://A.Example.Org', ['https://*.EXAMPLE.org'])).toBe(true);
  });
});

describe('an exact entry', () => {
  it('admits that origin only, not its subdomains', () => {
    expect(originAllowed('https://a.example.org', ['https://example.org'])).toBe(false);
    expect(originAllowed('https://example.org', ['https://example.org'])).toBe(true);
  });
  it('that is malformed admits nothing, not even itself', () => {
    for (const bad of ['https://example.org/', 'https://example.org:0', 'example.org', 'https://*']) {
      expect(originAllowed(bad, [bad])).toBe(false);
    }
  });
});

describe('origin limits', () => {
  const label = 'a'.repeat(63);
  it('accepts a host of 253 characters and refuses 254', () => {
    const host253 = [label, label, label, 'a'.repeat(61)].join('.');
    expect(host253).toHaveLength(253);
    expect(canonicalOrigin(`https://${host253}`)).toBe(`https://${host253}`);
    expect(canonicalOrigin(`https://${host253}a`)).toBeUndefined();
  });
  it('accepts port 65535 and refuses 65536', () => {
    expect(canonicalOrigin('https://a.example:65535')).toBe('https://a.example:65535');
    expect(canonicalOrigin('https://a.example:65536')).toBeUndefined();
  });
  it('refuses anything longer than 300 characters before parsing it', () => {
    expect(canonicalOrigin(`https://a.example${' '.repeat(300)}`)).toBeUndefined();
  });
  it('lower-cases the canonical form and keeps a port', () => {
    expect(canonicalOrigin('HTTP://LOCALHOST:3000')).toBe('http://localhost:3000');
  });
});

describe('the allow-list pattern (config validation)', () => {
  it.each([
    ['https://*.example.org', true],
    ['https://*.example.org:8443', true],
    ['http://localhost:3000', true],
    ['https://*', false],
    ['https://a.*.example.org', false],
    ['https://*.example.org/', false],
    ['ftp://example.org', false],
  ])('%s -> %s', (entry, ok) => expect(ORIGIN_PATTERN.test(entry)).toBe(ok));
});

describe('originClaim without an Origin header', () => {
  it('is the whole allow-list, wildcards included, joined by commas', () => {
    expect(originClaim(undefined, ['https://a.example', 'https://*.example.org'])).toBe('https://a.example,https://*.example.org');
  });
});
