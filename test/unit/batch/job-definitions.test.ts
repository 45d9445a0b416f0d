import {
  BatchClient,
  DeregisterJobDefinitionCommand,
  DescribeJobDefinitionsCommand,
  type DescribeJobDefinitionsCommandInput,
  type DescribeJobDefinitionsCommandOutput,
  type JobDefinition,
  RegisterJobDefinitionCommand,
} from '@aws-sdk/client-batch';
import { mockClient } from 'aws-sdk-client-mock';
import { DEPLOYMENT_TAG_KEY } from '../../../functions/batch/job-definition';
import { activeRevisions, registerJobDefinitionRevision, rollBackJobDefinition } from '../../../functions/batch/job-definitions';
import { targetSchema } from '../../../functions/config/schema';
import type { BatchProgress, Deployment } from '../../../functions/shared/deployment';
import { ConfigError, DefinitionNotFound, RollbackFailed } from '../../../functions/shared/errors';
import { imageRef } from '../../../functions/shared/image';
import { deploymentOfTarget } from '../../support/deployments';

const batchMock = mockClient(BatchClient);

const REGISTRY = '123456789012.dkr.ecr.us-east-1.amazonaws.com';
const DIGEST = `sha256:${'a'.repeat(64)}`;
const IMAGE = imageRef(REGISTRY, 'splitter', DIGEST, 'v2');
const DEPLOYMENT_ID = 'splitter-aaaaaaaaaaaa';
const JOB_ROLE = 'arn:aws:iam::123456789012:role/splitter-job';
const EXECUTION_ROLE = 'arn:aws:iam::123456789012:role/batch-execution';

const ARN = (revision: number, name = 'splitter') => `arn:aws:batch:us-east-1:123456789012:job-definition/${name}:${revision}`;

function deployment(batch: Record<string, unknown> = {}): Deployment {
  return deploymentOfTarget({ name: 'splitter', repository: 'splitter', batch: { jobDefinition: 'splitter', ...batch } }, IMAGE, { id: DEPLOYMENT_ID });
}

/** A revision as DescribeJobDefinitions returns it; its image says which revision it is. */
function revision(number: number, fields: Partial<JobDefinition> = {}): JobDefinition {
  return {
    jobDefinitionName: 'splitter',
    jobDefinitionArn: ARN(number),
    revision: number,
    status: 'ACTIVE',
    type: 'container',
    containerOrchestrationType: 'ECS',
    containerProperties: { image: `${REGISTRY}/splitter:r${number}`, jobRoleArn: JOB_ROLE, executionRoleArn: EXECUTION_ROLE },
    ...fields,
  };
}

/** DescribeJobDefinitions answers page by page, following nextToken: `page-2`, `page-3`, … */
function describePages(...pages: JobDefinition[][]): DescribeJobDefinitionsCommandInput[] {
  const seen: DescribeJobDefinitionsCommandInput[] = [];
  batchMock.on(DescribeJobDefinitionsCommand).callsFake((input: DescribeJobDefinitionsCommandInput): DescribeJobDefinitionsCommandOutput => {
    seen.push({ ...input });
    const index = input.nextToken ? Number(input.nextToken.replace('page-', '')) - 1 : 0;
    const nextToken = index + 1 < pages.length ? `page-${index + 2}` : undefined;
    return { $metadata: {}, jobDefinitions: pages[index] ?? [], ...(nextToken ? { nextToken } : {}) };
  });
  return seen;
}

function registered() {
  return batchMock.commandCalls(RegisterJobDefinitionCommand).map((call) => call.args[0].input);
}

function deregistered() {
  return batchMock.commandCalls(DeregisterJobDefinitionCommand).map((call) => call.args[0].input);
}

beforeEach(() => {
  batchMock.reset();
  batchMock.on(RegisterJobDefinitionCommand).resolves({ jobDefinitionName: 'splitter', jobDefinitionArn: ARN(20), revision: 20 });
});

describe('activeRevisions', () => {
  it('reads every page and orders the ACTIVE revisions of the name newest first, whatever order Batch returns them in', async () => {
    const seen = describePages(
      [revision(3), revision(9)],
      [revision(12), revision(14, { status: 'INACTIVE' }), revision(40, { jobDefinitionName: 'splitter-v2', jobDefinitionArn: ARN(40, 'splitter-v2') })],
      [revision(5)],
    );

    const revisions = await activeRevisions('splitter');

    expect(revisions.map((r) => r.revision)).toEqual([12, 9, 5, 3]);
    expect(seen).toEqual([
      { jobDefinitionName: 'splitter', status: 'ACTIVE' },
      { jobDefinitionName: 'splitter', status: 'ACTIVE', nextToken: 'page-2' },
      { jobDefinitionName: 'splitter', status: 'ACTIVE', nextToken: 'page-3' },
    ]);
  });
});

