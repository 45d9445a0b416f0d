import type { Target } from '@aws-sdk/client-eventbridge';
import { parseDeploymentsYaml } from '../../../functions/config/load';
import { batchTargetDecision, boundedOutcome, ecsTargetDecision, pinnedReference, rulesOfTarget } from '../../../functions/scheduled-tasks/model';

/** Which rule targets follow a new revision, and in what form; how deployments.yml names the rules. */

const taskDefinition = (label: string) => `arn:aws:ecs:us-east-1:123456789012:task-definition/${label}`;
const NEXT = { family: 'web', arn: taskDefinition('web:8'), revision: 8, eventsRoles: ['ecsEventsRole'] };
const label = (arn: string) => arn.slice(arn.lastIndexOf('/') + 1);
const ecsTarget = (TaskDefinitionArn: string, RoleArn = 'arn:aws:iam::123456789012:role/ecsEventsRole'): Target => ({ Id: 't', Arn: 'arn:aws:ecs:us-east-1:123456789012:cluster/prod', RoleArn, EcsParameters: { TaskDefinitionArn, TaskCount: 2 } });

describe('a rule target and the new revision', () => {
  it.each([
    ['pinned to an older revision', taskDefinition('web:7'), 'repoint'],
    ['pinned to a newer one than the service ran', taskDefinition('web:9'), 'repoint'],
    ['already on the new revision (a retried step)', taskDefinition('web:8'), 'moved-already'],
    ['naming the family alone (the latest ACTIVE revision)', taskDefinition('web'), 'follows-latest'],
    ['of another family', taskDefinition('web-worker:7'), 'not-ours'],
  ])('ECS, %s: %s', (_, arn, action) => {
    expect(ecsTargetDecision('nightly', ecsTarget(arn), NEXT, label).action).toBe(action);
  });

  it('keeps every other field of the target', () => {
    const decision = ecsTargetDecision('nightly', { ...ecsTarget(taskDefinition('web:7')), Input: '{"containerOverrides":[]}' }, NEXT, label);

    expect(decision).toEqual({
      action: 'repoint',
      target: { ...ecsTarget(taskDefinition('web:8')), Input: '{"containerOverrides":[]}' },
      change: { rule: 'nightly', targetId: 't', from: 'web:7', to: 'web:8' },
    });
  });

  it('refuses a target whose role the deployer may not pass, with the field to add it to', () => {
    const decision = ecsTargetDecision('nightly', ecsTarget(taskDefinition('web:7'), 'arn:aws:iam::123456789012:role/service-role/custom'), NEXT, label);

    expect(decision).toMatchObject({ action: 'refuse', problem: { error: 'ScheduledTaskRoleNotAllowed', message: expect.stringContaining('role service-role/custom') } });
    expect(ecsTargetDecision('nightly', ecsTarget(taskDefinition('web:7'), 'arn:aws:iam::123456789012:role/service-role/custom'), { ...NEXT, eventsRoles: ['service-role/custom'] }, label).action).toBe('repoint');
  });

  it.each([
    ['etl:3', 'etl:8'],
    ['arn:aws:batch:us-east-1:123456789012:job-definition/etl:3', 'arn:aws:batch:us-east-1:123456789012:job-definition/etl:8'],
  ])('Batch, %s becomes %s: the form it was given in', (before, after) => {
    const next = { family: 'etl', arn: 'arn:aws:batch:us-east-1:123456789012:job-definition/etl:8', revision: 8, eventsRoles: ['submit'] };
    const decision = batchTargetDecision('etl-0300', { Id: 'j', Arn: 'q', RoleArn: 'arn:aws:iam::123456789012:role/submit', BatchParameters: { JobDefinition: before, JobName: 'nightly' } }, next, label);

    expect(decision).toMatchObject({ action: 'repoint', target: { BatchParameters: { JobDefinition: after, JobName: 'nightly' } } });
  });

  it('reads a family and its revision from an ARN or name:revision', () => {
    expect(pinnedReference(taskDefinition('web:12'), 'task-definition')).toEqual({ family: 'web', revision: 12 });
    expect(pinnedReference('etl', 'job-definition')).toEqual({ family: 'etl' });
  });

  it('keeps the record within what the state budget counts', () => {
    const many = Array.from({ length: 30 }, (_, i) => ({ rule: `r${i}`, targetId: 't', to: 'web:8' }));
    const outcome = boundedOutcome(many, [{ rule: 'x', error: 'ScheduledTaskNotRepointed', message: 'y'.repeat(1000) }]);

    expect(outcome.repointed).toHaveLength(20);
    expect(outcome.omitted).toBe(10);
    expect(outcome.failed[0]?.message).toHaveLength(300);
  });
});

describe('scheduled tasks in deployments.yml', () => {
  const ecs = (scheduledTasks: string) => parseDeploymentsYaml(`targets:\n  - name: web\n    repository: web\n    ecs: { cluster: prod, service: web, scheduledTasks: ${scheduledTasks} }\n`).targets[0]!;

  it.each([
    ['a list of rules', '[nightly, hourly]', { rules: ['nightly', 'hourly'], auto: false, eventsRoles: ['ecsEventsRole'] }],
    ['auto', 'auto', { rules: [], auto: true, eventsRoles: ['ecsEventsRole'] }],
    ['rules with their roles', '{ rules: [nightly], eventsRoles: [service-role/web-events] }', { rules: ['nightly'], auto: false, eventsRoles: ['service-role/web-events'] }],
  ])('ECS, %s', (_, yaml, rules) => {
    expect(rulesOfTarget(ecs(yaml))).toEqual(rules);
  });

  it.each([
    ['a wildcard rule', '["nightly-*"]', 'wildcards are not allowed'],
    ['a rule ARN', '["arn:aws:events:us-east-1:123456789012:rule/nightly"]', "give the EventBridge rule's name, not an ARN"],
    ['more than ten rules', `[${Array.from({ length: 11 }, (_, i) => `r${i}`).join(', ')}]`, 'scheduledTasks'],
  ])('refuses %s, naming the field', (_, yaml, message) => {
    expect(() => ecs(yaml)).toThrow(message);
  });

  it('Batch: the rules and the roles their targets run with, both named', () => {
    const batch = (scheduledJobs: string) => parseDeploymentsYaml(`targets:\n  - name: etl\n    repository: etl\n    batch: { jobDefinition: etl, scheduledJobs: ${scheduledJobs} }\n`).targets[0]!;

    expect(rulesOfTarget(batch('{ rules: [etl-0300], eventsRoles: [etl-submit] }'))).toEqual({ rules: ['etl-0300'], auto: false, eventsRoles: ['etl-submit'] });
    expect(() => batch('{ rules: [etl-0300] }')).toThrow('targets[0].batch.scheduledJobs.eventsRoles');
  });
});
