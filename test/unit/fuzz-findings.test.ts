/** Bugs the property-based fuzz (test/fuzz/) found, pinned as plain examples. */
import type { IncomingMessage } from 'node:http';
import { describe, expect, it } from 'vitest';
import { originAllowed } from '../../lambda/http/origin';
import { requestUrl } from '../../lambda/local/event';

describe('found by fuzzing', () => {
  const allow = ['https://app.example.com', 'https://*.example.org'];

  it.each(['https://a,b.example.org', 'https://evil.com,x.example.org', 'https://h> x.example.org', 'https://u@x.example.org', 'https://x.example.org?', 'https://*,x.example.org'])(
    'a wildcard origin does not admit %s (it would go into the token\'s origin list)',
    (origin) => expect(originAllowed(origin, allow)).toBe(false),
  );

  it.each(['https://video.example.org', 'https://a.b.example.org', 'HTTPS://APP.EXAMPLE.COM'])('well-formed origins still match: %s', (origin) =>
    expect(originAllowed(origin, allow)).toBe(true),
  );

  it.each(['////%F0%9F%B4%83/', '//evil.example/x?y=1', '//'])('the local server reads %s as a path (API Gateway does), not a host', (target) => {
    const url = requestUrl({ url: target } as IncomingMessage);
    expect(url.host).toBe('localhost');
    expect(url.pathname + url.search).toBe(target);
  });
});