describe('registerJobDefinitionRevision', () => {
  it('registers a new revision from the highest ACTIVE revision across pages, regardless of order', async () => {
    describePages([revision(9)], [revision(12), revision(3)], [revision(11)]);

    const progress = await registerJobDefinitionRevision(deployment());

    expect(registered()).toStrictEqual([
      {
        jobDefinitionName: 'splitter',
        type: 'container',
        containerProperties: { image: IMAGE.uri, jobRoleArn: JOB_ROLE, executionRoleArn: EXECUTION_ROLE },
        tags: { [DEPLOYMENT_TAG_KEY]: DEPLOYMENT_ID },
      },
    ]);
    expect(progress).toStrictEqual({
      jobDefinitionName: 'splitter',
      previousJobDefinitionArn: ARN(12),
      newJobDefinitionArn: ARN(20),
      containers: [{ name: 'containerProperties', target: 'splitter', previousImage: `${REGISTRY}/splitter:r12`, image: IMAGE.uri }],
    });
  });

  it('throws DefinitionNotFound telling to create the job definition first when it has no ACTIVE revision, and registers nothing', async () => {
    describePages([], [revision(4, { status: 'INACTIVE' })]);

    const result = registerJobDefinitionRevision(deployment());

    await expect(result).rejects.toBeInstanceOf(DefinitionNotFound);
    await expect(result).rejects.toMatchObject({ name: 'DefinitionNotFound', message: expect.stringContaining('"splitter" has no ACTIVE revision. Create it first') });
    expect(registered()).toEqual([]);
  });

  it('throws ConfigError before registering when the revision uses a role not in batch.passRoles', async () => {
    describePages([revision(12)]);

    const result = registerJobDefinitionRevision(deployment({ passRoles: ['batch-execution'] }));

    await expect(result).rejects.toBeInstanceOf(ConfigError);
    await expect(result).rejects.toMatchObject({ name: 'ConfigError', message: expect.stringContaining(`uses role(s) ${JOB_ROLE} that are not in batch.passRoles`) });
    expect(registered()).toEqual([]);
  });

  it('checks the roles of ECS task properties too', async () => {
    const ecs = revision(12, {
      containerProperties: undefined,
      ecsProperties: { taskProperties: [{ taskRoleArn: 'arn:aws:iam::123456789012:role/task', executionRoleArn: EXECUTION_ROLE, containers: [{ name: 'app', image: `${REGISTRY}/splitter:r12` }] }] },
    });
    describePages([ecs]);

    await expect(registerJobDefinitionRevision(deployment({ passRoles: ['batch-execution'] }))).rejects.toMatchObject({
      name: 'ConfigError',
      message: expect.stringContaining('arn:aws:iam::123456789012:role/task'),
    });
    expect(registered()).toEqual([]);
  });

  it('registers when every role is in batch.passRoles, by name, or by path and name', async () => {
    describePages([revision(12, { containerProperties: { image: `${REGISTRY}/splitter:r12`, jobRoleArn: 'arn:aws:iam::123456789012:role/service-role/splitter-job', executionRoleArn: EXECUTION_ROLE } })]);

    const progress = await registerJobDefinitionRevision(deployment({ passRoles: ['service-role/splitter-job', 'batch-execution'] }));

    expect(progress.newJobDefinitionArn).toBe(ARN(20));
    expect(registered()).toHaveLength(1);
  });

  it('refuses a role under a path that passRoles names without it: IAM would not let it be passed', async () => {
    describePages([revision(12, { containerProperties: { image: `${REGISTRY}/splitter:r12`, jobRoleArn: 'arn:aws:iam::123456789012:role/service-role/splitter-job', executionRoleArn: EXECUTION_ROLE } })]);

    await expect(registerJobDefinitionRevision(deployment({ passRoles: ['splitter-job', 'batch-execution'] }))).rejects.toMatchObject({
      name: 'ConfigError',
      message: expect.stringContaining('role/service-role/splitter-job that are not in batch.passRoles'),
    });
    expect(registered()).toEqual([]);
  });

  it('reuses the revision this deployment registered, found by its marker tag, and reports the revision below it as the previous one', async () => {
    describePages([revision(12)], [revision(13, { containerProperties: { image: IMAGE.uri }, tags: { [DEPLOYMENT_TAG_KEY]: DEPLOYMENT_ID } }), revision(11)]);

    const progress = await registerJobDefinitionRevision(deployment());

    expect(registered()).toEqual([]);
    expect(progress).toStrictEqual({
      jobDefinitionName: 'splitter',
      previousJobDefinitionArn: ARN(12),
      newJobDefinitionArn: ARN(13),
      containers: [{ name: 'containerProperties', target: 'splitter', previousImage: `${REGISTRY}/splitter:r12`, image: IMAGE.uri }],
    });
  });

  it('registers from a revision another deployment registered, replacing its marker tag', async () => {
    describePages([revision(13, { tags: { team: 'research', [DEPLOYMENT_TAG_KEY]: 'splitter-eeeeeeeeeeee' } }), revision(12)]);

    const progress = await registerJobDefinitionRevision(deployment());

    expect(registered().map((input) => input.tags)).toStrictEqual([{ team: 'research', [DEPLOYMENT_TAG_KEY]: DEPLOYMENT_ID }]);
    expect(progress.previousJobDefinitionArn).toBe(ARN(13));
  });

  it('throws DefinitionNotFound when the only ACTIVE revision is the one this deployment registered', async () => {
    describePages([revision(13, { tags: { [DEPLOYMENT_TAG_KEY]: DEPLOYMENT_ID } })]);

    await expect(registerJobDefinitionRevision(deployment())).rejects.toMatchObject({ name: 'DefinitionNotFound', message: expect.stringContaining('from before this deployment') });
    expect(registered()).toEqual([]);
  });
});

