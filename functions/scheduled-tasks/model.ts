import type { Target } from '@aws-sdk/client-eventbridge';
import type { TargetConfig } from '../config/schema';
import { SCHEDULED_TASKS_LISTED, SCHEDULED_TASK_MESSAGE_LENGTH } from '../config/state-budget';
import type { TargetChange } from '../shared/deployment';
import type { SCHEDULED_TASK_ERRORS } from '../shared/error-names';

/**
 * Scheduled tasks that follow a deployment: EventBridge rules whose targets run the
 * service's task-definition family (ECS) or submit the job definition (Batch) pinned to
 * a revision. After a deployment SUCCEEDED they are re-pointed to its revision, every
 * other field of the target kept. Pure: what to change; ./repoint.ts reads and writes.
 */

/** The role the ECS console creates for scheduled tasks: what a target may run with unless deployments.yml names others. */
const DEFAULT_ECS_EVENTS_ROLE = 'ecsEventsRole';

/** The rules one deployment re-points, merged over the targets of its slot (README, "Scheduled tasks follow the deployment"). */
interface ScheduledRules {
  /** Rule names of the default event bus. */
  rules: string[];
  /** ECS `auto`: also every rule whose targets are the service's cluster. */
  auto: boolean;
  /** Role names the rules' targets may run with: the deployer passes only these (iam:PassRole). */
  eventsRoles: string[];
}

type ScheduledTaskError = (typeof SCHEDULED_TASK_ERRORS)[number];

/** A target of a rule moved to the deployment's revision (`from` absent when a retried step found it moved already). */
interface RepointedScheduledTask {
  rule: string;
  targetId: string;
  from?: string;
  to: string;
}

/** A rule or target that could not follow, by name: the deployment itself is not affected. */
interface ScheduledTaskProblem {
  rule: string;
  targetId?: string;
  error: ScheduledTaskError;
  message: string;
}

/** What re-pointing did, bounded to what a state and an event can carry. */
interface ScheduledTasksOutcome {
  repointed: RepointedScheduledTask[];
  failed: ScheduledTaskProblem[];
  /** Entries left out of the lists above (there were more than MAX_LISTED). */
  omitted?: number;
}

/** Entries per list in the state and the event; a message cut to MAX_MESSAGE characters (as the state budget counts them). */
const MAX_LISTED = SCHEDULED_TASKS_LISTED;
const MAX_MESSAGE = SCHEDULED_TASK_MESSAGE_LENGTH;

/** The rules one target configures, its short forms spelled out (pure; also what scripts/serverless-config.js grants). */
function rulesOfTarget(target: Pick<TargetConfig, 'ecs' | 'batch'>): ScheduledRules | undefined {
  const ecs = target.ecs?.scheduledTasks;
  if (ecs === 'auto') return { rules: [], auto: true, eventsRoles: [DEFAULT_ECS_EVENTS_ROLE] };
  if (Array.isArray(ecs)) return { rules: ecs, auto: false, eventsRoles: [DEFAULT_ECS_EVENTS_ROLE] };
  if (ecs) return { rules: ecs.rules === 'auto' ? [] : ecs.rules, auto: ecs.rules === 'auto', eventsRoles: ecs.eventsRoles };
  const batch = target.batch?.scheduledJobs;
  return batch ? { rules: batch.rules, auto: false, eventsRoles: batch.eventsRoles } : undefined;
}

/** The rules of a deployment's targets, merged, or undefined when none of them has any (pure). */
function scheduledRulesOf(changes: readonly TargetChange[]): ScheduledRules | undefined {
  const configured = changes.flatMap((change) => rulesOfTarget(change.target) ?? []);
  if (configured.length === 0) return undefined;
  return {
    rules: [...new Set(configured.flatMap((c) => c.rules))],
    auto: configured.some((c) => c.auto),
    eventsRoles: [...new Set(configured.flatMap((c) => c.eventsRoles))],
  };
}

/** `arn:aws:iam::123456789012:role/service-role/x` → `service-role/x`: the name (with its path) deployments.yml gives. */
function roleNameOf(roleArn: string): string {
  const at = roleArn.indexOf(':role/');
  return at < 0 ? roleArn : roleArn.slice(at + ':role/'.length);
}

/** A pinned reference: the family (or job definition name) and its revision; no revision when it names the family alone. */
function pinnedReference(reference: string, resource: 'task-definition' | 'job-definition'): { family: string; revision?: number } {
  const afterResource = reference.startsWith('arn:') ? reference.slice(reference.indexOf(`:${resource}/`) + resource.length + 2) : reference;
  const [family = '', revision] = afterResource.split(':');
  return revision !== undefined && /^\d+$/.test(revision) ? { family, revision: Number(revision) } : { family };
}

