import { jobDefinitionLabel } from '../functions/batch/job-definition';
import { taskDefinitionLabel } from '../functions/ecs/task-definition';
import type { DeploymentState } from '../functions/shared/deployment';
import { isOutcomeStatus, OUTCOME_WORDS, outcomeText } from '../functions/events/statuses';
import { shortDigest } from '../functions/shared/image';
import { approvalText, describeSlotHold, describeSlotRelease, describeStep, targetPlace } from '../cli/steps';
import type { ExecutionEvent } from './state-machine';

/** Shortens `…dkr.ecr…/repo@sha256:abcdef…` to `repo@sha256:abcdef123456` for reading. */
function shortImage(image: string): string {
  const withoutRegistry = image.replace(/^[^/]+\.amazonaws\.com\//, '');
  return withoutRegistry.replace(/@sha256:([a-f0-9]{12})[a-f0-9]+/, '@sha256:$1…');
}

function describeCheckResult(state: DeploymentState, key: 'rollout' | 'rollbackRollout'): string {
  const status = state[key];
  if (!status) return '';
  const draining = key === 'rollout' && state.rollout?.drainingSince && status.status !== 'COMPLETED' ? ', the old ones draining' : '';
  return `${status.status} — ${status.runningCount}/${status.desiredCount} tasks running${draining}`;
}

/** What a state did, in one line, read from the state's output. */
function summarise(stateName: string, output: DeploymentState | undefined, publishStatus: Record<string, string>): string {
  if (publishStatus[stateName]) return `event → ${publishStatus[stateName]}`;
  if (!output || typeof output !== 'object' || !output.deployment) return '';
  const ecs = output.ecs;
  switch (stateName) {
    case 'ResolveDeployment': {
      const targets = output.deployment.changes.map(({ target, image }) => `${target.name} gets ${image.repository}:${image.tag ?? '-'} @ sha256:${shortDigest(image.digest)}…`);
      return `${targets.join(', ')} (${targetPlace(output)})`;
    }
    case 'HoldSlot':
      return describeSlotHold(output);
    case 'RequestApproval':
    case 'CheckApproval':
      return approvalText(output);
    case 'EcsRegisterNewRevision':
    case 'EcsRunPreDeployTask':
    case 'EcsCheckPreDeployTask':
      return describeStep(stateName, output);
    case 'ReleaseAfterNotApproved':
    case 'ReleaseAfterSucceeded':
    case 'ReleaseAfterFailed':
    case 'ReleaseAfterRolledBack':
    case 'ReleaseAfterRollbackFailed':
    case 'ReleaseAfterRejected':
      return describeSlotRelease(output);
    case 'EcsDeployNewRevision':
      return ecs?.newTaskDefinitionArn
        ? `service ${taskDefinitionLabel(ecs.previousTaskDefinitionArn)} (rollback target) → ${taskDefinitionLabel(ecs.newTaskDefinitionArn)}, deployment ${ecs.deploymentId}; ${(ecs.containers ?? [])
            .map((c) => `${c.name}: ${shortImage(c.previousImage)} → ${shortImage(c.image)}`)
            .join('; ')}`
        : '';
    case 'EcsCheckRollout':
      return describeCheckResult(output, 'rollout');
    case 'EcsCheckRollback':
      return describeCheckResult(output, 'rollbackRollout');
    case 'EcsVerifyRunningImage':
      return output.verification ? `${output.verification.verifiedTasks} task(s) run ${output.verification.digests.map((d) => `sha256:${shortDigest(d)}…`).join(' and ')}` : '';
    case 'RunSmokeTests': {
      const checks = output.smoke?.checks ?? [];
      return checks.length === 0 ? 'no HTTP smoke tests configured' : checks.map((c) => `${c.passed ? 'pass' : 'fail'}: ${c.lastResult ?? ''}`).join('; ');
    }
    case 'EcsRollBackService': {
      const rollback = ecs?.rollback;
      if (!rollback) return '';
      const label = taskDefinitionLabel(rollback.taskDefinitionArn);
      if (rollback.action === 'updated-service') return `service → ${label} (the recorded revision), deployment ${rollback.deploymentId}`;
      if (rollback.action === 'already-rolled-back') return `ECS already put the service back on ${label}: not fighting it`;
      return `service never left ${label}: nothing to undo`;
    }
    case 'EcsDeregisterOrphan': {
      const orphan = (output as DeploymentState & { orphan?: { deregistered?: string } }).orphan?.deregistered;
      return orphan ? `deregistered unused ${taskDefinitionLabel(orphan)}` : 'nothing registered, nothing to clean up';
    }
    case 'BatchRegisterJobDefinition': {
      const batch = output.batch;
      if (!batch) return '';
      const images = batch.containers.map((c) => `${c.name}: ${shortImage(c.previousImage)} → ${shortImage(c.image)}`).join('; ');
      return `${jobDefinitionLabel(batch.previousJobDefinitionArn)} → ${jobDefinitionLabel(batch.newJobDefinitionArn)}; ${images}`;
    }
    case 'BatchSubmitTestJob':
      return output.batchTest?.submitted ? `test job ${output.batchTest.jobName} → queue ${output.batchTest.jobQueue}, on the new revision` : 'no test job configured';
    case 'BatchCheckTestJob':
      return `test job ${output.batchTest?.status ?? '?'}`;
    case 'BatchRollBackJobDefinition': {
      const rollback = output.batch?.rollback;
      if (!rollback) return '';
      const removed = rollback.deregistered ? `deregistered ${jobDefinitionLabel(rollback.deregistered)}; ` : '';
      return `${removed}jobs by name get ${jobDefinitionLabel(rollback.latestJobDefinitionArn)} again`;
    }
    case 'LambdaPrepareFunction': {
      const fn = output.lambda;
      if (!fn) return '';
      return `function runs ${shortImage(fn.previousImageUri)}${fn.alias ? `; alias ${fn.alias} → version ${fn.previousVersion} (rollback target)` : ''}`;
    }
    case 'LambdaUpdateFunctionCode':
      return `UpdateFunctionCode → ${shortImage(output.deployment.changes[0]?.image.uri ?? '?')} (RevisionId-guarded)`;
    case 'LambdaCheckUpdate':
      return output.lambdaUpdate?.status === 'COMPLETED' ? 'Successful; ResolvedImageUri has the pushed digest' : 'InProgress';
    case 'LambdaPublishVersion':
      return `published version ${output.lambda?.newVersion ?? '?'}`;
    case 'LambdaShiftTraffic': {
      const fn = output.lambda;
      const traffic = fn?.traffic;
      if (!fn || !traffic) return '';
      if (!fn.alias) return 'no alias: $LATEST serves the new code';
      return traffic.complete
        ? `alias ${fn.alias} → version ${fn.newVersion} (100 %)`
        : `alias ${fn.alias}: ${traffic.weightPercent} % to version ${fn.newVersion}, rest on ${fn.previousVersion} (canary ${traffic.step + 1}/${traffic.steps})`;
    }
    case 'LambdaCheckCanary': {
      const checks = (output as DeploymentState & { canaryCheck?: DeploymentState['smoke'] }).canaryCheck?.checks ?? [];
      return checks.map((c) => `${c.passed ? 'pass' : 'fail'}: ${c.lastResult ?? ''}`).join('; ');
    }
    case 'LambdaRollBack': {
      const rollback = output.lambda?.rollback;
      if (!rollback) return '';
      if (rollback.action === 'alias-restored') return `alias ${output.lambda?.alias} → version ${rollback.target} again`;
      if (rollback.action === 'code-restored') return `UpdateFunctionCode → ${shortImage(rollback.target)} again`;
      return 'the function never left its previous image';
    }
    case 'LambdaCheckRollback':
      return output.rollbackRollout?.status === 'COMPLETED' ? 'verified: the function is back where it was' : 'InProgress';
    default:
      return '';
  }
}

function formatDuration(ms: number): string {
  return ms < 1000 ? `${ms} ms` : `${(ms / 1000).toFixed(1)} s`;
}

/**
 * One line per state: number, name, duration, what changed. Waits show the time
 * they would take in AWS; locally they are skipped.
 */
function renderTimeline(
  events: ExecutionEvent[],
  definition: { States: Record<string, { Type: string; Resource?: string; SecondsPath?: string; Parameters?: { step?: string; payload?: { status?: string } } }> },
): string[] {
  const publishStatus: Record<string, string> = {};
  for (const [name, state] of Object.entries(definition.States)) {
    const status = state.Parameters?.payload?.status;
    if (status && state.Parameters?.step === 'publishDeploymentEvent') publishStatus[name] = status;
  }
  const lines: string[] = [];
  const entered = new Map<string, number>();
  let step = 0;
  for (const event of events) {
    const name = event.state?.name ?? '';
    if (event.type === 'StateEntered') entered.set(name, event.timestamp);
    if (event.type === 'StateRetried') lines.push(`      ↻ ${name}: transient AWS error, retried with backoff`);
    if (event.type === 'StateFailed' && event.state?.type === 'Task') lines.push(`      ✗ ${name}: ${event.Error}: ${String(event.Cause ?? '')}`);
    if (event.type !== 'StateExited') continue;
    const type = event.state?.type ?? '';
    if (type === 'Choice' || type === 'Pass' || type === 'Succeed' || type === 'Fail') continue;
    step += 1;
    const duration = formatDuration(event.timestamp - (entered.get(name) ?? event.timestamp));
    let summary: string;
    if (type === 'Wait') {
      const seconds = definition.States[name]?.SecondsPath;
      const input = event.state?.input as Record<string, Record<string, unknown>> | undefined;
      const path = seconds?.replace(/^\$\./, '').split('.') ?? [];
      const value = path.reduce<unknown>((obj, key) => (obj && typeof obj === 'object' ? (obj as Record<string, unknown>)[key] : undefined), input);
      summary = `waits ${String(value ?? '?')} s in AWS (skipped here)`;
    } else {
      summary = summarise(name, event.state?.output as DeploymentState | undefined, publishStatus);
    }
    lines.push(`  ${String(step).padStart(2)}. ${name.padEnd(26)} ${duration.padStart(7)}  ${summary}`);
  }
  return lines;
}

/**
 * How a deployment ended, in the words the CLI uses (README, "Operating"): from its
 * last event, since the execution's own status says FAILED for a rollback too.
 */
function outcomeWords(lastEventStatus: string | undefined): string {
  const status = lastEventStatus && isOutcomeStatus(lastEventStatus) ? lastEventStatus : 'FAILED';
  const mark = status === 'SUCCEEDED' ? '✔' : status === 'SKIPPED' ? '⏭' : '✘';
  return `${mark} ${status === 'SUCCEEDED' || status === 'SKIPPED' ? OUTCOME_WORDS[status].name : outcomeText(status)}`;
}

export { outcomeWords, renderTimeline, shortImage };
