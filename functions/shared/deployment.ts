import type { PreDeployTaskConfig, SmokeTest, TargetConfig, TargetKind } from '../config/schema';
import type { SlotRef } from '../slots/identity';
import type { ImageRef } from './image';
import type { ApprovalStatus } from '../approval/model';
import type { ScheduledRules, ScheduledTasksOutcome } from '../scheduled-tasks/model';
import type { AlarmSettings, AlarmWatch } from '../alarms/model';

/** A target from deployments.yml with defaults applied and its kind made explicit. */
type ResolvedTarget = TargetConfig & { kind: TargetKind };

/**
 * An ECR push, a person, an automatic promotion (`promote.automatically`) after the source SUCCEEDED,
 * the reconciler finding a push EventBridge lost (`reconcile`), or putting the deployed image back after drift (`drift`).
 */
const TRIGGER_KINDS = ['ecr-push', 'manual', 'promotion', 'reconcile', 'drift'] as const;

interface Trigger {
  kind: (typeof TRIGGER_KINDS)[number];
  /** The ECR push events whose images this deployment carries. */
  eventIds?: string[];
  requestedBy?: string;
}

/** One target of a deployment and the image it moves to. */
interface TargetChange {
  target: ResolvedTarget;
  image: ImageRef;
  /** The image's push time (the ECR event's `time`), when a push brought it: where its lead time starts (functions/metrics). */
  pushedAt?: string;
  /** Set when this change undoes a deployment (`rollback: true`): that deployment's id (execution name). */
  rollbackOf?: string;
  /**
   * A rollback goes back as fast as the platform allows: no canary steps, no bakes. `rollback`: it undoes a
   * deployment; `window`: a person deploys one of the target's last `rollbackWindow` successful images.
   */
  fastRollback?: 'rollback' | 'window';
  /** A promotion: the target whose tested image this is, and the deployment that tested it there. */
  promotedFrom?: PromotedFrom;
}

interface PromotedFrom {
  target: string;
  deploymentId: string;
  /** Set when the image must first be copied from the source's repository (`promote.copyImage`). */
  copyFromRepository?: string;
}

/**
 * What the changes of one deployment share: the most generous deadlines, the
 * closest polling, and every target's smoke tests (a revision carrying two
 * targets' images must pass both targets' tests).
 */
interface DeploymentSettings {
  rollout: TargetConfig['rollout'];
  smokeTests: SmokeTest[];
  /** A target requires approval (`approval.required`), and this is not a rollback: wait for a decision, this long at most, before changing anything. */
  approval?: { timeoutSeconds: number };
  /** A target has `gates.scanFindings`: judge its image on ECR's scan findings before anything changes. */
  scanGate?: { waitSeconds: number };
  /** An ECS target has `ecs.preDeployTask`: run it from the new revision, and change the service only once it exited 0. */
  preDeployTask?: PreDeployTaskConfig;
  /** Targets have `ecs.scheduledTasks` or `batch.scheduledJobs`: after the smoke tests passed, those rules follow the new revision. */
  scheduledRules?: ScheduledRules;
  /** Targets have `alarms`: the baseline before the change, a look at each Lambda canary step, a bake after the smoke tests. */
  alarms?: AlarmSettings;
}

/** What is being deployed where. Fixed for the whole execution. */
interface Deployment {
  /** The execution name. */
  id: string;
  executionArn?: string;
  startedAt: string;
  /** The one thing this deployment changes; every change is to a target of this slot. */
  slot: SlotRef;
  /** A push deployment: the generation of the slot's claim it was started for. A person's request has none: it waits for the slot. */
  generation?: number;
  /** One per target whose image moves, at least one. */
  changes: TargetChange[];
  settings: DeploymentSettings;
  trigger: Trigger;
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
  /** Containers that got a new image: whose target, the image before and the image now. */
  containers?: ChangedContainer[];
  newTaskDefinitionArn?: string;
  /** The ECS deployment our UpdateService created (`ecs-svc/…`). */
  deploymentId?: string;
  /**
   * The longest deregistration delay of the service's target groups, read once after
   * UpdateService: the old tasks drain that long before the rollout can complete.
   * Absent for a service without a load balancer.
   */
  deregistrationDelaySeconds?: number;
  /** Seconds before the first look at the rollout (functions/ecs/rollout-schedule.ts). */
  nextCheckSeconds?: number;
  rollback?: EcsRollback;
  /** A service on ECS's own BLUE_GREEN, LINEAR or CANARY strategy: the service deployment followed instead of `deployments`. */
  native?: EcsNativeDeployment;
}

