import { jobDefinitionLabel } from '../functions/batch/job-definition';
import { taskDefinitionLabel } from '../functions/ecs/task-definition';
import type { ChangedContainer, DeploymentState } from '../functions/shared/deployment';
import { shortDigest } from '../functions/shared/image';

/**
 * The states of statemachines/deploy.asl.json in words: which phase of a
 * deployment each belongs to, and what a finished step did, read from its output.
 * A state this file does not know is shown by its name.
 */

const PHASES: [RegExp, string][] = [
  [/^ResolveDeployment$/, 'resolve'],
  [/^(HoldSlot|WaitForSlot)$/, 'slot'],
  [/^(RequestApproval|WaitForApproval|CheckApproval)$/, 'approval'],
  [/^Release[A-Za-z]+$/, 'release'],
  [/^(Announce[A-Za-z]+|Publish[A-Za-z]+)$/, 'event'],
  [/^LambdaPrepareFunction$/, 'prepare'],
  [/^BatchRegisterJobDefinition$/, 'register'],
  [/^EcsRegisterNewRevision$/, 'register'],
  [/^(EcsRunPreDeployTask|WaitForPreDeployTask|EcsCheckPreDeployTask)$/, 'pre-deploy task'],
  [/^EcsDeployNewRevision$/, 'update service'],
  [/^(WaitForEcsRollout|WaitForEcsRolloutAgain|EcsCheckRollout)$/, 'rollout'],
  [/^EcsVerifyRunningImage$/, 'verify image'],
  [/^(BatchSubmitTestJob|WaitForBatchTestJob|BatchCheckTestJob)$/, 'test job'],
  [/^(LambdaUpdateFunctionCode|WaitForLambdaUpdate|LambdaCheckUpdate)$/, 'update code'],
  [/^LambdaPublishVersion$/, 'publish'],
  [/^(LambdaShiftTraffic|WaitForLambdaBake|LambdaCheckCanary)$/, 'shift traffic'],
  [/^(RunSmokeTests|WaitBeforeSmokeRetry)$/, 'smoke test'],
  [/^EcsDeregisterOrphan$/, 'clean up'],
  [/(RollBack|Rollback)/, 'rollback'],
];

/** The phase a state belongs to (`rollout`, `smoke test`, …), or the state's name. */
function phaseOf(stateName: string): string {
  return PHASES.find(([pattern]) => pattern.test(stateName))?.[1] ?? stateName;
}

/** Steps that look again and again while waiting: a line only when what they see changes. */
function isPollingStep(stateName: string): boolean {
  return /^(CheckApproval|EcsCheckPreDeployTask|EcsCheckRollout|EcsCheckRollback|BatchCheckTestJob|LambdaCheckUpdate|LambdaCheckRollback|LambdaCheckCanary|RunSmokeTests)$/.test(stateName);
}

/** Steps not worth a line of their own: publishing events (the outcome says where it ended). */
function isQuietStep(stateName: string): boolean {
  return phaseOf(stateName) === 'event';
}