describe('rollBackJobDefinition', () => {
  const progress: BatchProgress = {
    jobDefinitionName: 'splitter',
    previousJobDefinitionArn: ARN(12),
    newJobDefinitionArn: ARN(13),
    containers: [{ name: 'containerProperties', target: 'splitter', previousImage: `${REGISTRY}/splitter:r12`, image: IMAGE.uri }],
  };

  /** DescribeJobDefinitions before and after the rollback deregisters: one page each. */
  function describeBeforeAndAfter(before: JobDefinition[], after: JobDefinition[]): void {
    batchMock
      .on(DescribeJobDefinitionsCommand)
      .resolvesOnce({ jobDefinitions: before })
      .resolves({ jobDefinitions: after });
  }

  it('deregisters the new revision, never the previous one, and reports the latest ACTIVE revision', async () => {
    describeBeforeAndAfter([revision(12), revision(13)], [revision(12)]);
    batchMock.on(DeregisterJobDefinitionCommand).resolves({});

    const result = await rollBackJobDefinition(progress);

    expect(deregistered()).toStrictEqual([{ jobDefinition: ARN(13) }]);
    expect(result).toStrictEqual({ ...progress, rollback: { deregistered: ARN(13), latestJobDefinitionArn: ARN(12) } });
  });

  it('does not deregister again when the new revision is already INACTIVE', async () => {
    describeBeforeAndAfter([revision(12)], [revision(12)]);

    const result = await rollBackJobDefinition(progress);

    expect(deregistered()).toEqual([]);
    expect(result).toStrictEqual({ ...progress, rollback: { deregistered: undefined, latestJobDefinitionArn: ARN(12) } });
  });

  it('throws RollbackFailed naming the revision to register again when no ACTIVE revision is left', async () => {
    describeBeforeAndAfter([revision(13)], []);
    batchMock.on(DeregisterJobDefinitionCommand).resolves({});

    const result = rollBackJobDefinition(progress);

    await expect(result).rejects.toBeInstanceOf(RollbackFailed);
    await expect(result).rejects.toMatchObject({ name: 'RollbackFailed', message: 'job definition splitter has no ACTIVE revision left; register splitter:12 again.' });
    expect(deregistered()).toStrictEqual([{ jobDefinition: ARN(13) }]);
  });

  it('asks for a retry (AwsTransientError) when Batch still shows the new revision as latest right after deregistering it', async () => {
    describeBeforeAndAfter([revision(12), revision(13)], [revision(12), revision(13)]);
    batchMock.on(DeregisterJobDefinitionCommand).resolves({});

    await expect(rollBackJobDefinition(progress)).rejects.toMatchObject({ name: 'AwsTransientError', message: expect.stringContaining('splitter:13 is still the latest ACTIVE revision') });
  });
});
