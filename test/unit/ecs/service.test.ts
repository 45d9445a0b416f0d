import {
  ClientException,
  DeregisterTaskDefinitionCommand,
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
  deployNewRevision,
  deregisterOrphanRevision,
  rollBackService,
} from '../../../functions/ecs/service';
import { DEPLOYMENT_TAG_KEY, PREVIOUS_REVISION_TAG_KEY } from '../../../functions/ecs/task-definition';
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

describe('deployNewRevision', () => {
  const taskDefinition: TaskDefinition = {
    family: 'web',
    taskDefinitionArn: TD(7),
    revision: 7,
    status: 'ACTIVE',
    executionRoleArn: 'arn:aws:iam::123456789012:role/ecsTaskExecutionRole',
    containerDefinitions: [{ name: 'web', image: '123456789012.dkr.ecr.us-east-1.amazonaws.com/web:v1' }],
  };
  const revision = (n: number, extra: Partial<TaskDefinition> = {}): TaskDefinition => ({ ...taskDefinition, taskDefinitionArn: TD(n), revision: n, ...extra });
  const ours = (previous?: number) => [{ key: DEPLOYMENT_TAG_KEY, value: deployment.id }, ...(previous ? [{ key: PREVIOUS_REVISION_TAG_KEY, value: String(previous) }] : [])];

  function serviceRuns(arn: string, deployments: EcsDeployment[] = []): void {
    ecsMock.on(DescribeServicesCommand).resolves({ services: [{ serviceName: 'web', serviceArn: 'arn:aws:ecs:us-east-1:123456789012:service/main/web', status: 'ACTIVE', taskDefinition: arn, deployments }] });
  }
  function updateStarts(arn: string, id = 'ecs-svc/new'): void {
    ecsMock.on(UpdateServiceCommand).resolves({ service: { deployments: [{ id, status: 'PRIMARY', taskDefinition: arn }, { id: 'ecs-svc/old', status: 'ACTIVE', taskDefinition: TD(7) }] } });
  }

  it('records the running revision, registers the new one from it and updates the service: four ECS calls', async () => {
    serviceRuns(TD(7));
    ecsMock.on(DescribeTaskDefinitionCommand, { taskDefinition: 'web' }).resolves({ taskDefinition: revision(7) });
    ecsMock.on(RegisterTaskDefinitionCommand).resolves({ taskDefinition: { taskDefinitionArn: TD(8) } });
    updateStarts(TD(8));

    const result = await deployNewRevision(deployment);

    expect(result).toMatchObject({ previousTaskDefinitionArn: TD(7), newTaskDefinitionArn: TD(8), deploymentId: 'ecs-svc/new', containers: [{ name: 'web', image: IMAGE.uri }] });
    expect(ecsMock).toHaveReceivedCommandWith(RegisterTaskDefinitionCommand, { family: 'web', containerDefinitions: [{ name: 'web', image: IMAGE.uri }], tags: ours(7) });
    expect(ecsMock).toHaveReceivedCommandWith(UpdateServiceCommand, { cluster: 'main', service: 'web', taskDefinition: TD(8) });
    expect(ecsMock.commandCalls(UpdateServiceCommand)[0]?.args[0].input.forceNewDeployment).toBeUndefined();
    expect(ecsMock.calls()).toHaveLength(4);
  });

  it('registers from the revision the service runs, not the latest of the family', async () => {
    serviceRuns(TD(7));
    ecsMock.on(DescribeTaskDefinitionCommand, { taskDefinition: 'web' }).resolves({ taskDefinition: revision(8, { cpu: '4096' }) });
    ecsMock.on(DescribeTaskDefinitionCommand, { taskDefinition: TD(7) }).resolves({ taskDefinition: revision(7) });
    ecsMock.on(RegisterTaskDefinitionCommand).resolves({ taskDefinition: { taskDefinitionArn: TD(9) } });
    updateStarts(TD(9));

    const result = await deployNewRevision(deployment);

    expect(result).toMatchObject({ previousTaskDefinitionArn: TD(7), newTaskDefinitionArn: TD(9) });
    expect(ecsMock.commandCalls(RegisterTaskDefinitionCommand)[0]?.args[0].input.cpu).toBeUndefined();
  });

  it('retried after registering: reuses its revision instead of registering another, and rolls back to what the service runs', async () => {
    serviceRuns(TD(7));
    ecsMock.on(DescribeTaskDefinitionCommand, { taskDefinition: 'web' }).resolves({ taskDefinition: revision(8), tags: ours(7) });
    ecsMock.on(DescribeTaskDefinitionCommand, { taskDefinition: TD(7) }).resolves({ taskDefinition: revision(7) });
    updateStarts(TD(8));

    const result = await deployNewRevision(deployment);

    expect(result).toMatchObject({ previousTaskDefinitionArn: TD(7), newTaskDefinitionArn: TD(8), deploymentId: 'ecs-svc/new' });
    expect(ecsMock).not.toHaveReceivedCommand(RegisterTaskDefinitionCommand);
  });

  it('retried after updating the service: the rollback target is the revision its tag names, not the one the service now runs', async () => {
    serviceRuns(TD(8), [{ id: 'ecs-svc/new', status: 'PRIMARY', taskDefinition: TD(8) }]);
    ecsMock.on(DescribeTaskDefinitionCommand, { taskDefinition: 'web' }).resolves({ taskDefinition: revision(8), tags: ours(7) });
    ecsMock.on(DescribeTaskDefinitionCommand, { taskDefinition: TD(7) }).resolves({ taskDefinition: revision(7) });
    updateStarts(TD(8));

    const result = await deployNewRevision(deployment);

    expect(result).toMatchObject({ previousTaskDefinitionArn: TD(7), newTaskDefinitionArn: TD(8), deploymentId: 'ecs-svc/new' });
    expect(result.containers).toEqual([{ name: 'web', target: 'web', previousImage: taskDefinition.containerDefinitions?.[0]?.image, image: IMAGE.uri }]);
    expect(ecsMock).not.toHaveReceivedCommand(RegisterTaskDefinitionCommand);
  });

  it('retried after updating a revision without room for the previous-revision tag: the older deployment names the rollback target', async () => {
    serviceRuns(TD(8), [
      { id: 'ecs-svc/new', status: 'PRIMARY', taskDefinition: TD(8) },
      { id: 'ecs-svc/old', status: 'ACTIVE', taskDefinition: TD(6) },
    ]);
    ecsMock.on(DescribeTaskDefinitionCommand, { taskDefinition: 'web' }).resolves({ taskDefinition: revision(8), tags: ours() });
    ecsMock.on(DescribeTaskDefinitionCommand, { taskDefinition: TD(6) }).resolves({ taskDefinition: revision(6) });
    updateStarts(TD(8));

    await expect(deployNewRevision(deployment)).resolves.toMatchObject({ previousTaskDefinitionArn: TD(6) });
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
      serviceRuns(TD(7));
      ecsMock.on(DescribeTaskDefinitionCommand).resolves({ taskDefinition: twoContainers });
      ecsMock.on(RegisterTaskDefinitionCommand).resolves({ taskDefinition: { taskDefinitionArn: TD(9) } });
      updateStarts(TD(9));
      const both = deploymentOfChanges([changeOf(target('canvas'), CANVAS), changeOf(target('orchestrator'), ORCHESTRATOR)], { id: 'merged' });

      const result = await deployNewRevision(both);

      expect(ecsMock).toHaveReceivedCommandTimes(RegisterTaskDefinitionCommand, 1);
      expect(ecsMock.commandCalls(RegisterTaskDefinitionCommand)[0]?.args[0].input.containerDefinitions?.map((c) => c.image)).toEqual([CANVAS.uri, ORCHESTRATOR.uri, 'nginx:1.27']);
      expect(result.containers).toEqual([
        { name: 'canvas', target: 'canvas', previousImage: `${REGISTRY}/canvas:v1`, image: CANVAS.uri },
        { name: 'orchestrator', target: 'orchestrator', previousImage: `${REGISTRY}/orchestrator:v1`, image: ORCHESTRATOR.uri },
      ]);
    });

    it('refuses, before registering, two targets that would replace the same container', async () => {
      serviceRuns(TD(7));
      ecsMock.on(DescribeTaskDefinitionCommand).resolves({ taskDefinition: twoContainers });
      const clash = deploymentOfChanges([changeOf(target('canvas'), CANVAS), changeOf(target('orchestrator', ['canvas']), ORCHESTRATOR)], { id: 'clash' });

      await expect(deployNewRevision(clash)).rejects.toMatchObject({
        name: 'ConfigError',
        message: expect.stringContaining('container "canvas" of web would take the images of both canvas and orchestrator'),
      });
      expect(ecsMock).not.toHaveReceivedCommand(RegisterTaskDefinitionCommand);
      expect(ecsMock).not.toHaveReceivedCommand(UpdateServiceCommand);
    });
  });

  it('refuses, before registering, a role that is not in ecs.passRoles', async () => {
    serviceRuns(TD(7));
    ecsMock.on(DescribeTaskDefinitionCommand).resolves({ taskDefinition: revision(7, { taskRoleArn: 'arn:aws:iam::123456789012:role/admin' }) });
    const restricted = deploymentOfTarget({ ...WEB, ecs: { cluster: 'main', service: 'web', passRoles: ['ecsTaskExecutionRole'] } }, IMAGE, { id: deployment.id });

    await expect(deployNewRevision(restricted)).rejects.toMatchObject({ name: 'ConfigError', message: expect.stringContaining('role/admin that are not in ecs.passRoles') });
    expect(ecsMock).not.toHaveReceivedCommand(RegisterTaskDefinitionCommand);
  });

  it('fails with RolloutFailed when ECS answers without a deployment of the new revision', async () => {
    serviceRuns(TD(7));
    ecsMock.on(DescribeTaskDefinitionCommand).resolves({ taskDefinition: revision(7) });
    ecsMock.on(RegisterTaskDefinitionCommand).resolves({ taskDefinition: { taskDefinitionArn: TD(8) } });
    ecsMock.on(UpdateServiceCommand).resolves({ service: { deployments: [{ id: 'ecs-svc/old', status: 'PRIMARY', taskDefinition: TD(7) }] } });

    await expect(deployNewRevision(deployment)).rejects.toMatchObject({ name: 'RolloutFailed' });
  });
});