/** `…dkr.ecr…/repo@sha256:abcdef…` → `repo@sha256:abcdef123456`. */
function shortImage(image: string): string {
  const withoutRegistry = image.replace(/^[^/]+\.amazonaws\.com(\.cn)?\//, '');
  return withoutRegistry.replace(/@sha256:([a-f0-9]{12})[a-f0-9]+/, '@sha256:$1');
}

/** `v1.4.0 @ sha256:7f5b2640fe6f`. */
function imageLabel(image: { tag?: string; digest: string } | undefined): string {
  if (!image) return '-';
  return `${image.tag ?? '(no tag)'} @ sha256:${shortDigest(image.digest)}`;
}

function parseState(text: string | undefined): DeploymentState | undefined {
  if (!text) return undefined;
  try {
    const value = JSON.parse(text) as { deployment?: { changes?: unknown } } | null;
    // States of executions from before slots (one `target`, one `image`) are not described step by step.
    if (value !== null && typeof value === 'object' && Array.isArray(value.deployment?.changes)) return value as DeploymentState;
  } catch {
    // not a deployment state
  }
  return undefined;
}

/** Where a deployment deploys, for people: the slot its targets share. */
function targetPlace(state: DeploymentState): string {
  const target = state.deployment.changes[0]?.target;
  if (target?.ecs) return `ecs ${target.ecs.cluster}/${target.ecs.service}`;
  if (target?.batch) return `batch job definition ${target.batch.jobDefinition}`;
  if (target?.lambda) return `lambda ${target.lambda.function}${target.lambda.alias ? `:${target.lambda.alias}` : ''}`;
  return state.deployment.slot.kind;
}

/** `stream-ml-service v1.4.0 @ sha256:…`, one per target, for people. */
function changesText(state: DeploymentState): string {
  return state.deployment.changes
    .map((change) => `${change.target.name} ${imageLabel(change.image)}${change.rollbackOf ? ` (rolls back ${change.rollbackOf})` : ''}`)
    .join(', ');
}

/** `web: …@sha256:old → …@sha256:new; sidecar: …`, for the containers a register step changed. */
function containersText(containers: ChangedContainer[] | undefined): string {
  return (containers ?? []).map((c) => `${c.name}: ${shortImage(c.previousImage)} → ${shortImage(c.image)}`).join('; ');
}

function rolloutText(status: DeploymentState['rollout']): string {
  if (!status) return '';
  return `${status.status}: ${status.runningCount}/${status.desiredCount} tasks running${status.drainingSince && status.status !== 'COMPLETED' ? ', the old ones draining' : ''}`;
}

function checksText(smoke: DeploymentState['smoke']): string {
  const checks = smoke?.checks ?? [];
  return checks.length === 0 ? 'no HTTP or invoke smoke tests configured' : checks.map((c) => `${c.passed ? 'pass' : 'fail'}: ${c.lastResult ?? ''}`).join('; ');
}

/** What HoldSlot found: the slot held (by which deployment), a wait for the other targets' images, or a wait in line. */
function describeSlotHold(state: DeploymentState): string {
  const hold = state.slotHold;
  if (!hold) return '';
  if (hold.held) return `holds ${state.deployment.slot.key}${state.deployment.generation !== undefined ? ` (generation ${state.deployment.generation})` : ''}${hold.announced ? '; event → STARTED' : ''}`;
  if (hold.heldBy) return `${state.deployment.slot.key} is held by ${hold.heldBy}: waits its turn${hold.until ? ` until ${hold.until}` : ''}`;
  if (hold.merged) return `holds ${state.deployment.slot.key}; waits for the images of its other targets`;
  return `waits for ${state.deployment.slot.key}`;
}

/** Where an approval stands: waiting (until when, and the command that decides it), or decided. */
function approvalText(state: DeploymentState): string {
  const approval = state.approval;
  if (!approval) return '';
  if (approval.status === 'pending') return `waits for approval until ${approval.until}: npx ecr-deployer approve ${state.deployment.id}`;
  if (approval.status === 'approved') return `approved by ${approval.by} at ${approval.at}`;
  return `${approval.status}: ${approval.reason}`;
}

/** What a release did: gave the slot up, and started the next deployment. */
function describeSlotRelease(state: DeploymentState): string {
  const release = state.slotRelease;
  if (!release) return '';
  const released = release.released ? 'slot released' : 'held no slot';
  return release.next ? `${released}; next: ${release.next}` : released;
}

/** What a finished step did, in one line, read from its output. */
function describeStep(stateName: string, state: DeploymentState | undefined): string {
  if (!state) return '';
  const { ecs, batch, lambda } = state;
  switch (stateName) {
    case 'ResolveDeployment':
      return `${changesText(state)} (${targetPlace(state)})`;
    case 'HoldSlot':
      return describeSlotHold(state);
    case 'RequestApproval':
    case 'CheckApproval':
      return approvalText(state);
    case 'ReleaseAfterSucceeded':
    case 'ReleaseAfterNotApproved':
    case 'ReleaseAfterFailed':
    case 'ReleaseAfterRolledBack':
    case 'ReleaseAfterRollbackFailed':
    case 'ReleaseAfterRejected':
      return describeSlotRelease(state);
    case 'EcsDeployNewRevision':
      return ecs?.newTaskDefinitionArn
        ? `service ${taskDefinitionLabel(ecs.previousTaskDefinitionArn)} (the rollback target) → ${taskDefinitionLabel(ecs.newTaskDefinitionArn)} (ECS deployment ${ecs.deploymentId ?? '?'}); ${containersText(ecs.containers)}`
        : '';
    case 'EcsRegisterNewRevision':
      return ecs?.newTaskDefinitionArn ? `registered ${taskDefinitionLabel(ecs.newTaskDefinitionArn)} (the service stays on ${taskDefinitionLabel(ecs.previousTaskDefinitionArn)} until the pre-deploy task exits 0); ${containersText(ecs.containers)}` : '';
    case 'EcsRunPreDeployTask':
    case 'EcsCheckPreDeployTask':
      return state.preDeployTask ? `pre-deploy task ${state.preDeployTask.taskArn.slice(state.preDeployTask.taskArn.lastIndexOf('/') + 1)} (container ${state.preDeployTask.container}): ${state.preDeployTask.status === 'SUCCEEDED' ? 'exited 0' : 'running'}` : '';
    case 'EcsCheckRollout':
      return rolloutText(state.rollout);
    case 'EcsCheckRollback':
      return rolloutText(state.rollbackRollout);
    case 'LambdaCheckRollback':
      return state.rollbackRollout?.status === 'COMPLETED' ? 'the function is back where it was' : 'rollback in progress';
    case 'EcsVerifyRunningImage':
      return state.verification ? `${state.verification.verifiedTasks} task(s) run ${state.verification.digests.map((d) => `sha256:${shortDigest(d)}`).join(' and ')}` : '';
    case 'BatchRegisterJobDefinition':
      return batch
        ? `${jobDefinitionLabel(batch.previousJobDefinitionArn)} → ${jobDefinitionLabel(batch.newJobDefinitionArn)}; ${containersText(batch.containers)}`
        : '';
    case 'BatchSubmitTestJob':
      return state.batchTest?.submitted ? `test job ${state.batchTest.jobName} → queue ${state.batchTest.jobQueue}` : 'no test job configured';
    case 'BatchCheckTestJob':
      return `test job ${state.batchTest?.status ?? '?'}`;
    case 'LambdaPrepareFunction':
      return lambda ? `${lambda.functionName} runs ${shortImage(lambda.previousResolvedImageUri ?? lambda.previousImageUri)}${lambda.alias ? `, alias ${lambda.alias} → version ${lambda.previousVersion ?? '?'}` : ''}` : '';
    case 'LambdaUpdateFunctionCode':
      return lambda ? `${lambda.functionName} → ${shortImage(state.deployment.changes[0]?.image.uri ?? '')}` : '';
    case 'LambdaCheckUpdate':
      return state.lambdaUpdate?.status === 'COMPLETED' ? 'update Successful, the function runs the new digest' : 'update in progress';
    case 'LambdaPublishVersion':
      return lambda?.newVersion ? `version ${lambda.newVersion}` : '';
    case 'LambdaShiftTraffic': {
      const traffic = lambda?.traffic;
      if (!traffic || !lambda) return '';
      if (!lambda.alias) return 'no alias: $LATEST serves the new image';
      return traffic.complete
        ? `alias ${lambda.alias} → version ${lambda.newVersion ?? '?'} (100 %)`
        : `alias ${lambda.alias}: ${traffic.weightPercent} % on version ${lambda.newVersion ?? '?'}, the rest on ${lambda.previousVersion ?? '?'} (canary ${traffic.step + 1}/${traffic.steps})`;
    }
    case 'LambdaCheckCanary':
      return checksText((state as DeploymentState & { canaryCheck?: DeploymentState['smoke'] }).canaryCheck);
    case 'RunSmokeTests':
      return checksText(state.smoke);
    case 'EcsRollBackService': {
      const rollback = ecs?.rollback;
      if (!rollback) return '';
      const label = taskDefinitionLabel(rollback.taskDefinitionArn);
      if (rollback.action === 'updated-service') return `service → ${label} (the recorded revision)`;
      if (rollback.action === 'already-rolled-back') return `ECS already put the service back on ${label}`;
      return `service never left ${label}: nothing to undo`;
    }
    case 'BatchRollBackJobDefinition':
      return batch?.rollback ? `jobs by name get ${jobDefinitionLabel(batch.rollback.latestJobDefinitionArn)} again` : '';
    case 'LambdaRollBack':
      return lambda?.rollback ? `${lambda.rollback.action}: ${lambda.rollback.target}` : '';
    case 'EcsDeregisterOrphan': {
      const orphan = (state as DeploymentState & { orphan?: { deregistered?: string } }).orphan?.deregistered;
      return orphan ? `deregistered unused ${taskDefinitionLabel(orphan)}` : 'nothing to clean up';
    }
    default:
      return '';
  }
}

/** What the target runs after a successful deployment. */
function describeSuccess(state: DeploymentState | undefined): string {
  if (!state) return '';
  const image = state.deployment.changes.map((c) => imageLabel(c.image)).join(', ');
  if (state.ecs?.newTaskDefinitionArn) return `${state.ecs.service} runs ${taskDefinitionLabel(state.ecs.newTaskDefinitionArn)} (${image})`;
  if (state.batch) return `jobs submitted as ${state.batch.jobDefinitionName} get ${jobDefinitionLabel(state.batch.newJobDefinitionArn)} (${image})`;
  if (state.lambda) return `${state.lambda.functionName}${state.lambda.alias ? `:${state.lambda.alias}` : ''} → version ${state.lambda.newVersion ?? '$LATEST'} (${image})`;
  return `${state.deployment.changes.map((c) => c.target.name).join(', ')} runs ${image}`;
}

/** Where the target is after a rollback. */
function describeRolledBack(state: DeploymentState | undefined): string {
  if (!state) return '';
  if (state.ecs) return `${state.ecs.service} is back on ${taskDefinitionLabel(state.ecs.rollback?.taskDefinitionArn ?? state.ecs.previousTaskDefinitionArn)}`;
  if (state.batch) return `jobs submitted as ${state.batch.jobDefinitionName} get ${jobDefinitionLabel(state.batch.rollback?.latestJobDefinitionArn ?? state.batch.previousJobDefinitionArn)} again`;
  if (state.lambda) return `${state.lambda.functionName} is back on ${state.lambda.rollback?.target ?? state.lambda.previousVersion ?? 'its previous image'}`;
  return '';
}

/**
 * The message of a Step Functions Cause: a Lambda error's Cause is JSON
 * (`{"errorType","errorMessage","trace"}`); anything else is the message.
 */
function causeMessage(cause: string | undefined): string {
  if (!cause) return '';
  try {
    const parsed = JSON.parse(cause) as { errorMessage?: unknown };
    if (typeof parsed.errorMessage === 'string') return parsed.errorMessage;
  } catch {
    // plain text
  }
  return cause;
}

export { approvalText, phaseOf, isPollingStep, isQuietStep, describeStep, describeSuccess, describeRolledBack, describeSlotHold, describeSlotRelease, causeMessage, parseState, imageLabel, shortImage, targetPlace, changesText };
