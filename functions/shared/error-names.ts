/**
 * Every error name the deploy state machine matches, in one place, grouped by
 * how it is handled. statemachines/deploy.asl.yaml writes the same lists as its
 * `x-errors` anchors; test/statemachine/error-names.test.ts holds the two (and
 * the error classes of ./errors.ts) together, both ways.
 */

/** Thrown by ResolveDeployment for a request that can never deploy: caught into PublishRejected, not retried. */
const REJECTED_ERRORS = ['InvalidInput', 'TargetNotFound', 'ConfigError', 'ImageNotFound', 'NoRollbackTarget', 'NothingToPromote'] as const;

/** Thrown by HoldSlot: the claim was taken over before it started; it must not deploy (nor release the slot). */
const SLOT_LOST = 'SlotLost';
/** Thrown by HoldSlot: a person's request waited for the slot past its deadline. */
const SLOT_BUSY = 'SlotBusy';
const SLOT_ERRORS = [SLOT_LOST, SLOT_BUSY] as const;

/** Thrown by any step for an AWS error a later attempt may not see: retried (AwsThrottled longer where ECS's bucket is slow). */
const RETRIED_ERRORS = ['AwsTransientError', 'AwsThrottled'] as const;

/**
 * Raised by Lambda and Step Functions, never by our code: a Lambda service error,
 * a crash or out-of-memory (Lambda.Unknown), the state's timeout (States.Timeout),
 * Lambda's own timeout (Sandbox.Timedout). Retried like RETRIED_ERRORS: every step
 * is safe to run twice.
 */
const PLATFORM_ERRORS = [
  'Lambda.ServiceException',
  'Lambda.AWSLambdaException',
  'Lambda.SdkClientException',
  'Lambda.TooManyRequestsException',
  'Lambda.ClientExecutionTimeoutException',
  'Lambda.Unknown',
  'States.Timeout',
  'Sandbox.Timedout',
] as const;

/** What every step retries (the `transient` list). */
const TRANSIENT_ERRORS = [...RETRIED_ERRORS, ...PLATFORM_ERRORS] as const;

/**
 * Thrown by steps and matched by no name on purpose: every Task state's
 * `States.ALL` catcher takes them, into a rollback once the target changed or
 * into FAILED before. Their names reach the execution's error and the event's reason.
 */
const DEPLOYMENT_FAILURES = [
  'DefinitionNotFound',
  'ContainerNotFound',
  'RolloutFailed',
  'CircuitBreakerRolledBack',
  'ServiceDeploymentRolledBack',
  'TestTrafficHookMissing',
  'RolloutTimeout',
  'ImageVerificationFailed',
  'SmokeTestFailed',
  'RollbackFailed',
  'NotAnImageFunction',
  'ImageInOtherRegion',
  'ConcurrentChange',
  'PromotionCopyFailed',
  'ScanGateRefused',
  'PreDeployTaskFailed',
  'AlarmNotFound',
  'AlarmFired',
] as const;

/**
 * Never thrown: named in the SUCCEEDED event (`scheduledTasks.failed`) when a scheduled task
 * could not follow the deployment, which itself is not affected (functions/scheduled-tasks).
 * A rule gone; a named rule with no target pinned to the family; a target whose role the
 * deployer may not pass; EventBridge refusing the change.
 */
const SCHEDULED_TASK_ERRORS = ['ScheduledTaskRuleNotFound', 'ScheduledTaskNotFound', 'ScheduledTaskRoleNotAllowed', 'ScheduledTaskNotRepointed'] as const;

/** Thrown outside the state machine: the trigger refuses an event that is not an ECR image action. */
const TRIGGER_ERRORS = ['MalformedEvent'] as const;

/** Matches every error; every Task state ends its Catch list with it. */
const CATCH_ALL = 'States.ALL';

export { REJECTED_ERRORS, SLOT_ERRORS, SLOT_LOST, SLOT_BUSY, RETRIED_ERRORS, PLATFORM_ERRORS, TRANSIENT_ERRORS, DEPLOYMENT_FAILURES, SCHEDULED_TASK_ERRORS, TRIGGER_ERRORS, CATCH_ALL };
