/**
 * node:http request -> API Gateway HTTP API (payload v2.0) event, the way API Gateway builds
 * it: lower-case headers joined with ",", cookies apart. The authorizer's result is added by
 * the server (`authorizers.ts`).
 */
import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { HttpEvent } from '../http/handler';

/**
 * The request target as a URL. A path that starts with "//" is a path, not a host (as API
 * Gateway reads it): `new URL("//x", base)` would take "x" for a host, or throw.
 */
export function requestUrl(req: IncomingMessage): URL {
  const target = req.url ?? '/';
  return new URL(target.startsWith('/') ? `http://localhost${target}` : target, 'http://localhost');
}

export function apiGatewayEvent(
  req: IncomingMessage,
  body: Buffer,
  routeKey: string,
): HttpEvent {
  const url = requestUrl(req);
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(req.headers)) {
    if (value === undefined || name === 'cookie') continue;
    headers[name] = Array.isArray(value) ? value.join(',') : value;
  }
  const query: Record<string, string> = {};
  url.searchParams.forEach((v, k) => (query[k] = k in query ? `${query[k]},${v}` : v));
  const now = new Date();
  const textual = body.length === 0 || /json|text|xml|urlencoded/i.test(headers['content-type'] ?? '');
  return {
    version: '2.0',
    routeKey,
    rawPath: url.pathname,
    rawQueryString: url.search.slice(1),
    cookies: req.headers.cookie?.split(/;\s*/),
    headers,
    queryStringParameters: Object.keys(query).length ? query : undefined,
    requestContext: {
      accountId: 'local',
      apiId: 'local',
      domainName: headers.host ?? 'localhost',
      domainPrefix: 'local',
      http: {
        method: req.method ?? 'GET',
        path: url.pathname,
        protocol: `HTTP/${req.httpVersion}`,
        sourceIp: req.socket.remoteAddress ?? '127.0.0.1',
        userAgent: headers['user-agent'] ?? '',
      },
      requestId: randomUUID(),
      routeKey,
      stage: '$default',
      time: now.toISOString(),
      timeEpoch: now.getTime(),
    },
    body: body.length ? (textual ? body.toString('utf8') : body.toString('base64')) : undefined,
    isBase64Encoded: !textual,
  } as HttpEvent;
}
