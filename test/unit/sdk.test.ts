import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AwsResponseError, DeadlineError, withDeadline } from '../../lambda/aws/sdk';

// Any unhandled rejection while these run fails the file.
const unhandled: unknown[] = [];
const onUnhandled = (reason: unknown) => unhandled.push(reason);
beforeAll(() => void process.on('unhandledRejection', onUnhandled));
afterAll(async () => {
  await new Promise((r) => setTimeout(r, 50));
  process.off('unhandledRejection', onUnhandled);
  expect(unhandled).toEqual([]);
});

describe('withDeadline', () => {
  it('rejects with a DeadlineError at the deadline and aborts the call, whose late failure goes nowhere', async () => {
    let signal: AbortSignal | undefined;
    const started = performance.now();
    const p = withDeadline(
      'Test Call',
      (s) => {
        signal = s;
        return new Promise((_, reject) => setTimeout(() => reject(new Error('late')), 150));
      },
      30,
    );
    await expect(p).rejects.toThrow(DeadlineError);
    await expect(p).rejects.toThrow('Test Call did not answer within 30 ms');
    expect(performance.now() - started).toBeLessThan(140);
    expect(signal?.aborted).toBe(true);
    await new Promise((r) => setTimeout(r, 200)); // the late rejection lands here, handled
  });

  it('returns what the call returns in time', async () => {
    await expect(withDeadline('x', async () => 42, 1_000)).resolves.toBe(42);
  });

  it('passes modeled service errors through untouched', async () => {
    const err = Object.assign(new Error('Rate exceeded'), { name: 'ThrottlingException', $fault: 'client' });
    await expect(withDeadline('x', () => Promise.reject(err), 1_000)).rejects.toBe(err);
  });

  it('never passes on the response text a deserialization error quotes (it may be the secret)', async () => {
    const syntax = new SyntaxError('Unexpected token \'s\', "s3cr3t-value" is not valid JSON\n  Deserialization error: to see the raw response, inspect the hidden field {error}.$response on this object.');
    const wrapped = new Error(syntax.message, { cause: syntax }); // as Powertools wraps it
    const err = await withDeadline('Secrets Manager GetSecretValue', () => Promise.reject(wrapped), 1_000).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(AwsResponseError);
    expect(String((err as Error).message)).toBe('Secrets Manager GetSecretValue: the response could not be read (SyntaxError: not valid JSON)');
    expect((err as Error).cause).toBeUndefined();
  });

  it('keeps the first line of a non-JSON read failure (a reset connection)', async () => {
    const aborted = Object.assign(new Error('aborted\n  Deserialization error: to see the raw response...'), { code: 'ECONNRESET' });
    await expect(withDeadline('IVS GetChannel', () => Promise.reject(aborted), 1_000)).rejects.toThrow(
      'IVS GetChannel: the response could not be read (Error: aborted)',
    );
  });
});
