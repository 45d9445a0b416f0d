import { DescribeServicesCommand, DescribeTaskDefinitionCommand, ECSClient, RegisterTaskDefinitionCommand, UpdateServiceCommand, type Deployment as EcsDeployment, type Service } from '@aws-sdk/client-ecs';
import { DescribeTargetGroupAttributesCommand, ElasticLoadBalancingV2Client, TargetGroupNotFoundException } from '@aws-sdk/client-elastic-load-balancing-v2';
import { mockClient } from 'aws-sdk-client-mock';
import { MAX_CHECK_SECONDS } from '../../../functions/ecs/rollout-schedule';
import { handler as checkRollout } from '../../../functions/handlers/ecs-check-rollout';
import { handler as deployNewRevision } from '../../../functions/handlers/ecs-deploy-new-revision';
import type { DeploymentState, EcsProgress } from '../../../functions/shared/deployment';
import { imageRef } from '../../../functions/shared/image';
import { deploymentOfTarget } from '../../support/deployments';

/**
 * The deploy and check steps' handlers, with the ECS and ELB clients mocked: the deploy step
 * reads the target groups' deregistration delay once and schedules the first look; each check
 * schedules the next from what DescribeServices shows, without asking ELB again.
 */

const ecsMock = mockClient(ECSClient);
const elbMock = mockClient(ElasticLoadBalancingV2Client);

const TD = (revision: number) => `arn:aws:ecs:us-east-1:123456789012:task-definition/web:${revision}`;
const TG = (name: string) => `arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/${name}/0123456789abcdef`;
const DIGEST = `sha256:${'a'.repeat(64)}`;
const POLL_SECONDS = 15;
const WEB = { name: 'web', repository: 'web', ecs: { cluster: 'main', service: 'web' }, rollout: { timeoutSeconds: 900, rollbackTimeoutSeconds: 900, pollSeconds: POLL_SECONDS } };
const deployment = deploymentOfTarget(WEB, imageRef('123456789012.dkr.ecr.us-east-1.amazonaws.com', 'web', DIGEST, 'v2'), { id: 'web-aaaaaaaaaaaa' });

function progress(fields: Partial<EcsProgress> = {}): EcsProgress {
  return {
    cluster: 'main',
    service: 'web',
    serviceArn: 'arn:aws:ecs:us-east-1:123456789012:service/main/web',
    previousTaskDefinitionArn: TD(7),
    newTaskDefinitionArn: TD(8),
    pollSeconds: POLL_SECONDS,
    rolloutDeadline: new Date(Date.now() + 900_000).toISOString(),
    circuitBreaker: { enable: false, rollback: false },
    ...fields,
  };
}

const state = (ecs: EcsProgress): DeploymentState => ({ deployment, ecs });

function deployments(startedAt: Date, ours: Partial<EcsDeployment> = {}): EcsDeployment[] {
  return [
    { id: 'ecs-svc/ours', status: 'PRIMARY', taskDefinition: TD(8), rolloutState: 'IN_PROGRESS', runningCount: 0, desiredCount: 2, pendingCount: 2, createdAt: startedAt, ...ours },
    { id: 'ecs-svc/old', status: 'ACTIVE', taskDefinition: TD(7), rolloutState: 'COMPLETED', runningCount: 2, desiredCount: 2, createdAt: new Date(startedAt.getTime() - 86_400_000) },
  ];
}

function delays(byTargetGroup: Record<string, number>): void {
  for (const [arn, seconds] of Object.entries(byTargetGroup)) {
    elbMock.on(DescribeTargetGroupAttributesCommand, { TargetGroupArn: arn }).resolves({
      Attributes: [
        { Key: 'stickiness.enabled', Value: 'false' },
        { Key: 'deregistration_delay.timeout_seconds', Value: String(seconds) },
      ],
    });
  }
}

beforeEach(() => {
  ecsMock.reset();
  elbMock.reset();
});

