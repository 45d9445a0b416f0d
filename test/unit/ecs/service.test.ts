import {
  DescribeServicesCommand,
  DescribeTaskDefinitionCommand,
  ECSClient,
  RegisterTaskDefinitionCommand,
  UpdateServiceCommand,
  type Deployment as EcsDeployment,
  type TaskDefinition,
} from '@aws-sdk/client-ecs';
import { mockClient } from 'aws-sdk-client-mock';
import {
  checkDeploymentRollout,
  checkRollbackRollout,
  registerTaskDefinitionRevision,
  rollBackService,
  updateServiceToRevision,
} from '../../../functions/ecs/service';
import { DEPLOYMENT_TAG_KEY } from '../../../functions/ecs/task-definition';
import type { Deployment, EcsProgress } from '../../../functions/shared/deployment';
import { changeOf, deploymentOfChanges, deploymentOfTarget } from '../../support/deployments';
import { imageRef } from '../../../functions/shared/image';

const ecsMock = mockClient(ECSClient);

const TD = (revision: number) => `arn:aws:ecs:us-east-1:123456789012:task-definition/web:${revision}`;
const DIGEST = `sha256:${'a'.repeat(64)}`;

const IMAGE = imageRef('123456789012.dkr.ecr.us-east-1.amazonaws.com', 'web', DIGEST, 'v2');
const WEB = { name: 'web', repository: 'web', tags: ['v*'], environment: 'prod', ecs: { cluster: 'main', service: 'web' }, rollout: { timeoutSeconds: 600, rollbackTimeoutSeconds: 600, pollSeconds: 15 } };
const deployment: Deployment = deploymentOfTarget(WEB, IMAGE, { id: 'web-aaaaaaaaaaaa' });

function progress(overrides: Partial<EcsProgress> = {}): EcsProgress {
  return {
    cluster: 'main',
    service: 'web',
    serviceArn: 'arn:aws:ecs:us-east-1:123456789012:service/main/web',
    previousTaskDefinitionArn: TD(7),
    pollSeconds: 15,
    rolloutDeadline: new Date(Date.now() + 600_000).toISOString(),
    circuitBreaker: { enable: true, rollback: false },
    containers: [{ name: 'web', target: 'web', previousImage: 'web:v1', image: IMAGE.uri }],
    newTaskDefinitionArn: TD(9),
    deploymentId: 'ecs-svc/ours',
    ...overrides,
  };
}

function serviceWith(deployments: EcsDeployment[]) {
  return { services: [{ serviceName: 'web', status: 'ACTIVE', desiredCount: 2, deployments }] };
}

beforeEach(() => {
  ecsMock.reset();
});

