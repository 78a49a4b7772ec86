import { Logger } from '@aws-lambda-powertools/logger';

/**
 * The one logger of the runtime. Log lines carry route, status, ids and error names; never a
 * token, a key, a secret value or a request body.
 */
export const logger = new Logger({ serviceName: process.env.POWERTOOLS_SERVICE_NAME ?? 'token-vending' });

/** Name and message of an error, for a log line: never its stack, never its payload. */
export interface ErrorSummary {
  name: string;
  message: string;
  cause?: ErrorSummary;
}
export function errorSummary(err: unknown, depth = 0): ErrorSummary {
  if (!(err instanceof Error)) return { name: typeof err, message: String(err) };
  const summary: ErrorSummary = { name: err.name, message: err.message };
  if (err.cause !== undefined && depth < 2) summary.cause = errorSummary(err.cause, depth + 1);
  return summary;
}

/**
 * Run one request with its API Gateway request id (`requestId`) on every log line, taken off
 * afterwards. Lambda runs one request at a time per container; the local server gives each
 * request its own invocation context (lambda/local/server.ts), so concurrent ones stay apart.
 */
export async function withRequestId<T>(requestId: string | undefined, fn: () => Promise<T>): Promise<T> {
  logger.appendKeys({ requestId });
  try {
    return await fn();
  } finally {
    logger.removeKeys(['requestId']);
  }
}
