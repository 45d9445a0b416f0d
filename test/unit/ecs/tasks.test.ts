import { DescribeTasksCommand, ECSClient, ListTasksCommand } from '@aws-sdk/client-ecs';
import { mockClient } from 'aws-sdk-client-mock';
import { verifyRunningImage } from '../../../functions/ecs/tasks';
import type { EcsProgress } from '../../../functions/shared/deployment';

const ecsMock = mockClient(ECSClient);
const NEW = `sha256:${'d'.repeat(64)}`;
const OLD = `sha256:${'e'.repeat(64)}`;
const TD = 'arn:aws:ecs:us-east-1:123456789012:task-definition/web:9';

const progress = { cluster: 'c', service: 'web', newTaskDefinitionArn: TD, deploymentId: 'ecs-svc/ours', containers: [{ name: 'app', target: 'web', previousImage: 'x', image: `123456789012.dkr.ecr.us-east-1.amazonaws.com/web@${NEW}` }] } as EcsProgress;

function task(id: string, digest: string, startedBy = 'ecs-svc/ours') {
  return { taskArn: `arn:aws:ecs:us-east-1:123456789012:task/c/${id}`, taskDefinitionArn: TD, startedBy, containers: [{ name: 'app', imageDigest: digest }, { name: 'sidecar', imageDigest: OLD }] };
}

beforeEach(() => {
  ecsMock.reset();
});

describe('verifyRunningImage', () => {
  it('confirms every task of our deployment runs the pushed digest in the updated containers', async () => {
    ecsMock.on(ListTasksCommand).resolves({ taskArns: ['t1', 't2', 't3'] });
    ecsMock.on(DescribeTasksCommand).resolves({ tasks: [task('t1', NEW), task('t2', NEW), task('t3', OLD, 'ecs-svc/older')] });

    await expect(verifyRunningImage(progress)).resolves.toEqual({ verifiedTasks: 2, digests: [NEW] });
  });

  it('fails with ImageVerificationFailed when a task runs another digest', async () => {
    ecsMock.on(ListTasksCommand).resolves({ taskArns: ['t1', 't2'] });
    ecsMock.on(DescribeTasksCommand).resolves({ tasks: [task('t1', NEW), task('t2', OLD)] });

    await expect(verifyRunningImage(progress)).rejects.toMatchObject({ name: 'ImageVerificationFailed', message: expect.stringContaining(`t2/app runs ${OLD}`) });
  });

  it('fails when no task of the new revision runs', async () => {
    ecsMock.on(ListTasksCommand).resolves({ taskArns: [] });

    await expect(verifyRunningImage(progress, 2)).rejects.toMatchObject({ name: 'ImageVerificationFailed' });
  });

  it('has nothing to check on a service scaled to zero', async () => {
    ecsMock.on(ListTasksCommand).resolves({ taskArns: [] });

    await expect(verifyRunningImage(progress, 0)).resolves.toEqual({ verifiedTasks: 0, digests: [NEW] });
  });
});
