import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DescribeExecutionCommand, GetExecutionHistoryCommand, SFNClient, StartExecutionCommand } from '@aws-sdk/client-sfn';
import { GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import { mockClient } from 'aws-sdk-client-mock';
import { approvalStatus } from '../../functions/approval/model';
import { emptyRecord, type SlotRecord } from '../../functions/slots/model';
import { readSlot, updateSlot } from '../../functions/slots/store';
import { useFreshTables } from '../support/dynamodb';
import { runCli } from './support';

/**
 * `approve`, `reject` and `promote` against Step Functions and STS mocked, and
 * the real slot table (the tests' local DynamoDB): the decision is written where
 * the waiting deployment reads it, as the caller STS names, and only while that
 * deployment still waits.
 */

const sfnMock = mockClient(SFNClient);
const stsMock = mockClient(STSClient);
const tables = useFreshTables();

const STATE_MACHINE = 'arn:aws:states:us-east-1:123456789012:stateMachine:ecr-deployer-prod-deploy';
const DEPLOYMENT = 'promote-splitter-prod-20261123T101505Z';
const SLOT = { key: 'batch:upscaler-splitter-job-prod', kind: 'batch' as const };
const DIGEST = `sha256:${'ab'.repeat(32)}`;
const ALICE = 'arn:aws:sts::123456789012:assumed-role/release-manager/alice';
const credentials = { accessKeyId: 'test', secretAccessKey: 'test' };

const dynamodb = new DynamoDBClient({});
const slotTable = () => ({ client: dynamodb, name: tables.current().slots });

function env() {
  return { AWS_REGION: 'us-east-1', ECR_DEPLOYER_STATE_MACHINE_ARN: STATE_MACHINE, ECR_DEPLOYER_SLOTS_TABLE: tables.current().slots };
}

/** The state the deployment's latest step got: its slot, target and image. */
function waitingState() {
  return {
    deployment: {
      id: DEPLOYMENT,
      startedAt: '2026-11-23T10:15:05.000Z',
      slot: SLOT,
      changes: [{ target: { name: 'splitter-prod', kind: 'batch', repository: 'upscaler-splitter-prod-ecr' }, image: { registry: 'r', repository: 'upscaler-splitter-prod-ecr', digest: DIGEST, tag: 'v2.0.0', uri: 'x' } }],
      settings: { approval: { timeoutSeconds: 3600 } },
      trigger: { kind: 'manual' },
    },
  };
}

/** The slot held by the deployment, waiting for approval until an hour from now. */
async function waitingSlot(change: (record: SlotRecord) => void = () => undefined): Promise<void> {
  await updateSlot(SLOT.key, SLOT.kind, (record: SlotRecord) => {
    const now = new Date();
    record.generation = 1;
    record.lease = {
      holder: DEPLOYMENT,
      generation: 1,
      running: true,
      images: { 'splitter-prod': { digest: DIGEST, tag: 'v2.0.0', at: now.toISOString(), trigger: { kind: 'manual' } } },
      since: now.toISOString(),
      expiresAt: new Date(now.getTime() + 7_200_000).toISOString(),
      approval: { requestedAt: now.toISOString(), until: new Date(now.getTime() + 3_600_000).toISOString() },
    };
    change(record);
  });
}

beforeEach(() => {
  sfnMock.reset();
  stsMock.reset();
  sfnMock.on(DescribeExecutionCommand).resolves({ executionArn: `${STATE_MACHINE.replace(':stateMachine:', ':execution:')}:${DEPLOYMENT}`, name: DEPLOYMENT, status: 'RUNNING' });
  sfnMock.on(GetExecutionHistoryCommand).resolves({ events: [{ id: 9, type: 'TaskStateEntered', timestamp: new Date(), stateEnteredEventDetails: { name: 'CheckApproval', input: JSON.stringify(waitingState()) } }] });
  stsMock.on(GetCallerIdentityCommand).resolves({ Arn: ALICE, Account: '123456789012', UserId: 'AROA:alice' });
});

describe('approve', () => {
  it('records the approval as the caller, where the waiting deployment reads it', async () => {
    await waitingSlot();

    const result = await runCli(['approve', DEPLOYMENT], { env: env(), credentials });

    expect(result.code).toBe(0);
    expect(result.stdout).toContain(`approved ${DEPLOYMENT} (splitter-prod v2.0.0 @ sha256:${'ab'.repeat(6)}) as ${ALICE}.`);
    const record = await readSlot(SLOT.key, SLOT.kind, slotTable());
    expect(approvalStatus(record, DEPLOYMENT, new Date())).toMatchObject({ status: 'approved', by: ALICE });
  });

  it('does nothing for a deployment superseded while it waited, and says why (exit 1)', async () => {
    await waitingSlot((record) => {
      record.targets['splitter-prod'] = { desired: { digest: `sha256:${'cd'.repeat(32)}`, tag: 'v2.0.1', at: new Date().toISOString(), trigger: { kind: 'manual' } }, pending: true };
    });

    const result = await runCli(['approve', DEPLOYMENT], { env: env(), credentials });

    expect(result.code).toBe(1);
    expect(result.stderr).toContain(`not recorded: ${DEPLOYMENT} is no longer waiting: superseded while it waited for approval by splitter-prod sha256:cdcdcdcdcdcd (v2.0.1)`);
    const record = await readSlot(SLOT.key, SLOT.kind, slotTable());
    expect(record.lease?.approval?.decision).toBeUndefined();
  });

  it('refuses a deployment that has ended, writing nothing', async () => {
    sfnMock.on(DescribeExecutionCommand).resolves({ name: DEPLOYMENT, status: 'SUCCEEDED' });

    const result = await runCli(['approve', DEPLOYMENT], { env: env(), credentials });

    expect(result.code).toBe(1);
    expect(result.stderr).toContain(`${DEPLOYMENT} is not waiting for approval: it ended SUCCEEDED. Nothing was recorded.`);
    expect(stsMock.calls()).toHaveLength(0);
    const record = await readSlot(SLOT.key, SLOT.kind, slotTable());
    expect(record).toEqual(emptyRecord(SLOT.key, SLOT.kind));
  });
});

describe('reject', () => {
  it('records the rejection with its reason; a second decision is refused', async () => {
    await waitingSlot();

    const rejected = await runCli(['reject', DEPLOYMENT, '--reason', 'freeze until Monday'], { env: env(), credentials });
    const again = await runCli(['approve', DEPLOYMENT], { env: env(), credentials });

    expect(rejected.code).toBe(0);
    expect(rejected.stdout).toContain('It ends SKIPPED at its next look: nothing is changed.');
    const record = await readSlot(SLOT.key, SLOT.kind, slotTable());
    expect(approvalStatus(record, DEPLOYMENT, new Date())).toEqual({ status: 'rejected', reason: expect.stringMatching(/^rejected by .+alice at \S+: freeze until Monday$/) });
    expect(again.code).toBe(1);
    expect(again.stderr).toContain(`${DEPLOYMENT} was already rejected by ${ALICE}`);
  });

  it('needs a reason (exit 2)', async () => {
    const result = await runCli(['reject', DEPLOYMENT], { env: env(), credentials });

    expect(result.code).toBe(2);
    expect(result.stderr).toContain("required option '--reason <text>' not specified");
  });
});

describe('promote', () => {
  it("starts a promotion from the target's promote.from: the state machine picks the image", async () => {
    sfnMock.on(StartExecutionCommand).resolves({ executionArn: `${STATE_MACHINE}:x`, startDate: new Date() });

    const result = await runCli(['promote', 'splitter-prod', '--no-wait'], { env: env(), credentials });

    expect(result.code).toBe(0);
    expect(result.stdout).toContain('promote splitter-prod from splitter-staging: the image splitter-staging runs and last SUCCEEDED with');
    const input = JSON.parse(sfnMock.commandCalls(StartExecutionCommand)[0]?.args[0].input.input ?? '{}') as Record<string, unknown>;
    expect(input).toMatchObject({ target: 'splitter-prod', promoteFrom: 'splitter-staging', trigger: { kind: 'manual' } });
    expect(sfnMock.commandCalls(StartExecutionCommand)[0]?.args[0].input.name).toBe('promote-splitter-prod-20261123T101505Z');
  });

  it('asks where from when the target names no promote.from', async () => {
    const result = await runCli(['promote', 'stream-ml-service', '--no-wait'], { env: env(), credentials });

    expect(result.code).toBe(1);
    expect(result.stderr).toContain('say where to promote stream-ml-service from: --from <target>');
    expect(sfnMock).not.toHaveReceivedCommand(StartExecutionCommand);
  });
});
