/**
 * The one wrapper every HTTP handler goes through: JSON responses that are never cached, and
 * every failure turned into problem+json in one place. Unknown errors become a bare 500 whose
 * body says nothing about the cause; the log line has the error's name and message only.
 *
 * Operations (README "Operations"): every log line written while a request runs carries its
 * API Gateway request id (`requestId`), and the request's outcome is counted and flushed as an
 * EMF metric line before the response is returned.
 */
import type {
  APIGatewayProxyEventV2WithJWTAuthorizer,
  APIGatewayProxyStructuredResultV2,
  Context,
} from 'aws-lambda';
import { errorSummary, logger, withRequestId } from '../logger';
import { coldStart, recordOutcome } from '../metrics';
import { TtlError } from '../tokens/ttl';
import { assertThroughEdge } from './edge';
import { badRequest, internalError, ProblemError, problemResponse } from './problem';

export type HttpEvent = APIGatewayProxyEventV2WithJWTAuthorizer;
export type HttpResult = APIGatewayProxyStructuredResultV2;
/** Lambda passes a Context; the local server does not. */
export type HttpHandler = (event: HttpEvent, context?: Context) => Promise<HttpResult>;

/** A JSON success response. Token responses must never sit in a shared cache. */
export function json(statusCode: number, body: unknown): HttpResult {
  return {
    statusCode,
    headers: { 'content-type': 'application/json', 'cache-control': 'no-store' },
    body: JSON.stringify(body),
  };
}

export function httpHandler(route: string, fn: (event: HttpEvent) => Promise<HttpResult>): HttpHandler {
  return async (event, context) => {
    const started = performance.now();
    if (context) logger.addContext(context);
    return withRequestId(event.requestContext?.requestId, async () => {
      coldStart(context?.functionName);
      let result: HttpResult;
      let code: string | undefined;
      try {
        await assertThroughEdge(event); // behind an edge: refuses a request that went around it
        result = await fn(event);
      } catch (caught) {
        const err = caught instanceof TtlError ? badRequest('ttl_out_of_range', caught.message) : caught;
        if (err instanceof ProblemError) {
          result = problemResponse(err);
          code = err.code;
          if (err.status >= 500) logger.warn('request refused', { route, code: err.code });
        } else {
          logger.error('unhandled error', { route, error: errorSummary(err) });
          result = problemResponse(internalError());
          code = 'internal_error';
        }
      }
      const status = result.statusCode ?? 200;
      logger.info('request', {
        route,
        status,
        // Explicit as well: the request line is where log queries start.
        requestId: event.requestContext?.requestId,
        ms: Math.round((performance.now() - started) * 10) / 10,
      });
      recordOutcome(route, status, code);
      return result;
    });
  };
}
