/**
 * Errors with stable names. The state machine's Retry/Catch match on `name`,
 * so every class sets a literal name (class names do not survive minifiers).
 */

import { redact } from './redact';

/** Base class: a deployment problem a person has to act on. Never retried. */
class DeploymentError extends Error {
  public constructor(message: string, options?: ErrorOptions) {
    // Messages become the execution's Cause, events and Slack: never with a credential in them.
    super(redact(message), options);
    this.name = 'DeploymentError';
  }
}

/** deployments.yml or a resolved target spec is invalid. */
class ConfigError extends DeploymentError {
  public override readonly name: string = 'ConfigError';
}

/** The execution input names a target that deployments.yml does not define. */
class TargetNotFound extends DeploymentError {
  public override readonly name: string = 'TargetNotFound';
}

/** The tag or digest asked for is not in the target's ECR repository (or the repository does not exist). */
class ImageNotFound extends DeploymentError {
  public override readonly name: string = 'ImageNotFound';
}

/** `rollback: true`, but no image to go back to is known: no successful deployment to undo, or it recorded no usable previous image. */
class NoRollbackTarget extends DeploymentError {
  public override readonly name: string = 'NoRollbackTarget';
}

/** The execution input is not a deployment request. */
class InvalidInput extends DeploymentError {
  public override readonly name: string = 'InvalidInput';
}

/** An EventBridge event that is not an ECR image action. */
class MalformedEvent extends DeploymentError {
  public override readonly name: string = 'MalformedEvent';
}

/** The service, task definition or job definition to deploy to does not exist. */
class DefinitionNotFound extends DeploymentError {
  public override readonly name: string = 'DefinitionNotFound';
}

/** No container of the task definition takes the pushed image. */
class ContainerNotFound extends DeploymentError {
  public override readonly name: string = 'ContainerNotFound';
}

/** The rollout reached FAILED (circuit breaker without rollback, or similar). */
class RolloutFailed extends DeploymentError {
  public override readonly name: string = 'RolloutFailed';
}

/** Smoke tests with `stage: test-traffic`, but the service has no PAUSE hook at POST_TEST_TRAFFIC_SHIFT (or no native strategy) to run them at. */
class TestTrafficHookMissing extends DeploymentError {
  public override readonly name: string = 'TestTrafficHookMissing';
}

/** ECS rolled back its own BLUE_GREEN, LINEAR or CANARY deployment (alarms, a lifecycle hook, its circuit breaker). */
class ServiceDeploymentRolledBack extends DeploymentError {
  public override readonly name: string = 'ServiceDeploymentRolledBack';
}

/** ECS's deployment circuit breaker has already rolled the service back. */
class CircuitBreakerRolledBack extends DeploymentError {
  public override readonly name: string = 'CircuitBreakerRolledBack';
}

/** The rollout did not complete before its deadline. */
class RolloutTimeout extends DeploymentError {
  public override readonly name: string = 'RolloutTimeout';
}

/** The tasks running after the rollout do not run the pushed digest. */
class ImageVerificationFailed extends DeploymentError {
  public override readonly name: string = 'ImageVerificationFailed';
}

/** A smoke test used up its attempts without passing. */
class SmokeTestFailed extends DeploymentError {
  public override readonly name: string = 'SmokeTestFailed';
}

/** The rollback itself did not bring the target back to a stable, known revision. */
class RollbackFailed extends DeploymentError {
  public override readonly name: string = 'RollbackFailed';
}

/** The Lambda function is not a container-image function: nothing to deploy an image to. */
class NotAnImageFunction extends DeploymentError {
  public override readonly name: string = 'NotAnImageFunction';
}

/** The image is in another region than the function: Lambda cannot use it. */
class ImageInOtherRegion extends DeploymentError {
  public override readonly name: string = 'ImageInOtherRegion';
}

/** The target changed while we deployed (another deployment or a person): nothing was overwritten. */
class ConcurrentChange extends DeploymentError {
  public override readonly name: string = 'ConcurrentChange';
}

/** A promotion has no tested image to take: the source never SUCCEEDED, is deploying, failed last, or the image cannot reach the destination's repository. */
class NothingToPromote extends DeploymentError {
  public override readonly name: string = 'NothingToPromote';
}

/** The ECS pre-deploy task (`ecs.preDeployTask`) did not exit 0 in time, or could not start. */
class PreDeployTaskFailed extends DeploymentError {
  public override readonly name: string = 'PreDeployTaskFailed';
}

/** A CloudWatch alarm of the target's `alarms.names` went to ALARM after the deployment began. */
class AlarmFired extends DeploymentError {
  public override readonly name: string = 'AlarmFired';
}

/** An alarm of the target's `alarms.names` does not exist: nothing changed. */
class AlarmNotFound extends DeploymentError {
  public override readonly name: string = 'AlarmNotFound';
}

/** The image has scan findings at or above the target's `gates.scanFindings.failOn`, or no scan to judge it by. */
class ScanGateRefused extends DeploymentError {
  public override readonly name: string = 'ScanGateRefused';
}

/** Copying a promoted image into the destination's repository failed (ECR refused the manifest, e.g. its layers are not in that repository). */
class PromotionCopyFailed extends DeploymentError {
  public override readonly name: string = 'PromotionCopyFailed';
}

/** A deployment asked for by hand waited for its slot past its deadline: another deployment holds it. */
class SlotBusy extends DeploymentError {
  public override readonly name: string = 'SlotBusy';
}

/** A push deployment's claim on its slot expired and was taken over before it started: it must not deploy. */
class SlotLost extends DeploymentError {
  public override readonly name: string = 'SlotLost';
}

/**
 * An AWS error worth retrying (throttling, 5xx, network). The SDK has already
 * retried a few times; the state machine retries the whole step with backoff.
 */
class AwsTransientError extends Error {
  public override readonly name: string = 'AwsTransientError';
}

/**
 * Throttling: the account's token bucket is empty and refills at its own pace
 * (ECS task definitions: 1 per second). The steps that register, update or
 * deregister retry it for longer than other transient errors.
 */
class AwsThrottled extends AwsTransientError {
  public override readonly name: string = 'AwsThrottled';
}

export {
  DeploymentError,
  TestTrafficHookMissing,
  ServiceDeploymentRolledBack,
  AlarmFired,
  AlarmNotFound,
  ConfigError,
  TargetNotFound,
  ImageNotFound,
  NoRollbackTarget,
  NothingToPromote,
  PromotionCopyFailed,
  ScanGateRefused,
  PreDeployTaskFailed,
  InvalidInput,
  MalformedEvent,
  DefinitionNotFound,
  ContainerNotFound,
  RolloutFailed,
  CircuitBreakerRolledBack,
  RolloutTimeout,
  ImageVerificationFailed,
  SmokeTestFailed,
  RollbackFailed,
  NotAnImageFunction,
  ImageInOtherRegion,
  ConcurrentChange,
  SlotBusy,
  SlotLost,
  AwsTransientError,
  AwsThrottled,
};