type TargetDecision =
  | { action: 'repoint'; target: Target; change: RepointedScheduledTask }
  | { action: 'moved-already'; change: RepointedScheduledTask }
  | { action: 'not-ours' }
  | { action: 'follows-latest' }
  | { action: 'refuse'; problem: ScheduledTaskProblem };

interface NewRevision {
  /** Task-definition family or job definition name. */
  family: string;
  /** The revision the deployment left (an ARN). */
  arn: string;
  revision: number;
  eventsRoles: string[];
}

function roleProblem(rule: string, target: Target, eventsRoles: string[], field: string): ScheduledTaskProblem | undefined {
  if (target.RoleArn === undefined || eventsRoles.includes(roleNameOf(target.RoleArn))) return undefined;
  return {
    rule,
    targetId: target.Id,
    error: 'ScheduledTaskRoleNotAllowed',
    message: `target ${target.Id} of rule ${rule} runs with role ${roleNameOf(target.RoleArn)}, which the deployer may not pass to EventBridge: add it to ${field}.eventsRoles in deployments.yml`,
  };
}

/** Where a kind of rule target pins what it runs, and how a new revision is written there. */
interface PinnedField {
  resource: 'task-definition' | 'job-definition';
  /** The deployments.yml field whose eventsRoles allow its role. */
  configField: string;
  read: (target: Target) => string | undefined;
  write: (target: Target, current: string, next: NewRevision) => Target;
}

/** What to do with one target of a rule for the new revision (pure). */
function decisionFor(field: PinnedField): (rule: string, target: Target, next: NewRevision, label: (arn: string) => string) => TargetDecision {
  return (rule, target, next, label) => {
    const current = field.read(target);
    if (current === undefined) return { action: 'not-ours' };
    const pinned = pinnedReference(current, field.resource);
    if (pinned.family !== next.family) return { action: 'not-ours' };
    if (pinned.revision === undefined) return { action: 'follows-latest' };
    const change = { rule, targetId: target.Id ?? '', to: label(next.arn) };
    if (pinned.revision === next.revision) return { action: 'moved-already', change };
    const problem = roleProblem(rule, target, next.eventsRoles, field.configField);
    if (problem) return { action: 'refuse', problem };
    return { action: 'repoint', target: field.write(target, current, next), change: { ...change, from: label(current) } };
  };
}

/** An ECS target: EcsParameters.TaskDefinitionArn, always an ARN. */
const ecsTargetDecision = decisionFor({
  resource: 'task-definition',
  configField: 'ecs.scheduledTasks',
  read: (target) => target.EcsParameters?.TaskDefinitionArn,
  write: (target, _, next) => ({ ...target, EcsParameters: { ...target.EcsParameters, TaskDefinitionArn: next.arn } }),
});

/** A Batch target: BatchParameters.JobDefinition, kept in the form it was given in (name:revision or ARN). */
const batchTargetDecision = decisionFor({
  resource: 'job-definition',
  configField: 'batch.scheduledJobs',
  read: (target) => target.BatchParameters?.JobDefinition,
  write: (target, current, next) => {
    const JobDefinition = current.startsWith('arn:') ? next.arn : `${next.family}:${next.revision}`;
    return { ...target, BatchParameters: { JobName: target.BatchParameters?.JobName, ...target.BatchParameters, JobDefinition } };
  },
});

/** The outcome as the state carries it: lists of at most MAX_LISTED, messages of at most MAX_MESSAGE characters (pure). */
function boundedOutcome(repointed: RepointedScheduledTask[], failed: ScheduledTaskProblem[]): ScheduledTasksOutcome {
  const cut = (message: string) => (message.length <= MAX_MESSAGE ? message : `${message.slice(0, MAX_MESSAGE - 1)}…`);
  const omitted = Math.max(0, repointed.length - MAX_LISTED) + Math.max(0, failed.length - MAX_LISTED);
  return {
    repointed: repointed.slice(0, MAX_LISTED),
    failed: failed.slice(0, MAX_LISTED).map((problem) => ({ ...problem, message: cut(problem.message) })),
    ...(omitted > 0 ? { omitted } : {}),
  };
}

export { DEFAULT_ECS_EVENTS_ROLE, MAX_LISTED, MAX_MESSAGE, rulesOfTarget, scheduledRulesOf, roleNameOf, pinnedReference, ecsTargetDecision, batchTargetDecision, boundedOutcome };
export type { ScheduledRules, ScheduledTaskError, RepointedScheduledTask, ScheduledTaskProblem, ScheduledTasksOutcome, TargetDecision, NewRevision };
