import { parseDeploymentsFile } from '../../functions/config/load';
import { DEPLOYMENT_BUDGET_BYTES, STATE_LIMIT_BYTES, STEP_RECORDS_ALLOWANCE_BYTES, stepRecordsBytes } from '../../functions/config/state-budget';
import type { SimulatedAwsAccount } from '../../local/simulated-account';
import type { LocalRunResult } from '../../local/state-machine';
import { createSampleWorld, digest, executionInput, ML_INFERENCE, mlInferenceTarget, runDeployment, statesEntered, type TargetSpec } from '../support/world';

/**
 * deployments.yml at the limit: the largest settings the state budget accepts, deployed
 * through the real state machine down its longest path (every smoke test fails, the
 * deployment rolls back), never make a state or a step's result larger than Step
 * Functions' 256 KiB. The same settings, a little larger, are refused.
 */

const MAX_SMOKE_TESTS = 20;
let account: SimulatedAwsAccount | undefined;

afterEach(() => account?.restore());

/** The Lambda target with 20 invoke smoke tests that never pass, each with a payload of `bytes`. */
function targetWithPayloads(bytes: number): TargetSpec {
  return mlInferenceTarget({
    tags: ['v*', ...Array.from({ length: 19 }, (_, i) => `${'v'.repeat(120)}${i}*`)],
    smokeTests: Array.from({ length: MAX_SMOKE_TESTS }, (_, i) => ({
      invoke: { payload: { test: i, blob: 'x'.repeat(bytes) }, expectPayloadContains: `never-in-the-answer-${'y'.repeat(1000)}`, attempts: 2, intervalSeconds: 0 },
    })),
  });
}

function accepted(target: TargetSpec): boolean {
  try {
    parseDeploymentsFile({ targets: [target] });
    return true;
  } catch {
    return false;
  }
}

/** The largest payload size the budget accepts, by bisection. */
function largestAcceptedPayload(): number {
  let low = 0;
  let high = 32 * 1024;
  while (high - low > 1) {
    const middle = Math.floor((low + high) / 2);
    if (accepted(targetWithPayloads(middle))) low = middle;
    else high = middle;
  }
  return low;
}

/** The size of every state's input and output and of every step's result, in bytes. */
function payloadSizes(result: LocalRunResult): number[] {
  return result.events.flatMap((event) => [event.state?.input, event.state?.output, event.output].filter((value) => value !== undefined).map((value) => Buffer.byteLength(JSON.stringify(value), 'utf8')));
}

describe('a deployment at the limit of deployments.yml', () => {
  it('keeps what the steps may record within its allowance, for the most smoke tests a target may have', () => {
    expect(stepRecordsBytes(MAX_SMOKE_TESTS)).toBeLessThanOrEqual(STEP_RECORDS_ALLOWANCE_BYTES);
    expect(DEPLOYMENT_BUDGET_BYTES + STEP_RECORDS_ALLOWANCE_BYTES).toBeLessThan(STATE_LIMIT_BYTES);
  });

  it('stays under 256 KiB in every state down the longest path, and one byte more of settings is refused', async () => {
    const largest = largestAcceptedPayload();
    expect(largest).toBeGreaterThan(1000);
    expect(accepted(targetWithPayloads(largest + 1))).toBe(false);

    account = createSampleWorld();
    const result = await runDeployment(executionInput(account, targetWithPayloads(largest), digest('ml-inference-at-the-limit'), 'v1.0.0'));

    expect(result.status).toBe('FAILED');
    expect(statesEntered(result)).toEqual(expect.arrayContaining(['RunSmokeTests', 'LambdaRollBack']));
    expect(account.lambda.function(ML_INFERENCE.function).aliases.get(ML_INFERENCE.alias)?.version).toBe('3');
    const sizes = payloadSizes(result);
    const largestState = Math.max(...sizes);
    expect(largestState).toBeGreaterThan(DEPLOYMENT_BUDGET_BYTES * 0.9);
    expect(largestState).toBeLessThan(STATE_LIMIT_BYTES);
  });
});