/** ECS's own deployment of a native strategy (functions/ecs/service-deployments.ts). */
interface EcsNativeDeployment {
  strategy: 'BLUE_GREEN' | 'LINEAR' | 'CANARY';
  serviceDeploymentArn: string;
  /** Traffic steps' bakes and the bake with both revisions running: part of the rollout's deadline. */
  bakeSeconds: number;
  /** The service's own alarm rollback (deploymentConfiguration.alarms): ECS judges these; the deployer does not again. */
  ecsAlarms?: { names: string[]; rollback: boolean };
}

/** A container (or a place in a job definition) whose image a deployment replaced. */
interface ChangedContainer {
  name: string;
  /** The target whose image it now runs. */
  target: string;
  previousImage: string;
  image: string;
}

interface EcsRollback {
  /** What rollback did: updated the service back, or found it already back (circuit breaker, operator). */
  action: 'updated-service' | 'already-rolled-back' | 'nothing-to-undo' | 'stopped-service-deployment';
  taskDefinitionArn: string;
  /** The deployment to watch until it completes. */
  deploymentId?: string;
  /** Native strategies: the service deployment to watch (ours, stopped or rolled back by ECS; or the one UpdateService started back). */
  serviceDeploymentArn?: string;
  deadline: string;
}

/** Progress of a Batch deployment. */
interface BatchProgress {
  jobDefinitionName: string;
  /** The latest ACTIVE revision before this deployment: what `name` submissions used. */
  previousJobDefinitionArn: string;
  newJobDefinitionArn: string;
  /** Where an image changed: whose target, the image before and the image now. */
  containers: ChangedContainer[];
  rollback?: { deregistered?: string; latestJobDefinitionArn: string };
  /** What the rollback could not clean up (a test job it could not terminate), in words a person can act on. */
  cleanup?: string;
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

/** What runs after a rollback step failed, judged by looking: back on the recorded revision, or not. */
interface RollbackVerdict {
  backOnRecorded: boolean;
  /** What the target runs, in words. */
  runs: string;
}

interface RolloutStatus {
  /** TEST_TRAFFIC: ECS holds a native deployment at POST_TEST_TRAFFIC_SHIFT for the test-traffic smoke tests. */
  status: 'IN_PROGRESS' | 'COMPLETED' | 'TEST_TRAFFIC';
  runningCount: number;
  desiredCount: number;
  pendingCount: number;
  checkedAt: string;
}

/** A look at an ECS rollout: while IN_PROGRESS, when to look next. */
interface EcsRolloutStatus extends RolloutStatus {
  /** Seconds before the next look (set while IN_PROGRESS; functions/ecs/rollout-schedule.ts). */
  nextCheckSeconds?: number;
  /** When ECS began draining the old tasks' connections, once it has. */
  drainingSince?: string;
  /** Native strategies: the service deployment's lifecycle stage (BAKE_TIME, …). */
  lifecycleStage?: string;
  /** TEST_TRAFFIC: the PAUSE hook to continue once the test-traffic smoke tests passed. */
  hookId?: string;
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

/** Whether the deployment holds its slot, or waits for it (a person's request) until `until`. */
interface SlotHoldProgress {
  held: boolean;
  /** A person's request: when it gives up waiting (SlotBusy). */
  until?: string;
  retryAfterSeconds?: number;
  /** The execution that holds the slot meanwhile. */
  heldBy?: string;
  /** A push deployment waited once for the images of other targets of its slot. */
  merged?: boolean;
  /** Held, and the STARTED event published with the hold (else the state machine publishes it, retrying at length). */
  announced?: boolean;
}

/** EcsRunPreDeployTask's and EcsCheckPreDeployTask's result: the task, and whether it exited 0 yet. */
interface PreDeployTaskProgress {
  taskArn: string;
  container: string;
  /** After this, a task still running is stopped, and the deployment fails. */
  deadline: string;
  pollSeconds: number;
  status: 'RUNNING' | 'SUCCEEDED';
  /** Its CloudWatch log stream (`group/stream`), when the container logs with awslogs. */
  logStream?: string;
}

/** CheckScanFindings' result: every gated image passed, or a scan still runs (look again after `checkAfterSeconds`). */
type ScanGateProgress =
  | { status: 'passed'; since: string; notes: string[] }
  | { status: 'waiting'; since: string; checkAfterSeconds: number; waitingFor: string[] };

/** RequestApproval's and CheckApproval's result; `announced: false` when RequestApproval could not publish AWAITING_APPROVAL. */
type ApprovalProgress = ApprovalStatus & { checkAfterSeconds?: number; announced?: false };

/** What EcsDeregisterOrphan found and did after EcsDeployNewRevision failed. */
interface OrphanCleanup {
  /** The revision deregistered. */
  deregistered?: string;
  /** Deregistering the revision this deployment registered failed for good: it may still be ACTIVE. */
  deregisterFailed?: CaughtError;
  /** The service has a deployment of the new revision after all: roll back instead. */
  serviceUsesNewRevision: boolean;
  /** What the service runs and ran, as EcsDeployNewRevision would have recorded it (absent: no such service). */
  ecs?: EcsProgress;
}

/** The document that flows through the state machine. */
interface DeploymentState {
  deployment: Deployment;
  slotHold?: SlotHoldProgress;
  /** The one-off task before the service changes (`ecs.preDeployTask`). */
  preDeployTask?: PreDeployTaskProgress;
  /** Where the scan gate stands, for a deployment with `gates.scanFindings` (functions/gates). */
  scanGate?: ScanGateProgress;
  /** Where the approval stands, for a deployment that needs one (functions/approval). */
  approval?: ApprovalProgress;
  slotRelease?: { released: boolean; next?: string };
  ecs?: EcsProgress;
  batch?: BatchProgress;
  batchTest?: BatchTestJob;
  lambda?: LambdaProgress;
  lambdaUpdate?: RolloutStatus;
  rollout?: EcsRolloutStatus;
  verification?: { verifiedTasks: number; digests: string[] };
  smoke?: SmokeProgress;
  /** The smoke tests against ECS's test traffic (`stage: test-traffic`), before production traffic moves. */
  testTrafficSmoke?: SmokeProgress;
  rollbackRollout?: RolloutStatus;
  failure?: CaughtError;
  rollbackFailure?: CaughtError;
  rollbackVerdict?: RollbackVerdict;
  orphan?: OrphanCleanup;
  /** Clean-up after a failure before the target changed that did not work (an orphan revision left ACTIVE). */
  cleanupFailure?: CaughtError;
  /** The CloudWatch alarms' baseline and bake (functions/alarms). */
  alarms?: AlarmWatch;
  /** What re-pointing the scheduled tasks did (functions/scheduled-tasks), or why it could not run at all. */
  scheduledTasks?: ScheduledTasksOutcome;
  scheduledTasksFailure?: CaughtError;
  /** A terminal event could not be published, after retrying at length. */
  terminalEventFailure?: CaughtError;
}

export { TRIGGER_KINDS };
export type {
  ResolvedTarget,
  Trigger,
  TargetChange,
  PromotedFrom,
  DeploymentSettings,
  Deployment,
  ChangedContainer,
  EcsProgress,
  EcsRollback,
  EcsNativeDeployment,
  OrphanCleanup,
  BatchProgress,
  BatchTestJob,
  LambdaProgress,
  RolloutStatus,
  EcsRolloutStatus,
  RollbackVerdict,
  SmokeCheckProgress,
  SmokeProgress,
  CaughtError,
  SlotHoldProgress,
  ApprovalProgress,
  ScanGateProgress,
  PreDeployTaskProgress,
  DeploymentState,
};