describe('EcsDeployNewRevision', () => {
  const behind = (targetGroups: string[]): Service => ({
    serviceName: 'web',
    loadBalancers: targetGroups.map((targetGroupArn) => ({ targetGroupArn, containerName: 'web', containerPort: 8080 })),
    deployments: deployments(new Date()),
  });

  /** The service runs web:7, the family's latest: the step registers web:8 and updates the service to it. */
  beforeEach(() => {
    ecsMock.on(DescribeServicesCommand).resolves({ services: [{ serviceName: 'web', status: 'ACTIVE', taskDefinition: TD(7) }] });
    ecsMock.on(DescribeTaskDefinitionCommand).resolves({ taskDefinition: { family: 'web', taskDefinitionArn: TD(7), revision: 7, status: 'ACTIVE', containerDefinitions: [{ name: 'web', image: '123456789012.dkr.ecr.us-east-1.amazonaws.com/web:v1' }] } });
    ecsMock.on(RegisterTaskDefinitionCommand).resolves({ taskDefinition: { taskDefinitionArn: TD(8) } });
  });
  const updateService = (deploying: DeploymentState) => deployNewRevision({ deployment: deploying.deployment });

  it('reads every target group once, keeps the longest delay, and first looks when the rollout could be done, within the longest pause', async () => {
    ecsMock.on(UpdateServiceCommand).resolves({ service: behind([TG('web-a'), TG('web-b')]) });
    delays({ [TG('web-a')]: 30, [TG('web-b')]: 240 });

    const result = await updateService(state(progress()));

    expect(elbMock).toHaveReceivedCommandTimes(DescribeTargetGroupAttributesCommand, 2);
    expect(result).toMatchObject({ deploymentId: 'ecs-svc/ours', deregistrationDelaySeconds: 240, nextCheckSeconds: Math.min(240, MAX_CHECK_SECONDS) });
  });

  it('first looks after the delay when it is shorter than the longest pause', async () => {
    const delay = MAX_CHECK_SECONDS - 20;
    ecsMock.on(UpdateServiceCommand).resolves({ service: behind([TG('web')]) });
    delays({ [TG('web')]: delay });

    await expect(updateService(state(progress()))).resolves.toMatchObject({ nextCheckSeconds: Math.max(delay, POLL_SECONDS) });
  });

  it('asks ELB nothing for a service without a load balancer, and looks after pollSeconds', async () => {
    ecsMock.on(UpdateServiceCommand).resolves({ service: behind([]) });

    const result = await updateService(state(progress()));

    expect(elbMock).not.toHaveReceivedCommand(DescribeTargetGroupAttributesCommand);
    expect(result.deregistrationDelaySeconds).toBeUndefined();
    expect(result.nextCheckSeconds).toBe(POLL_SECONDS);
  });

  it('fails with AwsThrottled when ELB throttles, so that the state machine retries the step', async () => {
    ecsMock.on(UpdateServiceCommand).resolves({ service: behind([TG('web')]) });
    elbMock.on(DescribeTargetGroupAttributesCommand).rejects(Object.assign(new Error('Rate exceeded'), { name: 'Throttling', $metadata: { httpStatusCode: 400 } }));

    await expect(updateService(state(progress()))).rejects.toMatchObject({ name: 'AwsThrottled' });
  });

  it('goes on without a bound, looking every pollSeconds, when a target group cannot be read', async () => {
    ecsMock.on(UpdateServiceCommand).resolves({ service: behind([TG('gone')]) });
    elbMock.on(DescribeTargetGroupAttributesCommand).rejects(new TargetGroupNotFoundException({ message: 'One or more target groups not found', $metadata: { httpStatusCode: 400 } }));

    const result = await updateService(state(progress()));

    expect(result.deregistrationDelaySeconds).toBeUndefined();
    expect(result.nextCheckSeconds).toBe(POLL_SECONDS);
  });

  it('never schedules the first look past the rollout deadline', async () => {
    const shortDeadline = deploymentOfTarget({ ...WEB, rollout: { ...WEB.rollout, timeoutSeconds: 20 } }, deployment.changes[0]!.image, { id: deployment.id });
    ecsMock.on(UpdateServiceCommand).resolves({ service: behind([TG('web')]) });
    delays({ [TG('web')]: 300 });

    await expect(updateService({ deployment: shortDeadline, ecs: progress() })).resolves.toMatchObject({ nextCheckSeconds: 20 });
  });
});