describe('registerTaskDefinitionRevision', () => {
  const taskDefinition: TaskDefinition = {
    family: 'web',
    taskDefinitionArn: TD(7),
    revision: 7,
    status: 'ACTIVE',
    executionRoleArn: 'arn:aws:iam::123456789012:role/ecsTaskExecutionRole',
    containerDefinitions: [{ name: 'web', image: '123456789012.dkr.ecr.us-east-1.amazonaws.com/web:v1' }],
  };

  it('reuses the revision a previous attempt of this deployment registered, instead of registering another', async () => {
    ecsMock.on(DescribeTaskDefinitionCommand, { taskDefinition: TD(7) }).resolves({ taskDefinition });
    ecsMock
      .on(DescribeTaskDefinitionCommand, { taskDefinition: 'web' })
      .resolves({ taskDefinition: { ...taskDefinition, taskDefinitionArn: TD(8), revision: 8 }, tags: [{ key: DEPLOYMENT_TAG_KEY, value: deployment.id }] });

    const result = await registerTaskDefinitionRevision(deployment, progress({ newTaskDefinitionArn: undefined }));

    expect(result.newTaskDefinitionArn).toBe(TD(8));
    expect(ecsMock).not.toHaveReceivedCommand(RegisterTaskDefinitionCommand);
  });

  it('registers from the revision the service runs, not the latest of the family', async () => {
    ecsMock.on(DescribeTaskDefinitionCommand, { taskDefinition: TD(7) }).resolves({ taskDefinition });
    ecsMock.on(DescribeTaskDefinitionCommand, { taskDefinition: 'web' }).resolves({ taskDefinition: { ...taskDefinition, taskDefinitionArn: TD(8), revision: 8, cpu: '4096' } });
    ecsMock.on(RegisterTaskDefinitionCommand).resolves({ taskDefinition: { taskDefinitionArn: TD(9) } });

    const result = await registerTaskDefinitionRevision(deployment, progress({ newTaskDefinitionArn: undefined }));

    expect(result.newTaskDefinitionArn).toBe(TD(9));
    expect(ecsMock).toHaveReceivedCommandWith(RegisterTaskDefinitionCommand, {
      family: 'web',
      containerDefinitions: [{ name: 'web', image: IMAGE.uri }],
    });
    expect(ecsMock.commandCalls(RegisterTaskDefinitionCommand)[0]?.args[0].input.cpu).toBeUndefined();
  });

  describe('with two targets of one service (two containers, two repositories)', () => {
    const REGISTRY = '123456789012.dkr.ecr.us-east-1.amazonaws.com';
    const twoContainers: TaskDefinition = {
      ...taskDefinition,
      containerDefinitions: [
        { name: 'canvas', image: `${REGISTRY}/canvas:v1` },
        { name: 'orchestrator', image: `${REGISTRY}/orchestrator:v1` },
        { name: 'proxy', image: 'nginx:1.27' },
      ],
    };
    const CANVAS = imageRef(REGISTRY, 'canvas', `sha256:${'c'.repeat(64)}`, 'v2');
    const ORCHESTRATOR = imageRef(REGISTRY, 'orchestrator', `sha256:${'0'.repeat(64)}`, 'v2');
    const target = (name: string, containers?: string[]) => ({ name, repository: name, ecs: { cluster: 'main', service: 'web', ...(containers ? { containers } : {}) } });

    it('registers one revision carrying both images, and records whose each container is', async () => {
      ecsMock.on(DescribeTaskDefinitionCommand).resolves({ taskDefinition: twoContainers });
      ecsMock.on(RegisterTaskDefinitionCommand).resolves({ taskDefinition: { taskDefinitionArn: TD(9) } });
      const both = deploymentOfChanges([changeOf(target('canvas'), CANVAS), changeOf(target('orchestrator'), ORCHESTRATOR)], { id: 'merged' });

      const result = await registerTaskDefinitionRevision(both, progress({ newTaskDefinitionArn: undefined, containers: undefined }));

      expect(ecsMock).toHaveReceivedCommandTimes(RegisterTaskDefinitionCommand, 1);
      expect(ecsMock.commandCalls(RegisterTaskDefinitionCommand)[0]?.args[0].input.containerDefinitions?.map((c) => c.image)).toEqual([CANVAS.uri, ORCHESTRATOR.uri, 'nginx:1.27']);
      expect(result.containers).toEqual([
        { name: 'canvas', target: 'canvas', previousImage: `${REGISTRY}/canvas:v1`, image: CANVAS.uri },
        { name: 'orchestrator', target: 'orchestrator', previousImage: `${REGISTRY}/orchestrator:v1`, image: ORCHESTRATOR.uri },
      ]);
    });

    it('refuses, before registering, two targets that would replace the same container', async () => {
      ecsMock.on(DescribeTaskDefinitionCommand).resolves({ taskDefinition: twoContainers });
      const clash = deploymentOfChanges([changeOf(target('canvas'), CANVAS), changeOf(target('orchestrator', ['canvas']), ORCHESTRATOR)], { id: 'clash' });

      await expect(registerTaskDefinitionRevision(clash, progress({ newTaskDefinitionArn: undefined, containers: undefined }))).rejects.toMatchObject({
        name: 'ConfigError',
        message: expect.stringContaining('container "canvas" of web would take the images of both canvas and orchestrator'),
      });
      expect(ecsMock).not.toHaveReceivedCommand(RegisterTaskDefinitionCommand);
    });
  });

  it('refuses, before registering, a role that is not in ecs.passRoles', async () => {
    ecsMock.on(DescribeTaskDefinitionCommand).resolves({ taskDefinition: { ...taskDefinition, taskRoleArn: 'arn:aws:iam::123456789012:role/admin' } });
    const restricted = deploymentOfTarget({ ...WEB, ecs: { cluster: 'main', service: 'web', passRoles: ['ecsTaskExecutionRole'] } }, IMAGE, { id: deployment.id });

    await expect(registerTaskDefinitionRevision(restricted, progress({ newTaskDefinitionArn: undefined }))).rejects.toMatchObject({
      name: 'ConfigError',
      message: expect.stringContaining('role/admin that are not in ecs.passRoles'),
    });
    expect(ecsMock).not.toHaveReceivedCommand(RegisterTaskDefinitionCommand);
  });
});

