/**
 * Request bodies: size, media type, JSON syntax and the route's zod schema, each refused with
 * its own 4xx problem that says what was wrong.
 */
import type * as z from '../config/zod';
import { badRequest, payloadTooLarge, unsupportedMediaType } from './problem';
import type { HttpEvent } from './handler';

/** Our routes take a few hundred bytes; API Gateway itself would accept 10 MB. */
export const MAX_BODY_BYTES = 8 * 1024;

export function header(event: HttpEvent, name: string): string | undefined {
  // API Gateway v2 lower-cases header names.
  return event.headers?.[name.toLowerCase()];
}

/**
 * Parse and validate the JSON body. With `optional`, an absent or empty body validates as `{}`.
 */
export function parseJsonBody<S extends z.ZodMiniType>(
  event: HttpEvent,
  schema: S,
  opts: { optional?: boolean; maxBytes?: number } = {},
): z.infer<S> {
  const maxBytes = opts.maxBytes ?? MAX_BODY_BYTES;
  const raw = event.body ?? '';
  const bytes = event.isBase64Encoded ? Buffer.from(raw, 'base64') : Buffer.from(raw, 'utf8');
  if (bytes.length > maxBytes) throw payloadTooLarge(maxBytes);

  let value: unknown = {};
  if (bytes.length === 0) {
    if (!opts.optional) throw badRequest('missing_body', 'A JSON request body is required.');
  } else {
    const type = header(event, 'content-type')?.split(';')[0]?.trim().toLowerCase();
    if (type !== undefined && type !== 'application/json' && !type.endsWith('+json')) throw unsupportedMediaType();
    try {
      value = JSON.parse(bytes.toString('utf8'), refuseProtoKeys);
    } catch (err) {
      if (err instanceof ProtoKeyError) throw badRequest('invalid_request', 'The property name "__proto__" is not allowed.');
      throw badRequest('malformed_json', 'The request body is not valid JSON.');
    }
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw badRequest('invalid_request', 'The request body must be a JSON object.');
  }
  const result = schema.safeParse(value);
  if (!result.success) {
    const errors = result.error.issues.map((i) => ({
      path: i.path.length ? i.path.join('.') : '(body)',
      message: i.message,
    }));
    throw badRequest('invalid_request', errors.map((e) => `${e.path}: ${e.message}`).join('; '), errors);
  }
  return result.data;
}

class ProtoKeyError extends Error {}

/**
 * JSON.parse keeps "__proto__" as an own key, but copying the object (as zod does) silently
 * drops it or sets a prototype: refuse it, so nothing the caller sent is quietly ignored.
 */
function refuseProtoKeys(key: string, value: unknown): unknown {
  if (key === '__proto__') throw new ProtoKeyError();
  return value;
}