describe('EcsCheckRollout', () => {
  const DELAY = 240;
  const drainingEvent = (at: Date) => ({ id: 'e1', createdAt: at, message: '(service web) has begun draining connections on 2 tasks.' });

  function describes(service: Partial<Service>): void {
    ecsMock.on(DescribeServicesCommand).resolves({ services: [{ serviceName: 'web', status: 'ACTIVE', desiredCount: 2, ...service }] });
  }

  it('schedules the next look for when the draining that began can have ended, and asks ELB nothing', async () => {
    const drainingBegan = new Date(Date.now() - (DELAY - 30) * 1000);
    const startedAt = new Date(drainingBegan.getTime() - 60_000);
    describes({ deployments: deployments(startedAt, { runningCount: 2, pendingCount: 0 }), events: [drainingEvent(drainingBegan)] });

    const result = await checkRollout(state(progress({ deploymentId: 'ecs-svc/ours', deregistrationDelaySeconds: DELAY })));

    expect(result.status).toBe('IN_PROGRESS');
    // 30 s of draining left: the next look is then, give or take the second this test takes.
    expect(result.nextCheckSeconds).toBeGreaterThanOrEqual(30);
    expect(result.nextCheckSeconds).toBeLessThanOrEqual(31);
    expect(result.drainingSince).toBe(drainingBegan.toISOString());
    expect(elbMock).not.toHaveReceivedCommand(DescribeTargetGroupAttributesCommand);
  });

  it('looks again within the longest pause while draining has not begun', async () => {
    describes({ deployments: deployments(new Date(Date.now() - 20_000)), events: [drainingEvent(new Date(Date.now() - 86_400_000))] });

    const result = await checkRollout(state(progress({ deploymentId: 'ecs-svc/ours', deregistrationDelaySeconds: DELAY })));

    expect(result).toMatchObject({ status: 'IN_PROGRESS', nextCheckSeconds: Math.min(DELAY, MAX_CHECK_SECONDS) });
    expect(result.drainingSince).toBeUndefined();
  });

  it('looks every pollSeconds once the drain is over, and at a service without a load balancer', async () => {
    const startedAt = new Date(Date.now() - 400_000);
    describes({ deployments: deployments(startedAt, { runningCount: 2, pendingCount: 0 }), events: [drainingEvent(new Date(Date.now() - (DELAY + 5) * 1000))] });

    await expect(checkRollout(state(progress({ deploymentId: 'ecs-svc/ours', deregistrationDelaySeconds: DELAY })))).resolves.toMatchObject({ nextCheckSeconds: POLL_SECONDS });
    await expect(checkRollout(state(progress({ deploymentId: 'ecs-svc/ours' })))).resolves.toMatchObject({ nextCheckSeconds: POLL_SECONDS });
  });

  it('says COMPLETED without scheduling anything', async () => {
    describes({ deployments: [{ id: 'ecs-svc/ours', status: 'PRIMARY', taskDefinition: TD(8), rolloutState: 'COMPLETED', runningCount: 2, desiredCount: 2 }] });

    const result = await checkRollout(state(progress({ deploymentId: 'ecs-svc/ours', deregistrationDelaySeconds: DELAY })));

    expect(result.status).toBe('COMPLETED');
    expect(result.nextCheckSeconds).toBeUndefined();
  });

  it('schedules the last look at the deadline, and that look ends the rollout with RolloutTimeout', async () => {
    describes({ deployments: deployments(new Date(Date.now() - 20_000)) });
    const nearDeadline = progress({ deploymentId: 'ecs-svc/ours', deregistrationDelaySeconds: DELAY, rolloutDeadline: new Date(Date.now() + 10_000).toISOString() });

    const result = await checkRollout(state(nearDeadline));

    expect(result.nextCheckSeconds).toBeLessThanOrEqual(10);
    await expect(checkRollout(state({ ...nearDeadline, rolloutDeadline: new Date(Date.now()).toISOString() }))).rejects.toMatchObject({ name: 'RolloutTimeout' });
  });
});
