import { InvokeCommand } from '@aws-sdk/client-lambda';
import type { InvokeSmokeTest } from '../config/schema';
import { withTransientErrorsNamed } from '../shared/aws-errors';
import { AwsTransientError } from '../shared/errors';
import { lambda } from '../shared/clients/lambda';
import type { CheckResult } from '../smoke/http';

/** Keeps response excerpts short in events and logs. */
const EXCERPT_LENGTH = 160;

function excerpt(text: string): string {
  const flat = text.replace(/\s+/g, ' ').trim();
  return flat.length > EXCERPT_LENGTH ? `${flat.slice(0, EXCERPT_LENGTH)}…` : flat;
}

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
    if (output.FunctionError) return { passed: false, detail: `${label} → ${output.FunctionError} error: ${excerpt(text)}` };
    if (test.expectPayloadContains !== undefined && !text.includes(test.expectPayloadContains)) {
      return { passed: false, detail: `${label} → response lacks "${test.expectPayloadContains}": ${excerpt(text)}` };
    }
    return { passed: true, detail: `${label} → ${output.StatusCode ?? 200} (version ${output.ExecutedVersion ?? '?'})` };
  } catch (error) {
    if (error instanceof AwsTransientError) throw error;
    return { passed: false, detail: `${label} → ${(error as Error).name}: ${(error as Error).message}` };
  }
}

export { runInvokeCheck };
