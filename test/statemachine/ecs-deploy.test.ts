import { taskDefinitionLabel } from '../../functions/ecs/task-definition';
import { startHealthServer, type RunningHealthServer } from '../../local/health-server';
import type { SimulatedAwsAccount } from '../../local/simulated-account';
import {
  canvasServiceTarget,
  createSampleWorld,
  createTestWorld,
  digest,
  eventStatuses,
  executionInput,
  runDeployment,
  startExecution,
  useDeploymentsFile,
  SHORT_DRAMA,
  statesEntered,
  STREAM_ML,
  streamMlTarget,
} from '../support/world';
import { STREAM_ML_CURRENT_DIGEST } from '../../local/sample-world';

/**
 * The real statemachines/deploy.asl.yaml, executed by aws-local-stepfunctions with
 * every Task bound to the real handler, against a simulated AWS account.
 */

const NEW_DIGEST = digest('v1.4.0');

let account: SimulatedAwsAccount;

function runningLabel(): string {
  return taskDefinitionLabel(account.runningTaskDefinition(STREAM_ML.cluster, STREAM_ML.service)?.taskDefinitionArn ?? '');
}

afterEach(() => {
  account.restore();
});

describe('ECS deployment', () => {
  describe('when the new image is healthy', () => {
    it('registers a revision with the image by digest, rolls it out, verifies and succeeds', async () => {
      account = createSampleWorld();

      const result = await runDeployment(executionInput(account, streamMlTarget(), NEW_DIGEST));

      expect(result.status).toBe('SUCCEEDED');
      const running = account.runningTaskDefinition(STREAM_ML.cluster, STREAM_ML.service);
      expect(running?.revision).toBe(2);
      expect(running?.containerDefinitions?.[0]?.image).toBe(`${account.registry}/stream-ml-service@${NEW_DIGEST}`);
      expect(account.runningDigests(STREAM_ML.cluster, STREAM_ML.service)).toEqual([{ [STREAM_ML.container]: NEW_DIGEST }, { [STREAM_ML.container]: NEW_DIGEST }]);
      expect(eventStatuses(account)).toEqual(['STARTED', 'SUCCEEDED']);
      expect(statesEntered(result)).toEqual(
        expect.arrayContaining(['EcsDeployNewRevision', 'EcsCheckRollout', 'EcsVerifyRunningImage', 'RunSmokeTests']),
      );
    });

    it('publishes events that say what changed, from which revision to which', async () => {
      account = createSampleWorld();

      await runDeployment(executionInput(account, streamMlTarget(), NEW_DIGEST, 'v1.4.0'));

      const succeeded = account.events.find((e) => e.status === 'SUCCEEDED');
      expect(succeeded).toMatchObject({
        target: 'stream-ml-service',
        environment: 'prod',
        kind: 'ecs',
        image: { repository: 'stream-ml-service', tag: 'v1.4.0', digest: NEW_DIGEST },
        phase: 'done',
        previous: expect.stringMatching(/task-definition\/stream-ml-service:1$/),
        current: expect.stringMatching(/task-definition\/stream-ml-service:2$/),
        executionArn: expect.stringContaining(':execution:'),
      });
      expect(succeeded?.reason).toBeUndefined();
    });
  });

  describe('when the task has two containers', () => {
    it('changes only the named container and keeps secrets, environment, roles and logs', async () => {
      account = createSampleWorld();
      const before = account.runningTaskDefinition(SHORT_DRAMA.cluster, SHORT_DRAMA.service);
      const canvasDigest = digest('canvas-v2.1.0');

      const result = await runDeployment(executionInput(account, canvasServiceTarget(), canvasDigest, 'v2.1.0'));

      expect(result.status).toBe('SUCCEEDED');
      const after = account.runningTaskDefinition(SHORT_DRAMA.cluster, SHORT_DRAMA.service);
      const [canvasBefore, orchestratorBefore] = before?.containerDefinitions ?? [];
      const [canvasAfter, orchestratorAfter] = after?.containerDefinitions ?? [];
      expect(canvasAfter).toEqual({ ...canvasBefore, image: `${account.registry}/canvas-service@${canvasDigest}` });
      expect(orchestratorAfter).toEqual(orchestratorBefore);
      expect(canvasAfter?.secrets).toHaveLength(2);
      expect(after?.taskRoleArn).toBe(before?.taskRoleArn);
      expect(after?.executionRoleArn).toBe(before?.executionRoleArn);
    });
  });

  describe('when the rollout fails', () => {
    it('rolls back to the recorded revision after the deployment goes FAILED', async () => {
      account = createSampleWorld({ circuitBreaker: { enable: true, rollback: false } });
      account.setImageBehaviour(NEW_DIGEST, 'crashes');

      const result = await runDeployment(executionInput(account, streamMlTarget(), NEW_DIGEST));

      expect(result).toMatchObject({ status: 'FAILED', error: 'RolloutFailed' });
      expect(result.cause).toContain('tasks failed to start');
      expect(runningLabel()).toBe('stream-ml-service:1');
      expect(eventStatuses(account)).toEqual(['STARTED', 'ROLLING_BACK', 'ROLLED_BACK']);
      expect(account.events.at(-1)).toMatchObject({ phase: 'rollout', current: expect.stringMatching(/stream-ml-service:1$/), reason: expect.stringContaining('RolloutFailed') });
    });

    it('rolls back when the rollout passes its deadline', async () => {
      account = createSampleWorld();
      account.setImageBehaviour(NEW_DIGEST, 'never-stabilises');

      const result = await runDeployment(executionInput(account, streamMlTarget({ rollout: { timeoutSeconds: 0, pollSeconds: 15 } }), NEW_DIGEST));

      expect(result).toMatchObject({ status: 'FAILED', error: 'RolloutTimeout' });
      expect(result.cause).toContain('did not complete');
      expect(runningLabel()).toBe('stream-ml-service:1');
      expect(eventStatuses(account)).toEqual(['STARTED', 'ROLLING_BACK', 'ROLLED_BACK']);
    });

    it('rolls back to the revision it recorded, not to "revision - 1"', async () => {
      account = createSampleWorld();
      // A revision registered by someone else after the service's: revision - 1 of ours would be it.
      const current = account.runningTaskDefinition(STREAM_ML.cluster, STREAM_ML.service);
      account.registerTaskDefinition({ ...(current as object), family: STREAM_ML.family, containerDefinitions: current?.containerDefinitions ?? [] });
      account.setImageBehaviour(NEW_DIGEST, 'never-stabilises');

      const result = await runDeployment(executionInput(account, streamMlTarget({ rollout: { timeoutSeconds: 0, pollSeconds: 15 } }), NEW_DIGEST));

      expect(result.status).toBe('FAILED');
      expect(runningLabel()).toBe('stream-ml-service:1');
      expect(account.taskDefinitions.get(account.runningTaskDefinition(STREAM_ML.cluster, STREAM_ML.service)?.taskDefinitionArn ?? '')?.taskDefinition.status).toBe('ACTIVE');
    });
  });

  describe("when ECS's circuit breaker has already rolled the service back", () => {
    it('does not fight it: no second UpdateService, waits for it and reports ROLLED_BACK', async () => {
      account = createSampleWorld({ circuitBreaker: { enable: true, rollback: true } });
      account.setImageBehaviour(NEW_DIGEST, 'crashes');

      const result = await runDeployment(executionInput(account, streamMlTarget(), NEW_DIGEST));

      expect(result).toMatchObject({ status: 'FAILED', error: 'CircuitBreakerRolledBack' });
      expect(account.calls.filter((c) => c === 'ECS.UpdateService')).toHaveLength(1);
      expect(runningLabel()).toBe('stream-ml-service:1');
      expect(eventStatuses(account)).toEqual(['STARTED', 'ROLLING_BACK', 'ROLLED_BACK']);
    });
  });

  describe('when the smoke test fails', () => {
    let health: RunningHealthServer;
    afterEach(async () => {
      await health.close();
    });

    it('rolls back after the checks use up their attempts, and says why', async () => {
      account = createSampleWorld();
      health = await startHealthServer(() => {
        const running = account.runningDigests(STREAM_ML.cluster, STREAM_ML.service).map((t) => t[STREAM_ML.container]);
        return running.includes(NEW_DIGEST) ? { status: 503, body: 'model not loaded' } : { status: 200, body: 'ok' };
      });
      const target = streamMlTarget({ smokeTests: [{ http: { url: health.url, attempts: 3, intervalSeconds: 5 } }] });

      const result = await runDeployment(executionInput(account, target, NEW_DIGEST));

      expect(result).toMatchObject({ status: 'FAILED', error: 'SmokeTestFailed' });
      expect(result.cause).toContain('503 (expected 200): model not loaded (after 3 attempts)');
      expect(statesEntered(result).filter((s) => s === 'RunSmokeTests')).toHaveLength(3);
      expect(runningLabel()).toBe('stream-ml-service:1');
      expect(account.events.find((e) => e.status === 'ROLLED_BACK')).toMatchObject({ phase: 'smoke-test', reason: expect.stringContaining('SmokeTestFailed') });
    });

    it('succeeds when a check passes on a later attempt', async () => {
      account = createSampleWorld();
      let answers = 0;
      health = await startHealthServer(() => {
        answers += 1;
        return answers < 2 ? { status: 502, body: 'warming up' } : { status: 200, body: '{"status":"ok"}' };
      });
      const target = streamMlTarget({ smokeTests: [{ http: { url: health.url, bodyContains: 'ok', attempts: 3 } }] });

      const result = await runDeployment(executionInput(account, target, NEW_DIGEST));

      expect(result.status).toBe('SUCCEEDED');
      expect(health.requests).toBe(2);
    });
  });

  describe('when the rollback itself fails', () => {
    it('ends ROLLBACK_FAILED with both reasons when the previous revision does not come back either', async () => {
      account = createSampleWorld({ circuitBreaker: { enable: true, rollback: false } });
      account.setImageBehaviour(NEW_DIGEST, 'crashes');
      // What ran before no longer starts either (say, a secret it reads was deleted).
      account.setImageBehaviour(STREAM_ML_CURRENT_DIGEST, 'crashes');

      const result = await runDeployment(executionInput(account, streamMlTarget(), NEW_DIGEST));

      expect(result).toMatchObject({ status: 'FAILED', error: 'RollbackFailed' });
      expect(eventStatuses(account)).toEqual(['STARTED', 'ROLLING_BACK', 'ROLLBACK_FAILED']);
      const last = account.events.at(-1);
      expect(last?.phase).toBe('rollback');
      expect(last?.reason).toMatch(/RolloutFailed.*then rollback failed: RollbackFailed: rollback to stream-ml-service:1 FAILED/);
    });
  });

  describe('when AWS throttles', () => {
    it('retries the step with backoff and registers exactly one new revision', async () => {
      account = createSampleWorld();
      account.failNext('RegisterTaskDefinition', 2);
      account.failNext('DescribeServices', 1);

      const result = await runDeployment(executionInput(account, streamMlTarget(), NEW_DIGEST));

      expect(result.status).toBe('SUCCEEDED');
      expect(result.events.filter((e) => e.type === 'StateRetried').length).toBe(3);
      expect([...account.taskDefinitions.keys()].filter((arn) => arn.includes('stream-ml-service:'))).toHaveLength(2);
    });
  });

  describe('when something fails before the service changes', () => {
    it('deregisters the revision it registered and fails with the reason', async () => {
      account = createSampleWorld();
      account.failNext('UpdateService', 1, 'AccessDeniedException');

      const result = await runDeployment(executionInput(account, streamMlTarget(), NEW_DIGEST));

      expect(result).toMatchObject({ status: 'FAILED', error: 'AccessDeniedException' });
      expect(runningLabel()).toBe('stream-ml-service:1');
      const registered = [...account.taskDefinitions.values()].find((td) => td.taskDefinition.revision === 2 && td.taskDefinition.family === STREAM_ML.family);
      expect(registered?.taskDefinition.status).toBe('INACTIVE');
      expect(eventStatuses(account)).toEqual(['STARTED', 'FAILED']);
      expect(account.events.at(-1)).toMatchObject({ phase: 'update-service', current: expect.stringMatching(/stream-ml-service:1$/) });
    });

    it('registers nothing when the named container does not exist', async () => {
      account = createSampleWorld();
      const target = streamMlTarget({ ecs: { cluster: STREAM_ML.cluster, service: STREAM_ML.service, containers: ['web'] } });

      const result = await runDeployment(executionInput(account, target, NEW_DIGEST));

      expect(result).toMatchObject({ status: 'FAILED', error: 'ContainerNotFound' });
      expect(result.cause).toContain('no container named "web"');
      expect(account.calls).not.toContain('ECS.RegisterTaskDefinition');
      expect(eventStatuses(account)).toEqual(['STARTED', 'FAILED']);
    });

    it('fails with DefinitionNotFound when the service does not exist', async () => {
      account = createSampleWorld();
      const target = streamMlTarget({ ecs: { cluster: STREAM_ML.cluster, service: 'no-such-service' } });

      const result = await runDeployment(executionInput(account, target, NEW_DIGEST));

      expect(result).toMatchObject({ status: 'FAILED', error: 'DefinitionNotFound' });
      expect(account.calls).not.toContain('ECS.RegisterTaskDefinition');
    });
  });

  describe('when the input is not a deployment request', () => {
    it('fails with InvalidInput before anything is called, and says which forms it takes', async () => {
      account = createSampleWorld();
      useDeploymentsFile([streamMlTarget()]);

      const result = await startExecution(account, { target: 'stream-ml-service', image: { repository: 'stream-ml-service', digest: 'latest' } });

      expect(result).toMatchObject({ status: 'FAILED', error: 'InvalidInput' });
      expect(result.cause).toContain('{"target": "<name>", "tag": "<tag>"}');
      expect(account.calls.filter((call) => !call.startsWith('StepFunctions.') && !call.startsWith('EventBridge.'))).toEqual([]);
      expect(account.events).toEqual([expect.objectContaining({ target: 'stream-ml-service', status: 'FAILED', phase: 'resolve', reason: expect.stringContaining('InvalidInput') })]);
    });

    it('refuses an input that defines a target instead of naming one', async () => {
      account = createSampleWorld();
      useDeploymentsFile([streamMlTarget()]);

      const result = await startExecution(account, { target: { name: 'evil', repository: 'x', ecs: { cluster: 'c', service: 's' } }, tag: 'v1' });

      expect(result).toMatchObject({ status: 'FAILED', error: 'InvalidInput' });
      expect(result.cause).toContain('targets, registries and smoke tests come from deployments.yml');
      expect(account.calls.filter((call) => !call.startsWith('StepFunctions.'))).toEqual([]);
    });
  });
});

