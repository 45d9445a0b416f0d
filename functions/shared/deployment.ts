import type { TargetConfig, TargetKind } from '../config/schema';
import type { ImageRef } from './image';

/** A target from deployments.yml with defaults applied and its kind made explicit. */
type ResolvedTarget = TargetConfig & { kind: TargetKind };

interface Trigger {
  kind: 'ecr-push' | 'manual';
  eventId?: string;
  requestedBy?: string;
}

/** What is being deployed where. Fixed for the whole execution. */
interface Deployment {
  /** The execution name: deterministic per target and digest. */
  id: string;
  executionArn?: string;
  startedAt: string;
  target: ResolvedTarget;
  image: ImageRef;
  trigger: Trigger;
  /**
   * Set when the input asked for `rollback: true`: the id (execution name) of the
   * deployment this one undoes. A later rollback skips what this one undid.
   */
  rollbackOf?: string;
}

/** Progress of an ECS deployment, grown step by step. */
interface EcsProgress {
  cluster: string;
  service: string;
  serviceArn: string;
  /** The task definition the service ran before: the rollback target. */
  previousTaskDefinitionArn: string;
  pollSeconds: number;
  /** ISO time after which an unfinished rollout is a RolloutTimeout. */
  rolloutDeadline: string;
  circuitBreaker: { enable: boolean; rollback: boolean };
  /** Containers that got the new image, with the image each had before. */
  containers?: { name: string; previousImage: string }[];
  newTaskDefinitionArn?: string;
  /** The ECS deployment our UpdateService created (`ecs-svc/…`). */
  deploymentId?: string;
  rollback?: EcsRollback;
}

interface EcsRollback {
  /** What rollback did: updated the service back, or found it already back (circuit breaker, operator). */
  action: 'updated-service' | 'already-rolled-back' | 'nothing-to-undo';
  taskDefinitionArn: string;
  /** The deployment to watch until it completes. */
  deploymentId?: string;
  deadline: string;
}

/** Progress of a Batch deployment. */
interface BatchProgress {
  jobDefinitionName: string;
  /** The latest ACTIVE revision before this deployment: what `name` submissions used. */
  previousJobDefinitionArn: string;
  newJobDefinitionArn: string;
  /** Where the image changed, with the image each place had before. */
  containers: { name: string; previousImage: string }[];
  rollback?: { deregistered?: string; latestJobDefinitionArn: string };
}

/** The Batch test job of a deployment, while the state machine waits for it. */
interface BatchTestJob {
  submitted: boolean;
  jobId?: string;
  jobName?: string;
  jobQueue?: string;
  status?: string;
  pollSeconds?: number;
  deadline?: string;
}

/** Progress of a container-image Lambda deployment. */
interface LambdaProgress {
  functionName: string;
  functionArn: string;
  alias?: string;
  /** What the function ran before: its image (as configured and as resolved to a digest). */
  previousImageUri: string;
  previousResolvedImageUri?: string;
  /** The function's RevisionId when read: UpdateFunctionCode is refused if it changed since. */
  previousRevisionId: string;
  /** The version the alias pointed at before (the rollback target with an alias). */
  previousVersion?: string;
  pollSeconds: number;
  updateDeadline: string;
  /** UpdateFunctionCode was accepted: from here on, failures roll back. */
  codeUpdated?: boolean;
  newVersion?: string;
  /** Where the alias traffic stands: canary step `step` of `steps`, or complete. */
  traffic?: { step: number; steps: number; weightPercent: number; bakeSeconds: number; complete: boolean };
  rollback?: { action: 'alias-restored' | 'code-restored' | 'nothing-to-undo'; target: string; deadline: string };
}

interface RolloutStatus {
  status: 'IN_PROGRESS' | 'COMPLETED';
  runningCount: number;
  desiredCount: number;
  pendingCount: number;
  checkedAt: string;
}

interface SmokeCheckProgress {
  passed: boolean;
  attempts: number;
  lastResult?: string;
}

interface SmokeProgress {
  checks: SmokeCheckProgress[];
  allPassed: boolean;
  /** Seconds to wait before the next round (checks still failing have attempts left). */
  retryAfterSeconds: number;
}

/** A caught error as Step Functions hands it to the Catch target. */
interface CaughtError {
  Error: string;
  Cause?: string;
}

/** The document that flows through the state machine. */
interface DeploymentState {
  deployment: Deployment;
  ecs?: EcsProgress;
  batch?: BatchProgress;
  batchTest?: BatchTestJob;
  lambda?: LambdaProgress;
  lambdaUpdate?: RolloutStatus;
  rollout?: RolloutStatus;
  verification?: { verifiedTasks: number; digest: string };
  smoke?: SmokeProgress;
  rollbackRollout?: RolloutStatus;
  failure?: CaughtError;
  rollbackFailure?: CaughtError;
}

export type {
  ResolvedTarget,
  Trigger,
  Deployment,
  EcsProgress,
  EcsRollback,
  BatchProgress,
  BatchTestJob,
  LambdaProgress,
  RolloutStatus,
  SmokeCheckProgress,
  SmokeProgress,
  CaughtError,
  DeploymentState,
};
