import { InvokeCommand } from '@aws-sdk/client-lambda';
import type { InvokeSmokeTest } from '../config/schema';
import { withTransientErrorsNamed } from '../shared/aws-errors';
import { AwsTransientError } from '../shared/errors';
import { lambda } from '../shared/clients/lambda';
import { excerpt } from '../shared/redact';
import type { CheckResult } from '../smoke/http';

/** Response excerpts go into execution history, events and Slack: short, and redacted. */
const EXCERPT_LENGTH = 160;

/**
 * Invokes the function (a version or alias) with the test payload. A function
 * error comes back as HTTP 200 with FunctionError set, so that is what fails the
 * check, as does a response without the expected text, or a refused call.
 * Throttling and AWS-side failures say nothing about the function: they throw
 * (AwsThrottled, AwsTransientError) so that the step is retried, and no attempt
 * of the check is spent on them.
 */
async function runInvokeCheck(functionName: string, qualifier: string | undefined, test: InvokeSmokeTest): Promise<CheckResult> {
  const label = `invoke ${functionName}${qualifier ? `:${qualifier}` : ''}`;
  try {
    const output = await withTransientErrorsNamed(label, () =>
      lambda.send(new InvokeCommand({ FunctionName: functionName, Qualifier: qualifier, Payload: new TextEncoder().encode(JSON.stringify(test.payload ?? {})) })),
    );
    const text = output.Payload ? new TextDecoder().decode(output.Payload) : '';
    if (output.FunctionError) return { passed: false, detail: `${label} → ${output.FunctionError} error: ${excerpt(text, EXCERPT_LENGTH)}` };
    if (test.expectPayloadContains !== undefined && !text.includes(test.expectPayloadContains)) {
      return { passed: false, detail: `${label} → response lacks "${test.expectPayloadContains}": ${excerpt(text, EXCERPT_LENGTH)}` };
    }
    return { passed: true, detail: `${label} → ${output.StatusCode ?? 200} (version ${output.ExecutedVersion ?? '?'})` };
  } catch (error) {
    if (error instanceof AwsTransientError) throw error;
    return { passed: false, detail: `${label} → ${(error as Error).name}: ${(error as Error).message}` };
  }
}

export { runInvokeCheck };
