/**
 * The local server (DESIGN.md §2): it adds no behaviour. It matches the route like API
 * Gateway, builds the same v2 event and calls the same exported `handler`; unmatched requests
 * go to the same `$default` handler as in AWS.
 */
import { createServer, type IncomingMessage, type Server } from 'node:http';
import { InvokeStore, InvokeStoreBase } from '@aws/lambda-invoke-store';
import type { HttpHandler, HttpResult } from '../http/handler';
import { internalError, payloadTooLarge, problemResponse, ProblemError } from '../http/problem';
import type { TokenVendingConfig } from '../config/schema';
import { corsPolicy, PREFLIGHT_ROUTE } from '../http/cors';
import { activeRoutes } from '../http/routes';
import type { Authorize } from './authorizers';
import { isPreflight, withCorsHeaders } from './cors';
import type { Convenience } from './conveniences';
import { apiGatewayEvent, requestUrl } from './event';
import { tokenBucketLimiter } from './rate-limit';

/** API Gateway's own payload limit; the handlers enforce their much smaller one. */
const API_GATEWAY_MAX_BODY = 10 * 1024 * 1024;


/**
 * A route's handler. Lambda runs each request in its own container; this one process serves
 * them all at once, so each call gets its own invocation context, as Lambda gives concurrent
 * invocations (bin/serve.ts sets AWS_LAMBDA_MAX_CONCURRENCY): Powertools then keeps each
 * request's log keys (its requestId) and metrics apart.
 */
async function loadHandler(name: string): Promise<HttpHandler> {
  const mod = (await import(`../handlers/${name}.ts`)) as { handler: HttpHandler };
  const invocations = await InvokeStore.getInstanceAsync(true);
  return (event, context) =>
    invocations.run({ [InvokeStoreBase.PROTECTED_KEYS.REQUEST_ID]: event.requestContext.requestId }, () => mod.handler(event, context));
}

/**
 * `conveniences`: the local-only pages (lambda/local/conveniences.ts: the OpenAPI document, the
 * dev-mode demo), asked first for GET requests; they are not API routes and never reach a handler.
 */
export async function createLocalServer(config: TokenVendingConfig, authorize: Authorize, conveniences?: Convenience): Promise<Server> {
  const routes = new Map<string, HttpHandler>();
  const publicRoutes = new Set<string>();
  for (const r of activeRoutes(config)) {
    routes.set(`${r.method} ${r.path}`, await loadHandler(r.handler));
    if (r.public) publicRoutes.add(`${r.method} ${r.path}`);
  }
  const fallback = await loadHandler('not-found');
  const cors = corsPolicy(config);
  // With `edge`, WAF limits each client IP before anything else; emulated per socket address.
  const limiter = config.edge && tokenBucketLimiter(config.edge.rateLimitPerIp);

  return createServer(async (req, res) => {
    const limited = limiter?.take(req.socket.remoteAddress ?? '');
    if (limited) return void req.resume().on('end', () => res.writeHead(429, limited.headers as Record<string, string>).end(limited.body));
    const origin = req.headers.origin;
    const preflight = cors !== undefined && isPreflight(req.method, req.headers);
    let result: HttpResult;
    try {
      const body = await readBody(req, API_GATEWAY_MAX_BODY);
      const path = requestUrl(req).pathname;
      const key = `${req.method} ${path}`;
      const handler = routes.get(key);
      const local = await conveniences?.(req.method ?? 'GET', path);
      if (local) {
        result = local;
      } else if (cors && req.method === 'OPTIONS' && path !== '/') {
        // OPTIONS (preflights included) meets the `OPTIONS /{proxy+}` route: no authorizer, the
        // not-found function answers 204. (`/{proxy+}` does not match `/`: that one goes to $default.)
        result = await fallback(apiGatewayEvent(req, body, `${PREFLIGHT_ROUTE.method} ${PREFLIGHT_ROUTE.path}`));
      } else if (handler && publicRoutes.has(key)) {
        // A public route (the JWKS) has no authorizer in the stack either.
        result = await handler(apiGatewayEvent(req, body, key));
      } else {
        const event = apiGatewayEvent(req, body, handler ? key : '$default');
        // Every other route, $default included, sits behind the authorizer, as in the stack.
        const auth = await authorize(event);
        if (auth.kind === 'deny') {
          const title = auth.status === 401 ? 'Unauthorized' : 'Forbidden';
          result = problemResponse(new ProblemError(auth.status, auth.status === 401 ? 'unauthenticated' : 'forbidden', title, auth.detail));
        } else {
          if (auth.kind !== 'none') {
            const authorizer = auth.kind === 'jwt' ? { jwt: { claims: auth.claims, scopes: [] } } : { lambda: auth.context };
            Object.assign(event.requestContext, { authorizer });
          }
          result = await (handler ?? fallback)(event);
        }
      }
    } catch (err) {
      result = problemResponse(err instanceof BodyTooLarge ? payloadTooLarge(API_GATEWAY_MAX_BODY) : internalError());
    }
    result = withCorsHeaders(result, cors, origin, preflight);
    res.writeHead(result.statusCode ?? 200, result.headers as Record<string, string>);
    // As API Gateway does with a Lambda response that sets isBase64Encoded.
    res.end(result.isBase64Encoded ? Buffer.from(result.body ?? '', 'base64') : (result.body ?? ''));
  });
}

class BodyTooLarge extends Error {}

function readBody(req: IncomingMessage, limit: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size <= limit) chunks.push(c); // past the limit: drain, then answer 413
    });
    req.on('end', () => (size > limit ? reject(new BodyTooLarge()) : resolve(Buffer.concat(chunks))));
    req.on('error', reject);
  });
}
