import { Logger } from '@aws-lambda-powertools/logger';

/**
 * The one logger of the runtime. Log lines carry route, status, ids and error names; never a
 * token, a key, a secret value or a request body.
 */
export const logger = new Logger({ serviceName: process.env.POWERTOOLS_SERVICE_NAME ?? 'token-vending' });

/** Name and message of an error, for a log line: never its stack, never its payload. */
export function errorSummary(err: unknown): { name: string; message: string } {
  if (err instanceof Error) return { name: err.name, message: err.message };
  return { name: typeof err, message: String(err) };
}
