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
});