describe('updateServiceToRevision', () => {
  it('remembers the deployment UpdateService created, with no read before it', async () => {
    ecsMock.on(UpdateServiceCommand).resolves({
      service: { deployments: [{ id: 'ecs-svc/new', status: 'PRIMARY', taskDefinition: TD(9) }, { id: 'ecs-svc/old', status: 'ACTIVE', taskDefinition: TD(7) }] },
    });

    const result = await updateServiceToRevision(deployment, progress({ deploymentId: undefined }));

    expect(result.deploymentId).toBe('ecs-svc/new');
    expect(ecsMock).toHaveReceivedCommandWith(UpdateServiceCommand, { cluster: 'main', service: 'web', taskDefinition: TD(9) });
    expect(ecsMock).not.toHaveReceivedCommand(DescribeServicesCommand);
    expect(ecsMock.commandCalls(UpdateServiceCommand)[0]?.args[0].input.forceNewDeployment).toBeUndefined();
  });

  it('fails with RolloutFailed when ECS answers without a deployment of the new revision', async () => {
    ecsMock.on(UpdateServiceCommand).resolves({ service: { deployments: [{ id: 'ecs-svc/old', status: 'PRIMARY', taskDefinition: TD(7) }] } });

    await expect(updateServiceToRevision(deployment, progress({ deploymentId: undefined }))).rejects.toMatchObject({ name: 'RolloutFailed' });
  });
});

