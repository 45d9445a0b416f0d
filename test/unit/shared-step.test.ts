import { MAX_ERROR_MESSAGE_LENGTH } from '../../functions/config/state-budget';
import { step } from '../../functions/shared/step';

const sdkError = (name: string, status: number, extra: Record<string, unknown> = {}) => Object.assign(new Error(`${name} happened`), { name, $metadata: { httpStatusCode: status }, ...extra });

describe('step', () => {
  it.each([
    ['throttling', sdkError('ThrottlingException', 400, { $retryable: { throttling: true } })],
    ['a throttled Lambda API', sdkError('TooManyRequestsException', 429)],
  ])('renames %s to AwsThrottled, which the steps that register, update or deregister retry until the bucket refills', async (_, error) => {
    const failing = step('Test', async () => Promise.reject(error));

    await expect(failing({})).rejects.toMatchObject({ name: 'AwsThrottled', message: expect.stringContaining(error.message) });
  });

  it.each([
    ['a 5xx', sdkError('InternalError', 503)],
    ['a network error', sdkError('TimeoutError', 0)],
  ])('renames %s to AwsTransientError, which the state machine retries', async (_, error) => {
    const failing = step('Test', async () => Promise.reject(error));

    await expect(failing({})).rejects.toMatchObject({ name: 'AwsTransientError', message: expect.stringContaining(error.message) });
  });

  it('passes permanent AWS errors and named errors through unchanged', async () => {
    const denied = sdkError('AccessDeniedException', 400);
    const failing = step('Test', async () => Promise.reject(denied));

    await expect(failing({})).rejects.toBe(denied);
  });

  it('redacts and bounds what becomes the execution history’s Cause: the message and the stack’s first line', async () => {
    const leaky = new Error(`GET https://ci:hunter2@api.internal/health failed: ${'x'.repeat(10_000)}`);
    const failing = step('Test', async () => Promise.reject(leaky));

    const thrown = (await failing({}).catch((error: unknown) => error)) as Error;

    expect(thrown.message).toMatch(/^GET https:\/\/\[redacted\]@api\.internal\/health failed: x+… \(\d+ characters cut\)$/);
    expect(thrown.message.length).toBeLessThanOrEqual(MAX_ERROR_MESSAGE_LENGTH);
    expect(thrown.stack).not.toContain('hunter2');
    expect(thrown.stack?.split('\n')[0]).toBe(`Error: ${thrown.message}`);
    expect(thrown.stack?.split('\n').length).toBeLessThanOrEqual(11);
  });
});
