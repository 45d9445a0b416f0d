import type { DeploymentEventDetail } from '../../../../functions/events/deployment-events';
import { parseDeploymentsFile } from '../../../../functions/config/load';
import type { DeploymentsFile } from '../../../../functions/config/schema';

const DIGEST = 'sha256:7f5b2640fe6fb4f46592dfd3410c4a79dac4f89e4782432e0378abcd12345678';
const TD = (family: string, revision: number): string => `arn:aws:ecs:us-east-1:123456789012:task-definition/${family}:${revision}`;
const EXECUTION_ARN = 'arn:aws:states:us-east-1:123456789012:execution:ecr-deployer-dev-deploy:stream-ml-service-7f5b2640fe6fb4f46592dfd3410c4a79';

/** A deployment event as publish-deployment-event builds them; a smoke-test failure story by default. */
function deploymentEvent(overrides: Partial<DeploymentEventDetail> = {}): DeploymentEventDetail {
  return {
    deploymentId: 'stream-ml-service-7f5b2640fe6fb4f46592dfd3410c4a79',
    target: 'stream-ml-service',
    environment: 'prod',
    kind: 'ecs',
    image: { repository: 'stream-ml-service', tag: 'v1.4.0', digest: DIGEST, uri: `123456789012.dkr.ecr.us-east-1.amazonaws.com/stream-ml-service@${DIGEST}` },
    status: 'STARTED',
    phase: 'start',
    previous: null,
    current: null,
    executionArn: EXECUTION_ARN,
    startedAt: '2026-11-23T10:15:05.000Z',
    at: '2026-11-23T10:15:06.000Z',
    ...overrides,
  };
}

/** One event per status, with what each status carries (deployment-events.ts). */
const STORY: Record<DeploymentEventDetail['status'], Partial<DeploymentEventDetail>> = {
  AWAITING_APPROVAL: {
    status: 'AWAITING_APPROVAL',
    phase: 'approval',
    reason: 'waiting for approval until 2026-11-24T10:15:06.000Z. Approve: npx ecr-deployer approve stream-ml-service-7f5b2640fe6fb4f46592dfd3410c4a79 — or reject: npx ecr-deployer reject stream-ml-service-7f5b2640fe6fb4f46592dfd3410c4a79 --reason "…"',
  },
  STARTED: {},
  SUCCEEDED: { status: 'SUCCEEDED', phase: 'done', previous: TD('stream-ml-service', 7), current: TD('stream-ml-service', 8), at: '2026-11-23T10:17:41.000Z' },
  FAILED: {
    status: 'FAILED',
    phase: 'register',
    reason: 'ContainerNotFound: no container of stream-ml-service:7 takes stream-ml-service; containers: app, sidecar. Set ecs.containers in deployments.yml',
    previous: TD('stream-ml-service', 7),
    current: TD('stream-ml-service', 7),
    at: '2026-11-23T10:15:09.000Z',
  },
  ROLLING_BACK: {
    status: 'ROLLING_BACK',
    phase: 'smoke-test',
    reason: 'SmokeTestFailed: GET http://lb.example/health → 500 (expected 200): {"status":"error"} (after 5 attempts)',
    previous: TD('stream-ml-service', 7),
    current: TD('stream-ml-service', 8),
    at: '2026-11-23T10:17:21.000Z',
  },
  ROLLED_BACK: {
    status: 'ROLLED_BACK',
    phase: 'smoke-test',
    reason: 'SmokeTestFailed: GET http://lb.example/health → 500 (expected 200): {"status":"error"} (after 5 attempts)',
    previous: TD('stream-ml-service', 7),
    current: TD('stream-ml-service', 7),
    at: '2026-11-23T10:19:02.000Z',
  },
  ROLLBACK_FAILED: {
    status: 'ROLLBACK_FAILED',
    phase: 'rollback',
    reason: 'RolloutTimeout: deployment ecs-svc/1 not COMPLETED within 900 s — then rollback failed: RollbackFailed: the service runs stream-ml-service:9, neither the new nor the recorded revision',
    previous: TD('stream-ml-service', 7),
    current: null,
    at: '2026-11-23T11:02:44.000Z',
  },
  SKIPPED: { status: 'SKIPPED', phase: 'prepare', reason: 'the service already runs this image', previous: TD('stream-ml-service', 8), current: TD('stream-ml-service', 8), at: '2026-11-23T10:15:07.000Z' },
  DRIFT_DETECTED: {
    deploymentId: 'drift-stream-ml-service-0c1d2e3f4a5b',
    status: 'DRIFT_DETECTED',
    phase: 'drift',
    reason: 'service stream-ml-service-1 runs stream-ml-service:9, not stream-ml-service:8, which ecr-deployer left; container stream-ml-service: stream-ml-service@sha256:13131313131313… instead of stream-ml-service@sha256:7f5b2640fe6f…',
    previous: TD('stream-ml-service', 8),
    current: TD('stream-ml-service', 9),
    executionArn: null,
    startedAt: '2026-11-24T08:00:00.000Z',
    at: '2026-11-24T08:00:01.000Z',
    trigger: { kind: 'reconcile' },
    drift: {
      expected: TD('stream-ml-service', 8),
      observed: TD('stream-ml-service', 9),
      since: '2026-11-24T08:00:00.000Z',
      deployedBy: 'stream-ml-service-7f5b2640fe6fb4f46592dfd3410c4a79',
      differences: ['service stream-ml-service-1 runs stream-ml-service:9, not stream-ml-service:8, which ecr-deployer left', 'container stream-ml-service: stream-ml-service@sha256:13131313131313… instead of stream-ml-service@sha256:7f5b2640fe6f…'],
      action: 'report',
    },
  },
};

function eventFor(status: DeploymentEventDetail['status'], overrides: Partial<DeploymentEventDetail> = {}): DeploymentEventDetail {
  return deploymentEvent({ ...STORY[status], ...overrides });
}

/** The EventBridge envelope the notifier's rule delivers. */
function eventBridgeEnvelope(detail: DeploymentEventDetail): Record<string, unknown> {
  return {
    'version': '0',
    'id': `event-${detail.deploymentId}-${detail.status}`,
    'detail-type': 'Deployment State Change',
    'source': 'ecr-deployer',
    'account': '123456789012',
    'time': detail.at,
    'region': 'us-east-1',
    'resources': detail.executionArn ? [detail.executionArn] : [],
    'detail': detail,
  };
}

/** A valid deployments.yml (defaults applied) with the given notifications. */
function configWith(notifications: unknown, targetNotifications: Record<string, unknown> = {}): DeploymentsFile {
  const target = (name: string) => ({
    name,
    repository: name,
    environment: name === 'web-dev' ? 'dev' : 'prod',
    ecs: { cluster: 'c', service: name },
    ...(targetNotifications[name] ? { notifications: targetNotifications[name] } : {}),
  });
  return parseDeploymentsFile({ targets: [target('stream-ml-service'), target('web-dev')], ...(notifications ? { notifications } : {}) });
}

export { deploymentEvent, eventFor, eventBridgeEnvelope, configWith, STORY, TD, EXECUTION_ARN, DIGEST };
