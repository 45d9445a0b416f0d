import { DescribeExecutionCommand, ListExecutionsCommand, SFNClient, type DescribeExecutionCommandOutput } from '@aws-sdk/client-sfn';
import { mockClient } from 'aws-sdk-client-mock';
import {
  chooseRollback,
  deploymentRecordOf,
  deploymentRecords,
  executionArnOf,
  mayBelongTo,
  stateMachineArnOf,
  type DeploymentRecord,
  type ScanStats,
} from '../../../functions/deployment/history';

/** The deployment history as the executions of the deploy state machine tell it. */

const sfnMock = mockClient(SFNClient);
const STATE_MACHINE = 'arn:aws:states:eu-west-1:210987654321:stateMachine:ecr-deployer-dev-deploy';
const D = (seed: string) => `sha256:${seed.repeat(64).slice(0, 64)}`;

function record(name: string, overrides: Partial<DeploymentRecord> = {}): DeploymentRecord {
  return { executionName: name, executionArn: `arn:…:${name}`, status: 'SUCCEEDED', target: 'web', request: { form: 'tag' }, previousImages: [], ...overrides };
}

/** A DescribeExecution answer: what the test gives, over the fields every answer has. */
function described(fields: Partial<DescribeExecutionCommandOutput>): DescribeExecutionCommandOutput {
  return { $metadata: {}, executionArn: `${STATE_MACHINE.replace(':stateMachine:', ':execution:')}:x`, stateMachineArn: STATE_MACHINE, startDate: new Date(), status: 'SUCCEEDED', ...fields };
}

async function* listOf(records: DeploymentRecord[]): AsyncGenerator<DeploymentRecord> {
  for (const r of records) yield r;
}

beforeEach(() => {
  sfnMock.reset();
});

describe('execution names', () => {
  it.each([
    ['web-0123456789abcdef0123456789abcdef', 'web', true],
    ['web-api-0123456789abcdef0123456789abcdef', 'web', false],
    ['manual-web-0123456789ab-20261123T101505Z', 'web', true],
    ['manual-web-api-0123456789ab-20261123T101505Z', 'web', false],
    ['rollback-web-20261123T101505Z', 'web', true],
    ['rollback-web-api-20261123T101505Z', 'web', false],
    ['0f7c1e9a-8d55-4c1b-9a77-5d0e2b1c4f3a', 'web', true],
  ])('%s may belong to %s: %s', (name, target, expected) => {
    expect(mayBelongTo(name, target)).toBe(expected);
  });

  it('derives the state machine from an execution ARN, and back', () => {
    const executionArn = 'arn:aws:states:eu-west-1:210987654321:execution:ecr-deployer-dev-deploy:web-1';

    expect(stateMachineArnOf(executionArn)).toBe(STATE_MACHINE);
    expect(executionArnOf(STATE_MACHINE, 'web-1')).toBe(executionArn);
    expect(stateMachineArnOf('not an arn')).toBeUndefined();
  });
});

describe('deploymentRecordOf', () => {
  it('reads what a Batch deployment replaced and registered', () => {
    const output = {
      deployment: { target: { name: 'splitter', kind: 'batch' }, image: { repository: 'splitter', tag: 'c0ffee1', digest: D('c0') } },
      batch: {
        previousJobDefinitionArn: 'arn:aws:batch:eu-west-1:210987654321:job-definition/splitter:2',
        newJobDefinitionArn: 'arn:aws:batch:eu-west-1:210987654321:job-definition/splitter:3',
        containers: [{ name: 'containerProperties', previousImage: 'reg/splitter:8a1d4b7' }],
      },
    };

    const result = deploymentRecordOf(described({ name: 'splitter-1', input: '{"target":"splitter","tag":"c0ffee1"}', output: JSON.stringify(output) }));

    expect(result).toMatchObject({
      target: 'splitter',
      kind: 'batch',
      request: { form: 'tag', tag: 'c0ffee1', triggerKind: 'manual' },
      image: { tag: 'c0ffee1', digest: D('c0') },
      previousImages: ['reg/splitter:8a1d4b7'],
      revisions: { previous: expect.stringMatching(/splitter:2$/), next: expect.stringMatching(/splitter:3$/) },
    });
  });

  it('reads the digest a Lambda function ran before, not the tag it was configured with', () => {
    const output = {
      deployment: { target: { name: 'ml', kind: 'lambda' }, image: { repository: 'ml', digest: D('9a') } },
      lambda: { functionName: 'ml-fn', previousImageUri: 'reg/ml:latest', previousResolvedImageUri: `reg/ml@${D('5e')}`, previousVersion: '3', newVersion: '4' },
    };

    const result = deploymentRecordOf(described({ name: 'ml-1', input: '{}', output: JSON.stringify(output) }));

    expect(result.previousImages).toEqual([`reg/ml@${D('5e')}`]);
    expect(result.revisions).toEqual({ previous: 'ml-fn:3', next: 'ml-fn:4' });
  });

  it('reads a failed execution from its input alone', () => {
    const input = { target: { name: 'web', kind: 'ecs' }, image: { repository: 'web', tag: 'v2', digest: D('a2') }, trigger: { kind: 'ecr-push', eventIds: ['e'] } };

    const result = deploymentRecordOf(described({ name: 'web-1', status: 'FAILED', input: JSON.stringify(input), error: 'SmokeTestFailed', cause: 'GET → 500' }));

    expect(result).toMatchObject({ target: 'web', kind: 'ecs', request: { form: 'full', triggerKind: 'ecr-push' }, image: { tag: 'v2' }, previousImages: [], error: 'SmokeTestFailed' });
  });
});

