/**
 * The small set of errors a request can end in, and their one mapping to RFC 9457
 * `application/problem+json` (DESIGN.md §2, §3).
 */
import type { APIGatewayProxyStructuredResultV2 } from 'aws-lambda';

export interface FieldError {
  path: string;
  message: string;
}

export class ProblemError extends Error {
  override readonly name = 'ProblemError';
  constructor(
    readonly status: number,
    readonly code: string,
    readonly title: string,
    readonly detail: string,
    readonly extra: { headers?: Record<string, string>; errors?: FieldError[] } = {},
  ) {
    super(`${code}: ${detail}`);
  }
}

export const badRequest = (code: string, detail: string, errors?: FieldError[]) =>
  new ProblemError(400, code, 'Bad Request', detail, { errors });
export const unauthorized = (code: string, detail: string) => new ProblemError(401, code, 'Unauthorized', detail);
export const forbidden = (code: string, detail: string) => new ProblemError(403, code, 'Forbidden', detail);
export const notFound = (detail: string) => new ProblemError(404, 'not_found', 'Not Found', detail);
export const methodNotAllowed = (allow: string[]) =>
  new ProblemError(405, 'method_not_allowed', 'Method Not Allowed', `Use ${allow.join(', ')}.`, {
    headers: { allow: allow.join(', ') },
  });
export const conflict = (code: string, detail: string) => new ProblemError(409, code, 'Conflict', detail);
export const payloadTooLarge = (limit: number) =>
  new ProblemError(413, 'body_too_large', 'Content Too Large', `The request body exceeds ${limit} bytes.`);
export const unsupportedMediaType = () =>
  new ProblemError(415, 'unsupported_media_type', 'Unsupported Media Type', 'Send the body as application/json.');
export const unavailable = (code: string, detail: string, retryAfterSeconds: number) =>
  new ProblemError(503, code, 'Service Unavailable', detail, { headers: { 'retry-after': String(retryAfterSeconds) } });

export function problemResponse(p: ProblemError): APIGatewayProxyStructuredResultV2 {
  const body: Record<string, unknown> = {
    type: `urn:token-vending:problem:${p.code}`,
    title: p.title,
    status: p.status,
    detail: p.detail,
    code: p.code,
  };
  if (p.extra.errors?.length) body.errors = p.extra.errors;
  return {
    statusCode: p.status,
    headers: { 'content-type': 'application/problem+json', 'cache-control': 'no-store', ...p.extra.headers },
    body: JSON.stringify(body),
  };
}

export const internalError = () =>
  new ProblemError(500, 'internal_error', 'Internal Server Error', 'The request could not be completed; it has been logged.');
