/**
 * Step Functions refuses a state's input or output over 256 KiB
 * (States.DataLimitExceeded), and a deployment carries its targets' settings in
 * its state from the first state to the last. deployments.yml is refused when the
 * targets of one slot could make that state too large, so that no push of them
 * can fail that way (README, "Limits").
 *
 * A deployment's state is its resolved deployment (the targets of one slot, the
 * union of their smoke tests, the image per target, the trigger) plus what the
 * steps record. The second part is bounded by construction: error messages are
 * cut at MAX_ERROR_MESSAGE_LENGTH (functions/shared/step.ts), smoke-test results
 * at MAX_SMOKE_RESULT_LENGTH, containers per definition at 10. The first part is
 * measured here, for the largest image and trigger a push can bring.
 */

/** Step Functions' limit on a state's input and output (Service quotas, "Maximum input or output size"). */
const STATE_LIMIT_BYTES = 256 * 1024;

/** What the steps may add to a state, at most (see `stepRecordsBytes`). */
const STEP_RECORDS_ALLOWANCE_BYTES = 72 * 1024;

/** What deployments.yml may put in one slot's deployments: the rest of the limit, with room to spare. */
const DEPLOYMENT_BUDGET_BYTES = STATE_LIMIT_BYTES - STEP_RECORDS_ALLOWANCE_BYTES - 16 * 1024;

/** Step error messages are cut to this many characters before they reach the state (as the Cause, twice with its stack). */
const MAX_ERROR_MESSAGE_LENGTH = 4096;

/** Each smoke test's last result in the state, at most. */
const MAX_SMOKE_RESULT_LENGTH = 600;

/**
 * An upper bound of what the steps record, from the limits above: two caught
 * errors (the failure and the rollback's), each a Lambda Cause with the message
 * and a ten-frame stack; per smoke test a result; per container two image
 * references and names; ARNs, deadlines and counters.
 */
function stepRecordsBytes(smokeTests: number, containers = 10): number {
  const caughtError = 64 + 2 * MAX_ERROR_MESSAGE_LENGTH + 10 * 300;
  const smokeResult = 64 + MAX_SMOKE_RESULT_LENGTH;
  const container = 4 * 256 + 2 * 400;
  const fixed = 8 * 1024;
  // Scheduled tasks are re-pointed only on the way to SUCCEEDED, which carries neither caught error:
  // their record (two lists of 20 entries, or one caught error) takes the errors' place.
  // A re-pointed target: rule and target id (64 each), two labels (a 255-character family and a revision); a problem: the same names, an error name and a message; keys and quotes.
  const repointed = 2 * 64 + 2 * 264 + 64;
  const problem = 2 * 64 + 32 + SCHEDULED_TASK_MESSAGE_LENGTH + 64;
  const scheduledTasks = Math.max(SCHEDULED_TASKS_LISTED * (repointed + problem), caughtError);
  // The alarms already in ALARM at the baseline: name, reason cut to MAX_ALARM_REASON_LENGTH, since.
  const alarms = MAX_ALARMS * (255 + MAX_ALARM_REASON_LENGTH + 80) + 256;
  return Math.max(2 * caughtError, scheduledTasks) + smokeTests * smokeResult + containers * container + alarms + fixed;
}

/** Alarms per target (`alarms.names`), and the characters of CloudWatch's state reason the state keeps of each. */
const MAX_ALARMS = 10;
const MAX_ALARM_REASON_LENGTH = 200;

/** The scheduled tasks' record (functions/scheduled-tasks/model.ts): entries per list, characters per message. */
const SCHEDULED_TASKS_LISTED = 20;
const SCHEDULED_TASK_MESSAGE_LENGTH = 300;

/** The largest image reference and trigger a deployment can carry, beside its targets' settings. */
const LARGEST_IMAGE = {
  registry: '123456789012.dkr.ecr.ap-southeast-5.amazonaws.com',
  tag: 'x'.repeat(128),
  digest: `sha256:${'0'.repeat(64)}`,
};
const LARGEST_TRIGGER = { kind: 'ecr-push', eventIds: Array.from({ length: 20 }, () => 'x'.repeat(128)), requestedBy: 'x'.repeat(256) };
const LARGEST_ENVELOPE = { id: 'x'.repeat(80), executionArn: `arn:aws-us-gov:states:us-gov-west-1:123456789012:execution:${'x'.repeat(80)}:${'x'.repeat(80)}`, startedAt: '2026-12-01T00:00:00.000Z', generation: 2 ** 31 };