describe('chooseRollback', () => {
  it('refuses when the containers ran different images before', async () => {
    const records = [record('web-1', { previousImages: ['reg/web@' + D('01'), 'reg/web@' + D('02')] })];

    await expect(chooseRollback(listOf(records), 'web')).rejects.toMatchObject({ name: 'NoRollbackTarget', message: expect.stringContaining('ran different images') });
  });

  it('refuses when the deployment to undo recorded no image from before it', async () => {
    await expect(chooseRollback(listOf([record('web-1')]), 'web')).rejects.toMatchObject({ name: 'NoRollbackTarget', message: expect.stringContaining('recorded no image from before it') });
  });

  it('undoes rollbacks in order: two rollbacks go two deployments back', async () => {
    const records = [
      record('rollback-2', { rollbackOf: 'web-b' }),
      record('rollback-1', { rollbackOf: 'web-c' }),
      record('web-c', { previousImages: ['reg/web@' + D('0b')] }),
      record('web-b', { previousImages: ['reg/web@' + D('0a')] }),
      record('web-a', { previousImages: ['reg/web@' + D('00')] }),
    ];

    const choice = await chooseRollback(listOf(records), 'web');

    expect(choice.undoes.executionName).toBe('web-a');
    expect(choice.previousImage).toBe('reg/web@' + D('00'));
  });

  it('says how far it searched when it finds nothing', async () => {
    const stats: ScanStats = { listed: 42, described: 3, limited: true };

    await expect(chooseRollback(listOf([]), 'web', stats)).rejects.toMatchObject({ message: expect.stringContaining('searched 42 successful executions, then stopped') });
  });
});

describe('deploymentRecords', () => {
  it('pages through the executions and stops at its limit', async () => {
    const item = (n: number) => ({ executionArn: `${STATE_MACHINE.replace(':stateMachine:', ':execution:')}:x-${n}`, name: `x-${n}`, stateMachineArn: STATE_MACHINE, status: 'SUCCEEDED' as const, startDate: new Date() });
    sfnMock.on(ListExecutionsCommand).resolvesOnce({ executions: [item(1), item(2)], nextToken: 'page-2' }).resolvesOnce({ executions: [item(3), item(4)] });
    sfnMock.on(DescribeExecutionCommand).callsFake((input: { executionArn: string }) => ({ executionArn: input.executionArn, name: input.executionArn.split(':').pop(), status: 'SUCCEEDED', input: '{"target":"web","tag":"v1"}' }));
    const stats: ScanStats = { listed: 0, described: 0, limited: false };

    const names: string[] = [];
    for await (const r of deploymentRecords({ stateMachineArn: STATE_MACHINE, target: 'web', maxDescribed: 3, stats })) names.push(r.executionName);

    expect(names).toEqual(['x-1', 'x-2', 'x-3']);
    expect(stats).toEqual({ listed: 3, described: 3, limited: true });
    expect(sfnMock).toHaveReceivedCommandWith(ListExecutionsCommand, { nextToken: 'page-2' });
  });
});
