import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { mockClient } from 'aws-sdk-client-mock';
import { handler } from '../../../functions/handlers/publish-deployment-event';
import type { DeploymentState } from '../../../functions/shared/deployment';
import { changeOf, deploymentOfChanges, deploymentOfTarget } from '../../support/deployments';

const eventsMock = mockClient(EventBridgeClient);
const DIGEST = `sha256:${'b'.repeat(64)}`;
const TD = (revision: number) => `arn:aws:ecs:us-east-1:123456789012:task-definition/web:${revision}`;

const state: DeploymentState = {
  deployment: deploymentOfTarget(
    { name: 'web', repository: 'web', tags: ['v*'], environment: 'staging', ecs: { cluster: 'c', service: 's' }, rollout: { timeoutSeconds: 1, rollbackTimeoutSeconds: 60, pollSeconds: 1 } },
    { registry: 'r', repository: 'web', tag: 'v2', digest: DIGEST, uri: `r/web@${DIGEST}` },
    { id: 'web-bbbbbbbbbbbb', executionArn: 'arn:aws:states:us-east-1:123456789012:execution:deploy:web-bbbbbbbbbbbb' },
  ),
  ecs: {
    cluster: 'c',
    service: 's',
    serviceArn: 's',
    previousTaskDefinitionArn: TD(7),
    newTaskDefinitionArn: TD(8),
    deploymentId: 'ecs-svc/1',
    pollSeconds: 1,
    rolloutDeadline: '2026-11-23T10:15:00.000Z',
    circuitBreaker: { enable: false, rollback: false },
  },
  rollout: { status: 'COMPLETED', runningCount: 2, desiredCount: 2, pendingCount: 0, checkedAt: '' },
  verification: { verifiedTasks: 2, digests: [DIGEST] },
  smoke: { checks: [{ passed: false, attempts: 3 }], allPassed: false, retryAfterSeconds: 10 },
  failure: {
    Error: 'SmokeTestFailed',
    Cause: JSON.stringify({ errorType: 'SmokeTestFailed', errorMessage: 'GET /health → 500 (after 3 attempts)', trace: ['at x'] }),
  },
};

beforeEach(() => {
  eventsMock.reset();
  eventsMock.on(PutEventsCommand).resolves({ FailedEntryCount: 0, Entries: [{ EventId: '1' }] });
});

function sentDetail(): Record<string, unknown> {
  const entry = eventsMock.commandCalls(PutEventsCommand)[0]?.args[0].input.Entries?.[0];
  return JSON.parse(entry?.Detail ?? '{}') as Record<string, unknown>;
}

describe('publish deployment event', () => {
  it('sends a "Deployment State Change" from source ecr-deployer to the configured bus', async () => {
    await handler({ status: 'STARTED', state: { deployment: state.deployment } });

    expect(eventsMock).toHaveReceivedCommandWith(PutEventsCommand, {
      Entries: [expect.objectContaining({ Source: 'ecr-deployer', DetailType: 'Deployment State Change', EventBusName: 'default', Resources: [state.deployment.executionArn] })],
    });
    expect(sentDetail()).toMatchObject({ status: 'STARTED', phase: 'start', previous: null, current: null, target: 'web', environment: 'staging' });
  });

  it('names the failing phase and gives the reason without the Lambda error JSON', async () => {
    await handler({ status: 'ROLLED_BACK', state });

    expect(sentDetail()).toMatchObject({
      status: 'ROLLED_BACK',
      phase: 'smoke-test',
      reason: 'SmokeTestFailed: GET /health → 500 (after 3 attempts)',
      previous: TD(7),
      current: TD(7),
    });
  });

  it('gives both reasons when the rollback failed too', async () => {
    await handler({ status: 'ROLLBACK_FAILED', state: { ...state, rollbackFailure: { Error: 'RollbackFailed', Cause: 'rollback to web:7 FAILED: tasks failed' } } });

    expect(sentDetail()).toMatchObject({
      phase: 'rollback',
      reason: 'SmokeTestFailed: GET /health → 500 (after 3 attempts) — then rollback failed: RollbackFailed: rollback to web:7 FAILED: tasks failed',
      current: null,
    });
  });

  it('publishes one event per target of a deployment that changes two, each with its own image', async () => {
    const other = { registry: 'r', repository: 'sidecar', tag: 'v9', digest: `sha256:${'9'.repeat(64)}`, uri: `r/sidecar@sha256:${'9'.repeat(64)}` };
    const two = {
      ...state,
      deployment: deploymentOfChanges(
        [...state.deployment.changes, changeOf({ name: 'sidecar', repository: 'sidecar', environment: 'staging', ecs: { cluster: 'c', service: 's' } }, other)],
        { id: state.deployment.id, executionArn: state.deployment.executionArn, trigger: { kind: 'manual', requestedBy: 'arn:aws:iam::123456789012:user/ana' } },
      ),
    };

    await handler({ status: 'SUCCEEDED', state: two });

    const entries = eventsMock.commandCalls(PutEventsCommand)[0]?.args[0].input.Entries ?? [];
    const details = entries.map((entry) => JSON.parse(entry.Detail ?? '{}') as Record<string, unknown>);
    expect(details).toEqual([
      expect.objectContaining({ target: 'web', image: expect.objectContaining({ digest: DIGEST }), current: TD(8), slot: 'ecs:c/s', trigger: { kind: 'manual', requestedBy: 'arn:aws:iam::123456789012:user/ana' } }),
      expect.objectContaining({ target: 'sidecar', image: expect.objectContaining({ digest: other.digest }), current: TD(8), slot: 'ecs:c/s', deploymentId: state.deployment.id }),
    ]);
  });

  it('treats a rejected entry as transient so the state machine retries it', async () => {
    eventsMock.on(PutEventsCommand).resolves({ FailedEntryCount: 1, Entries: [{ ErrorCode: 'InternalFailure', ErrorMessage: 'try again' }] });

    await expect(handler({ status: 'SUCCEEDED', state })).rejects.toMatchObject({ name: 'AwsTransientError' });
  });
});
