import { InvokeCommand, LambdaClient, ResourceNotFoundException, ServiceException, TooManyRequestsException, type InvokeCommandOutput } from '@aws-sdk/client-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import type { InvokeSmokeTest } from '../../../functions/config/schema';
import { runInvokeCheck } from '../../../functions/lambda/invoke';

const lambdaMock = mockClient(LambdaClient);

const FUNCTION = 'ml-inference';

function test(fields: Partial<InvokeSmokeTest> = {}): InvokeSmokeTest {
  return { attempts: 3, intervalSeconds: 5, ...fields };
}

/** The response payload as the SDK hands it over: bytes of the function's JSON result. */
function payload(value: unknown): InvokeCommandOutput['Payload'] {
  return new TextEncoder().encode(typeof value === 'string' ? value : JSON.stringify(value)) as InvokeCommandOutput['Payload'];
}

/** What the check sent: the decoded payload and the qualifier. */
function sent() {
  const input = lambdaMock.commandCalls(InvokeCommand)[0]?.args[0].input;
  return { qualifier: input?.Qualifier, payload: input?.Payload ? JSON.parse(new TextDecoder().decode(input.Payload as Uint8Array)) : undefined };
}

beforeEach(() => {
  lambdaMock.reset();
});

describe('runInvokeCheck', () => {
  it('fails on a function error even though Lambda answers HTTP 200, quoting the error type and message', async () => {
    lambdaMock.on(InvokeCommand).resolves({
      StatusCode: 200,
      FunctionError: 'Unhandled',
      ExecutedVersion: '4',
      Payload: payload({ errorType: 'ModelLoadError', errorMessage: 'weights file /opt/ml/model.pt not found', trace: ['at load (/var/task/index.js:3:9)'] }),
    });

    const result = await runInvokeCheck(FUNCTION, '4', test());

    expect(result.passed).toBe(false);
    expect(result.detail).toContain('invoke ml-inference:4 → Unhandled error');
    expect(result.detail).toContain('"errorType":"ModelLoadError"');
    expect(result.detail).toContain('weights file /opt/ml/model.pt not found');
  });

  it('keeps the excerpt of a long response short', async () => {
    lambdaMock.on(InvokeCommand).resolves({ StatusCode: 200, FunctionError: 'Unhandled', Payload: payload({ errorType: 'Error', errorMessage: 'x'.repeat(1000) }) });

    const result = await runInvokeCheck(FUNCTION, '4', test());

    expect(result.passed).toBe(false);
    expect(result.detail).toMatch(/…$/);
    expect(result.detail.length).toBeLessThan(300);
  });

  it('fails when the response lacks the expected text, quoting the response', async () => {
    lambdaMock.on(InvokeCommand).resolves({ StatusCode: 200, ExecutedVersion: '4', Payload: payload({ prediction: 'dog', ok: false }) });

    const result = await runInvokeCheck(FUNCTION, 'live', test({ expectPayloadContains: 'cat' }));

    expect(result.passed).toBe(false);
    expect(result.detail).toContain('invoke ml-inference:live → response lacks "cat"');
    expect(result.detail).toContain('"prediction":"dog"');
  });

  it('passes when the response contains the expected text, reporting the version that ran', async () => {
    lambdaMock.on(InvokeCommand).resolves({ StatusCode: 200, ExecutedVersion: '4', Payload: payload({ statusCode: 200, body: '{"prediction":"cat","ok":true}' }) });

    const result = await runInvokeCheck(FUNCTION, 'live', test({ expectPayloadContains: 'cat' }));

    expect(result).toEqual({ passed: true, detail: 'invoke ml-inference:live → 200 (version 4)' });
  });

  it('passes on any successful response when no text is expected', async () => {
    lambdaMock.on(InvokeCommand).resolves({ StatusCode: 200, ExecutedVersion: '$LATEST' });

    await expect(runInvokeCheck(FUNCTION, undefined, test())).resolves.toEqual({ passed: true, detail: 'invoke ml-inference → 200 (version $LATEST)' });
  });

  it('fails without throwing when the call itself fails', async () => {
    lambdaMock.on(InvokeCommand).rejects(new ResourceNotFoundException({ message: 'Function not found: ml-inference:9', $metadata: {} }));

    await expect(runInvokeCheck(FUNCTION, '9', test())).resolves.toEqual({
      passed: false,
      detail: 'invoke ml-inference:9 → ResourceNotFoundException: Function not found: ml-inference:9',
    });
  });

  it('throws AwsThrottled when Lambda throttles the call: the step is retried and no attempt of the check is spent', async () => {
    lambdaMock.on(InvokeCommand).rejects(new TooManyRequestsException({ message: 'Rate exceeded', $metadata: { httpStatusCode: 429 } }));

    await expect(runInvokeCheck(FUNCTION, 'live', test())).rejects.toMatchObject({ name: 'AwsThrottled', message: expect.stringContaining('invoke ml-inference:live') });
  });

  it('throws AwsTransientError when Lambda itself fails (5xx): that says nothing about the function', async () => {
    lambdaMock.on(InvokeCommand).rejects(new ServiceException({ message: 'internal error', $metadata: { httpStatusCode: 500 } }));

    await expect(runInvokeCheck(FUNCTION, 'live', test())).rejects.toMatchObject({ name: 'AwsTransientError' });
  });

  it('sends the test payload as JSON, to the given qualifier', async () => {
    lambdaMock.on(InvokeCommand).resolves({ StatusCode: 200, Payload: payload('"ok"') });

    await runInvokeCheck(FUNCTION, '4', test({ payload: { image: 's3://bucket/cat.jpg', threshold: 0.5 } }));

    expect(lambdaMock).toHaveReceivedCommandWith(InvokeCommand, { FunctionName: FUNCTION, Qualifier: '4' });
    expect(sent()).toEqual({ qualifier: '4', payload: { image: 's3://bucket/cat.jpg', threshold: 0.5 } });
  });

  it('sends {} when the test has no payload', async () => {
    lambdaMock.on(InvokeCommand).resolves({ StatusCode: 200, Payload: payload('"ok"') });

    await runInvokeCheck(FUNCTION, 'live', test());

    expect(sent()).toEqual({ qualifier: 'live', payload: {} });
  });
});