describe('checkDeploymentRollout', () => {
  it('reports IN_PROGRESS with counts while our deployment rolls out', async () => {
    ecsMock.on(DescribeServicesCommand).resolves(
      serviceWith([
        { id: 'ecs-svc/ours', status: 'PRIMARY', taskDefinition: TD(9), rolloutState: 'IN_PROGRESS', runningCount: 1, desiredCount: 2, pendingCount: 1 },
        { id: 'ecs-svc/old', status: 'ACTIVE', taskDefinition: TD(7), rolloutState: 'COMPLETED', runningCount: 2 },
      ]),
    );

    await expect(checkDeploymentRollout(progress())).resolves.toMatchObject({ status: 'IN_PROGRESS', runningCount: 1, desiredCount: 2, pendingCount: 1 });
  });

  it('is not fooled by a stable service that runs another deployment: our deployment being gone is a failure', async () => {
    ecsMock.on(DescribeServicesCommand).resolves(serviceWith([{ id: 'ecs-svc/other', status: 'PRIMARY', taskDefinition: TD(8), rolloutState: 'COMPLETED', runningCount: 2, desiredCount: 2 }]));

    await expect(checkDeploymentRollout(progress())).rejects.toMatchObject({ name: 'RolloutFailed', message: expect.stringContaining('is gone; the service now runs web:8') });
  });

  it('recognises a circuit-breaker rollback to the recorded revision', async () => {
    ecsMock.on(DescribeServicesCommand).resolves(
      serviceWith([
        { id: 'ecs-svc/rollback', status: 'PRIMARY', taskDefinition: TD(7), rolloutState: 'IN_PROGRESS' },
        { id: 'ecs-svc/ours', status: 'ACTIVE', taskDefinition: TD(9), rolloutState: 'FAILED', rolloutStateReason: 'ECS deployment circuit breaker: task failed to start.' },
      ]),
    );

    await expect(checkDeploymentRollout(progress())).rejects.toMatchObject({ name: 'CircuitBreakerRolledBack', message: expect.stringContaining('task failed to start') });
  });

  it('fails with RolloutTimeout past the deadline and says how far it got', async () => {
    ecsMock.on(DescribeServicesCommand).resolves(serviceWith([{ id: 'ecs-svc/ours', status: 'PRIMARY', taskDefinition: TD(9), rolloutState: 'IN_PROGRESS', runningCount: 1, desiredCount: 3, failedTasks: 4 }]));

    await expect(checkDeploymentRollout(progress({ rolloutDeadline: new Date(Date.now() - 1000).toISOString() }))).rejects.toMatchObject({
      name: 'RolloutTimeout',
      message: expect.stringContaining('1/3 tasks running, 4 failed'),
    });
  });

  it('judges services without rolloutState by a single deployment at full count', async () => {
    ecsMock.on(DescribeServicesCommand).resolves(serviceWith([{ id: 'ecs-svc/ours', status: 'PRIMARY', taskDefinition: TD(9), runningCount: 2, desiredCount: 2 }]));

    await expect(checkDeploymentRollout(progress())).resolves.toMatchObject({ status: 'COMPLETED' });
  });
});

describe('rollBackService', () => {
  it('updates the service back to the recorded revision when it runs ours', async () => {
    ecsMock.on(DescribeServicesCommand).resolves(serviceWith([{ id: 'ecs-svc/ours', status: 'PRIMARY', taskDefinition: TD(9) }]));
    ecsMock.on(UpdateServiceCommand).resolves({ service: { deployments: [{ id: 'ecs-svc/back', status: 'PRIMARY', taskDefinition: TD(7) }] } });

    const result = await rollBackService(deployment, progress());

    expect(result.rollback).toMatchObject({ action: 'updated-service', taskDefinitionArn: TD(7), deploymentId: 'ecs-svc/back' });
    expect(ecsMock).toHaveReceivedCommandWith(UpdateServiceCommand, { taskDefinition: TD(7) });
  });

  it('leaves alone a service that someone else moved to a third revision, and says so', async () => {
    ecsMock.on(DescribeServicesCommand).resolves(serviceWith([{ id: 'ecs-svc/theirs', status: 'PRIMARY', taskDefinition: TD(10) }]));

    await expect(rollBackService(deployment, progress())).rejects.toMatchObject({ name: 'RollbackFailed', message: expect.stringContaining('someone else changed it') });
    expect(ecsMock).not.toHaveReceivedCommand(UpdateServiceCommand);
  });
});

describe('checkRollbackRollout', () => {
  it('fails with RollbackFailed when the rollback deployment fails', async () => {
    ecsMock.on(DescribeServicesCommand).resolves(serviceWith([{ id: 'ecs-svc/back', status: 'PRIMARY', taskDefinition: TD(7), rolloutState: 'FAILED', rolloutStateReason: 'tasks failed' }]));
    const rolledBack = progress({ rollback: { action: 'updated-service', taskDefinitionArn: TD(7), deploymentId: 'ecs-svc/back', deadline: new Date(Date.now() + 60_000).toISOString() } });

    await expect(checkRollbackRollout(rolledBack)).rejects.toMatchObject({ name: 'RollbackFailed', message: 'rollback to web:7 FAILED: tasks failed' });
  });
});
