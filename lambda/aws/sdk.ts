/**
 * The one way the functions call AWS: SDK clients with short per-attempt timeouts that *throw*
 * (the SDK's `requestTimeout` alone only logs a warning), and a hard deadline around every
 * call, retries included, that rejects and aborts whatever the network does. A cached value
 * keeps serving meanwhile, so only a cold container ever waits on this, and then for at most
 * AWS_CALL_DEADLINE_MS before it answers 503 + Retry-After (DESIGN.md §4), far inside the
 * 10 s function timeout.
 */

/** Whole budget of one AWS call, all attempts and back-off included. */
export const AWS_CALL_DEADLINE_MS = 3_000;

export const SDK_CLIENT_OPTIONS = {
  maxAttempts: 2,
  requestHandler: { connectionTimeout: 1_000, requestTimeout: 1_500, throwOnRequestTimeout: true },
} as const;

export class DeadlineError extends Error {
  override readonly name = 'DeadlineError';
}

/** A response that could not be read (cut off, not JSON): named without its content. */
export class AwsResponseError extends Error {
  override readonly name = 'AwsResponseError';
}

/**
 * The SDK's deserialization errors quote the response: a JSON SyntaxError carries a snippet
 * of the body (which, for GetSecretValue, may be the secret), and the message gets a hint
 * appended. Such an error (found anywhere in the cause chain: Powertools wraps the SDK's) is
 * replaced by one that keeps the error's name and, except for a SyntaxError, the first line of
 * its message. Modeled service errors (ThrottlingException...) pass through untouched.
 */
function withoutPayload(what: string, err: unknown): unknown {
  const chain: Error[] = [];
  for (let e: unknown = err; e instanceof Error && chain.length < 4; e = e.cause) chain.push(e);
  if (!chain.some((e) => e instanceof SyntaxError || e.message.includes('Deserialization error'))) return err;
  const syntax = chain.find((e) => e instanceof SyntaxError);
  const root = syntax ?? chain[chain.length - 1]!;
  const reason = syntax ? 'not valid JSON' : root.message.split('\n')[0]!.trim();
  return new AwsResponseError(`${what}: the response could not be read (${root.name}: ${reason})`);
}

/**
 * Run `call` with an AbortSignal and reject with a DeadlineError after `ms`, aborting the
 * signal so an SDK request that honours it (`client.send(cmd, { abortSignal })`) is torn
 * down. A late rejection of the abandoned call is swallowed: never an unhandled rejection.
 */
export async function withDeadline<T>(what: string, call: (signal: AbortSignal) => Promise<T>, ms = AWS_CALL_DEADLINE_MS): Promise<T> {
  const controller = new AbortController();
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      const err = new DeadlineError(`${what} did not answer within ${ms} ms`);
      reject(err);
      controller.abort(err);
    }, ms);
  });
  const attempt = call(controller.signal).catch((err: unknown) => {
    throw withoutPayload(what, err);
  });
  attempt.catch(() => undefined);
  try {
    return await Promise.race([attempt, deadline]);
  } finally {
    clearTimeout(timer);
  }
}