describe('deregisterOrphanRevision', () => {
  it('deregisters the revision this deployment registered when the service does not use it', async () => {
    ecsMock.on(DescribeServicesCommand).resolves({ services: [{ serviceName: 'web', status: 'ACTIVE', taskDefinition: TD(7), deployments: [{ id: 'ecs-svc/old', status: 'PRIMARY', taskDefinition: TD(7) }] }] });
    ecsMock.on(DescribeTaskDefinitionCommand, { taskDefinition: 'web' }).resolves({ taskDefinition: { family: 'web', taskDefinitionArn: TD(8), revision: 8, status: 'ACTIVE' }, tags: [{ key: DEPLOYMENT_TAG_KEY, value: deployment.id }] });

    ecsMock.on(DescribeTaskDefinitionCommand, { taskDefinition: TD(7) }).resolves({ taskDefinition: { family: 'web', taskDefinitionArn: TD(7), revision: 7, status: 'ACTIVE', containerDefinitions: [{ name: 'web', image: '123456789012.dkr.ecr.us-east-1.amazonaws.com/web:v1' }] } });

    await expect(deregisterOrphanRevision(deployment)).resolves.toMatchObject({ deregistered: TD(8), serviceUsesNewRevision: false, ecs: { previousTaskDefinitionArn: TD(7), newTaskDefinitionArn: TD(8) } });
    expect(ecsMock).toHaveReceivedCommandWith(DeregisterTaskDefinitionCommand, { taskDefinition: TD(8) });
  });

  it('leaves alone a latest revision someone else registered', async () => {
    ecsMock.on(DescribeServicesCommand).resolves({ services: [{ serviceName: 'web', status: 'ACTIVE', taskDefinition: TD(7), deployments: [] }] });
    ecsMock.on(DescribeTaskDefinitionCommand, { taskDefinition: 'web' }).resolves({ taskDefinition: { family: 'web', taskDefinitionArn: TD(8), revision: 8, status: 'ACTIVE' }, tags: [] });
    ecsMock.on(DescribeTaskDefinitionCommand, { taskDefinition: TD(9) }).rejects(new ClientException({ message: 'Unable to describe task definition.', $metadata: {} }));
    ecsMock.on(DescribeTaskDefinitionCommand, { taskDefinition: TD(7) }).resolves({ taskDefinition: { family: 'web', taskDefinitionArn: TD(7), revision: 7, status: 'ACTIVE', containerDefinitions: [{ name: 'web', image: '123456789012.dkr.ecr.us-east-1.amazonaws.com/web:v1' }] } });

    const cleanup = await deregisterOrphanRevision(deployment);

    expect(cleanup).toMatchObject({ serviceUsesNewRevision: false, ecs: { previousTaskDefinitionArn: TD(7) } });
    expect(cleanup.ecs?.newTaskDefinitionArn).toBeUndefined();
    expect(ecsMock).not.toHaveReceivedCommand(DeregisterTaskDefinitionCommand);
  });

  it('hands the rollback what it needs when the service uses the new revision after all', async () => {
    ecsMock.on(DescribeServicesCommand).resolves({
      services: [{ serviceName: 'web', status: 'ACTIVE', taskDefinition: TD(8), deployments: [{ id: 'ecs-svc/new', status: 'PRIMARY', taskDefinition: TD(8) }] }],
    });
    ecsMock
      .on(DescribeTaskDefinitionCommand, { taskDefinition: 'web' })
      .resolves({ taskDefinition: { family: 'web', taskDefinitionArn: TD(8), revision: 8, status: 'ACTIVE' }, tags: [{ key: DEPLOYMENT_TAG_KEY, value: deployment.id }, { key: PREVIOUS_REVISION_TAG_KEY, value: '7' }] });
    ecsMock.on(DescribeTaskDefinitionCommand, { taskDefinition: TD(7) }).resolves({ taskDefinition: { family: 'web', taskDefinitionArn: TD(7), revision: 7, status: 'ACTIVE', containerDefinitions: [{ name: 'web', image: '123456789012.dkr.ecr.us-east-1.amazonaws.com/web:v1' }] } });

    const cleanup = await deregisterOrphanRevision(deployment);

    expect(cleanup).toMatchObject({ serviceUsesNewRevision: true, ecs: { previousTaskDefinitionArn: TD(7), newTaskDefinitionArn: TD(8), deploymentId: 'ecs-svc/new' } });
    expect(ecsMock).not.toHaveReceivedCommand(DeregisterTaskDefinitionCommand);
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