describe('ECS deployment whose update step is retried after it went through', () => {
  it('sends UpdateService again and gets the deployment the first attempt started: no second rollout', async () => {
    let attempts = 0;
    let firstDeployment: string | undefined;
    account = await createTestWorld(
      {},
      {
        intercept: async (stateName, invoke) => {
          const output = await invoke();
          if (stateName === 'EcsDeployNewRevision' && (attempts += 1) === 1) {
            firstDeployment = (output as { deploymentId?: string }).deploymentId;
            throw Object.assign(new Error('the process died after UpdateService went through'), { name: 'Lambda.Unknown' });
          }
          return output;
        },
      },
    );

    const result = await runDeployment(executionInput(account, streamMlTarget(), NEW_DIGEST));

    expect(result.status).toBe('SUCCEEDED');
    expect(attempts).toBe(2);
    expect(account.calls.filter((call) => call === 'ECS.UpdateService')).toHaveLength(2);
    const recorded = result.events.filter((e) => e.type === 'StateExited' && e.state?.name === 'EcsDeployNewRevision').map((e) => (e.state?.output as { ecs?: { deploymentId?: string } }).ecs?.deploymentId);
    expect(firstDeployment).toEqual(expect.stringMatching(/^ecs-svc\//));
    expect(recorded).toEqual([firstDeployment]);
    expect(account.runningDigests(STREAM_ML.cluster, STREAM_ML.service)).toEqual([{ [STREAM_ML.container]: NEW_DIGEST }, { [STREAM_ML.container]: NEW_DIGEST }]);
  });
});
