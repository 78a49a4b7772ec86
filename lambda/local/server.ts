/**
 * The local server (DESIGN.md §2): it adds no behaviour. It matches the route like API
 * Gateway, builds the same v2 event and calls the same exported `handler`; unmatched requests
 * go to the same `$default` handler as in AWS.
 */
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { HttpHandler, HttpResult } from '../http/handler';
import { internalError, payloadTooLarge, problemResponse, ProblemError } from '../http/problem';
import type { TokenVendingConfig } from '../config/schema';
import { activeRoutes } from '../http/routes';
import type { Authorize } from './authorizers';
import { apiGatewayEvent } from './event';

/** API Gateway's own payload limit; the handlers enforce their much smaller one. */
const API_GATEWAY_MAX_BODY = 10 * 1024 * 1024;


async function loadHandler(name: string): Promise<HttpHandler> {
  const mod = (await import(`../handlers/${name}.ts`)) as { handler: HttpHandler };
  return mod.handler;
}

export async function createLocalServer(config: TokenVendingConfig, authorize: Authorize): Promise<Server> {
  const routes = new Map<string, HttpHandler>();
  const publicRoutes = new Set<string>();
  for (const r of activeRoutes(config)) {
    routes.set(`${r.method} ${r.path}`, await loadHandler(r.handler));
    if (r.public) publicRoutes.add(`${r.method} ${r.path}`);
  }
  const fallback = await loadHandler('not-found');

  return createServer(async (req, res) => {
    let result: HttpResult;
    try {
      const body = await readBody(req, API_GATEWAY_MAX_BODY);
      const path = new URL(req.url ?? '/', 'http://localhost').pathname;
      const key = `${req.method} ${path}`;
      const handler = routes.get(key);
      const event = apiGatewayEvent(req, body, handler ? key : '$default');
      // Every route, $default included, sits behind the authorizer, as in the stack; a public route has none.
      const auth = publicRoutes.has(key) ? undefined : await authorize(event);
      if (!auth) {
        result = await handler!(event);
      } else if (auth.kind === 'deny') {
        const title = auth.status === 401 ? 'Unauthorized' : 'Forbidden';
        result = problemResponse(new ProblemError(auth.status, auth.status === 401 ? 'unauthenticated' : 'forbidden', title, auth.detail));
      } else {
        const authorizer = auth.kind === 'jwt' ? { jwt: { claims: auth.claims, scopes: [] } } : { lambda: auth.context };
        Object.assign(event.requestContext, { authorizer });
        result = await (handler ?? fallback)(event);
      }
    } catch (err) {
      result = problemResponse(err instanceof BodyTooLarge ? payloadTooLarge(API_GATEWAY_MAX_BODY) : internalError());
    }
    res.writeHead(result.statusCode ?? 200, result.headers as Record<string, string>);
    res.end(result.body ?? '');
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
