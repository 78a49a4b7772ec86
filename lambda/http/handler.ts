/**
 * The one wrapper every HTTP handler goes through: JSON responses that are never cached, and
 * every failure turned into problem+json in one place. Unknown errors become a bare 500 whose
 * body says nothing about the cause; the log line has the error's name and message only.
 */
import type {
  APIGatewayProxyEventV2WithJWTAuthorizer,
  APIGatewayProxyStructuredResultV2,
} from 'aws-lambda';
import { errorSummary, logger } from '../logger';
import { TtlError } from '../tokens/ttl';
import { assertThroughEdge } from './edge';
import { badRequest, internalError, ProblemError, problemResponse } from './problem';

export type HttpEvent = APIGatewayProxyEventV2WithJWTAuthorizer;
export type HttpResult = APIGatewayProxyStructuredResultV2;
export type HttpHandler = (event: HttpEvent) => Promise<HttpResult>;

/** A JSON success response. Token responses must never sit in a shared cache. */
export function json(statusCode: number, body: unknown): HttpResult {
  return {
    statusCode,
    headers: { 'content-type': 'application/json', 'cache-control': 'no-store' },
    body: JSON.stringify(body),
  };
}

export function httpHandler(route: string, fn: HttpHandler): HttpHandler {
  return async (event) => {
    const started = performance.now();
    let result: HttpResult;
    try {
      await assertThroughEdge(event); // behind an edge: nothing happens for a request that went around it
      result = await fn(event);
    } catch (caught) {
      const err = caught instanceof TtlError ? badRequest('ttl_out_of_range', caught.message) : caught;
      if (err instanceof ProblemError) {
        result = problemResponse(err);
        if (err.status >= 500) logger.warn('request refused', { route, code: err.code });
      } else {
        logger.error('unhandled error', { route, error: errorSummary(err) });
        result = problemResponse(internalError());
      }
    }
    logger.info('request', {
      route,
      status: result.statusCode,
      requestId: event.requestContext?.requestId,
      ms: Math.round((performance.now() - started) * 10) / 10,
    });
    return result;
  };
}

