import { ListRuleNamesByTargetCommand, ListTargetsByRuleCommand, PutTargetsCommand, ResourceNotFoundException, type Target } from '@aws-sdk/client-eventbridge';
import { jobDefinitionLabel } from '../batch/job-definition';
import { taskDefinitionLabel } from '../ecs/task-definition';
import { eventBridge } from '../shared/clients/eventbridge';
import { isTransientAwsError } from '../shared/aws-errors';
import type { DeploymentState } from '../shared/deployment';
import { InvalidInput } from '../shared/errors';
import {
  batchTargetDecision,
  boundedOutcome,
  ecsTargetDecision,
  pinnedReference,
  scheduledRulesOf,
  type NewRevision,
  type RepointedScheduledTask,
  type ScheduledRules,
  type ScheduledTaskProblem,
  type ScheduledTasksOutcome,
  type TargetDecision,
} from './model';

/** PutTargets takes at most 10 targets per call (EventBridge API reference, PutTargets). */
const PUT_TARGETS_MAX = 10;

type Decide = (rule: string, target: Target, next: NewRevision, label: (arn: string) => string) => TargetDecision;

/** Every item of a listing that pages with NextToken (EventBridge has no SDK paginators). */
async function allPages<T>(page: (NextToken: string | undefined) => Promise<{ items?: T[]; NextToken?: string }>): Promise<T[]> {
  const items: T[] = [];
  let NextToken: string | undefined;
  do {
    const answer = await page(NextToken);
    items.push(...(answer.items ?? []));
    NextToken = answer.NextToken;
  } while (NextToken);
  return items;
}

const targetsOfRule = (rule: string) =>
  allPages(async (NextToken) => {
    const answer = await eventBridge.send(new ListTargetsByRuleCommand({ Rule: rule, NextToken }));
    return { items: answer.Targets, NextToken: answer.NextToken };
  });

/** Rules of the default event bus with a target on `targetArn` (an ECS cluster). */
const rulesTargeting = (targetArn: string) =>
  allPages(async (NextToken) => {
    const answer = await eventBridge.send(new ListRuleNamesByTargetCommand({ TargetArn: targetArn, NextToken }));
    return { items: answer.RuleNames, NextToken: answer.NextToken };
  });

/** A failure that is not the platform's passing trouble, as a named problem of the rule; transient ones go up so the state retries. */
function problemOf(rule: string, error: unknown): ScheduledTaskProblem {
  if (isTransientAwsError(error)) throw error;
  if (error instanceof ResourceNotFoundException) {
    return { rule, error: 'ScheduledTaskRuleNotFound', message: `rule ${rule} does not exist on the default event bus: remove it from deployments.yml, or create it again` };
  }
  const failure = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
  return { rule, error: 'ScheduledTaskNotRepointed', message: `rule ${rule} could not be read or changed (${failure})` };
}

/**
 * Re-points every target of `rules` pinned to an older revision of `next.family`. Each
 * rule on its own: one that is gone or refused is a problem of its own, and the others
 * still follow. Safe to run twice: a target already on the new revision is left alone.
 */
async function repointRules(rules: ScheduledRules, named: Set<string>, next: NewRevision, decide: Decide, label: (arn: string) => string): Promise<ScheduledTasksOutcome> {
  const repointed: RepointedScheduledTask[] = [];
  const failed: ScheduledTaskProblem[] = [];
  for (const rule of rules.rules) {
    let decisions: TargetDecision[];
    try {
      decisions = (await targetsOfRule(rule)).map((target) => decide(rule, target, next, label));
    } catch (error) {
      failed.push(problemOf(rule, error));
      continue;
    }
    const pinned = decisions.filter((d) => d.action !== 'not-ours' && d.action !== 'follows-latest');
    if (pinned.length === 0 && named.has(rule) && !decisions.some((d) => d.action === 'follows-latest')) {
      failed.push({ rule, error: 'ScheduledTaskNotFound', message: `rule ${rule} has no target running ${next.family} pinned to a revision: remove it from deployments.yml, or point one of its targets at ${next.family}` });
    }
    for (const decision of pinned) {
      if (decision.action === 'refuse') failed.push(decision.problem);
      if (decision.action === 'moved-already') repointed.push(decision.change);
    }
    const changes = pinned.flatMap((d) => (d.action === 'repoint' ? [d] : []));
    for (let at = 0; at < changes.length; at += PUT_TARGETS_MAX) {
      const batch = changes.slice(at, at + PUT_TARGETS_MAX);
      try {
        const answer = await eventBridge.send(new PutTargetsCommand({ Rule: rule, Targets: batch.map((d) => d.target) }));
        const refused = new Map((answer.FailedEntries ?? []).map((entry) => [entry.TargetId, entry]));
        for (const decision of batch) {
          const entry = refused.get(decision.change.targetId);
          if (entry) failed.push({ rule, targetId: decision.change.targetId, error: 'ScheduledTaskNotRepointed', message: `EventBridge refused target ${decision.change.targetId} of rule ${rule}: ${entry.ErrorCode ?? ''} ${entry.ErrorMessage ?? ''}`.trim() });
          else repointed.push(decision.change);
        }
      } catch (error) {
        failed.push(problemOf(rule, error));
      }
    }
  }
  return boundedOutcome(repointed, failed);
}

function revisionOf(arn: string, resource: 'task-definition' | 'job-definition'): { family: string; revision: number } {
  const pinned = pinnedReference(arn, resource);
  if (pinned.revision === undefined) throw new InvalidInput(`${arn} names no revision`);
  return { family: pinned.family, revision: pinned.revision };
}

/** `arn:aws:ecs:<region>:<account>:service/<cluster>/<name>` → the cluster's ARN: the target ARN of its scheduled tasks. */
function clusterArnOf(serviceArn: string): string {
  const [prefix = '', path = ''] = serviceArn.split(':service/');
  return `${prefix}:cluster/${path.split('/')[0] ?? ''}`;
}

/** EcsRepointScheduledTasks: the service's scheduled tasks onto the revision this deployment left. */
async function repointScheduledTasks(state: DeploymentState): Promise<ScheduledTasksOutcome> {
  const rules = scheduledRulesOf(state.deployment.changes);
  const arn = state.ecs?.newTaskDefinitionArn;
  if (!rules || !arn || !state.ecs) return { repointed: [], failed: [] };
  const named = new Set(rules.rules);
  const found = rules.auto ? await rulesTargeting(clusterArnOf(state.ecs.serviceArn)) : [];
  const all = { ...rules, rules: [...new Set([...rules.rules, ...found])] };
  return repointRules(all, named, { ...revisionOf(arn, 'task-definition'), arn, eventsRoles: rules.eventsRoles }, ecsTargetDecision, taskDefinitionLabel);
}

/** BatchRepointScheduledJobs: the rules submitting the job definition by name:revision onto this deployment's revision. */
async function repointScheduledJobs(state: DeploymentState): Promise<ScheduledTasksOutcome> {
  const rules = scheduledRulesOf(state.deployment.changes);
  const arn = state.batch?.newJobDefinitionArn;
  if (!rules || !arn) return { repointed: [], failed: [] };
  return repointRules(rules, new Set(rules.rules), { ...revisionOf(arn, 'job-definition'), arn, eventsRoles: rules.eventsRoles }, batchTargetDecision, jobDefinitionLabel);
}

export { repointScheduledTasks, repointScheduledJobs, clusterArnOf };