const jsonBytes = (value: unknown): number => Buffer.byteLength(JSON.stringify(value) ?? '', 'utf8');

/**
 * An upper bound, in bytes, of a deployment of `targets` (all of one slot) as it
 * travels in the state: every target with its kind, the image each deploys, the
 * union of their smoke tests, the trigger and the execution's names. Pure; the
 * shape mirrors `Deployment` (functions/shared/deployment.ts), and a test checks
 * that it is never below the real one.
 */
type BudgetedTarget = { repository: string; smokeTests: readonly unknown[]; ecs?: { preDeployTask?: unknown; scheduledTasks?: unknown }; batch?: { scheduledJobs?: unknown }; alarms?: unknown };

function deploymentBytes(targets: readonly BudgetedTarget[]): number {
  const changes = targets.map((target) => ({
    target: { ...target, kind: 'lambda' },
    image: { ...LARGEST_IMAGE, repository: target.repository, uri: `${LARGEST_IMAGE.registry}/${target.repository}@${LARGEST_IMAGE.digest}` },
    pushedAt: LARGEST_ENVELOPE.startedAt,
    rollbackOf: LARGEST_ENVELOPE.id,
  }));
  const smokeTests = targets.flatMap((target) => target.smokeTests);
  const rollout = { timeoutSeconds: 86_400, rollbackTimeoutSeconds: 86_400, pollSeconds: 300, waitForSlotSeconds: 86_400, mergeWindowSeconds: 3600 };
  const slot = { key: 'x'.repeat(600), kind: 'lambda' };
  // The settings repeat the pre-deploy task (functions/deployment/build.ts), and its state the task's progress.
  const preDeployTask = targets.find((target) => target.ecs?.preDeployTask)?.ecs?.preDeployTask;
  // The settings repeat the scheduled rules, merged (functions/scheduled-tasks/model.ts): never more than all of them.
  const scheduled = targets.flatMap((target) => [target.ecs?.scheduledTasks, target.batch?.scheduledJobs].filter((rules) => rules !== undefined));
  const settings = { rollout, smokeTests, approval: { timeoutSeconds: 604_800 }, scanGate: { waitSeconds: 3600 }, ...(preDeployTask ? { preDeployTask } : {}), ...(scheduled.length > 0 ? { scheduledRules: { scheduled, auto: true } } : {}), alarms: targets.map((target) => target.alarms) };
  return jsonBytes({ ...LARGEST_ENVELOPE, slot, changes, settings, trigger: LARGEST_TRIGGER });
}

/**
 * Why the targets of one slot could not deploy within the state limit, or
 * undefined when they can (pure).
 */
function stateBudgetProblem(slot: string, targets: readonly (BudgetedTarget & { name: string })[]): string | undefined {
  const bytes = deploymentBytes(targets);
  if (bytes <= DEPLOYMENT_BUDGET_BYTES) return undefined;
  const kib = (n: number) => `${Math.ceil(n / 1024)} KiB`;
  const names = targets.map((target) => target.name).join(', ');
  return `a deployment of ${slot} (${names}) would carry up to ${kib(bytes)} of settings in its Step Functions state, over the ${kib(DEPLOYMENT_BUDGET_BYTES)} that keep every state under the ${kib(STATE_LIMIT_BYTES)} limit: fewer or smaller smoke tests (payloads, headers, bodies), fewer tag globs, or fewer targets on this slot.`;
}

export {
  STATE_LIMIT_BYTES,
  STEP_RECORDS_ALLOWANCE_BYTES,
  DEPLOYMENT_BUDGET_BYTES,
  MAX_ERROR_MESSAGE_LENGTH,
  MAX_SMOKE_RESULT_LENGTH,
  SCHEDULED_TASKS_LISTED,
  SCHEDULED_TASK_MESSAGE_LENGTH,
  MAX_ALARMS,
  MAX_ALARM_REASON_LENGTH,
  deploymentBytes,
  stateBudgetProblem,
  stepRecordsBytes,
};
