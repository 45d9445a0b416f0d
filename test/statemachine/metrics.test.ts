import { withGlobal, type Clock } from '@sinonjs/fake-timers';
import type { SimulatedAwsAccount } from '../../local/simulated-account';
import { captureEmf, type EmfLine } from '../support/metrics';
import { canvasServiceTarget, createTestWorld, digest, orchestratorTarget, push, settle, streamMlTarget, useDeploymentsFile } from '../support/world';

/**
 * The deployment metrics of whole deployments: a push, the real trigger, state machine
 * and handlers, and the EMF lines the release step writes. Date runs on a clock of the
 * test's (timers stay real): the push at PUSHED, the execution from STARTED, the release at
 * RELEASED, so that lead time and rollout duration are exact.
 */

const PUSHED = Date.UTC(2026, 10, 23, 10, 0, 0);
const STARTED = PUSHED + 30_000;
const RELEASED = STARTED + 270_000;
const NAMESPACE = 'ecr-deployer/test';
const iso = (ms: number) => new Date(ms).toISOString().replace('.000Z', 'Z');

let clock: Clock;
let account: SimulatedAwsAccount;

/** Task invocations a deployment here may make: Date stands still, so a loop waiting for time would never end. */
const MAX_INVOCATIONS = 100;

/** The sample world (with `options`) on the test's clock; its release step runs at RELEASED. */
async function worldOnClock(options: Parameters<typeof createTestWorld>[0] = {}): Promise<void> {
  clock = withGlobal(globalThis).install({ now: STARTED, toFake: ['Date'] });
  let invocations = 0;
  account = await createTestWorld(options, {
    intercept: async (state, invoke, input) => {
      invocations += 1;
      if (invocations > MAX_INVOCATIONS) throw new Error(`${state}: more than ${MAX_INVOCATIONS} invocations on a clock that stands still`);
      if ((input as { step?: string }).step === 'releaseSlot') clock.setSystemTime(RELEASED);
      return invoke();
    },
  });
}

beforeEach(() => {
  process.env.POWERTOOLS_METRICS_NAMESPACE = NAMESPACE;
});

afterEach(() => {
  account.restore();
  clock.uninstall();
  delete process.env.POWERTOOLS_METRICS_NAMESPACE;
});

/** What one EMF line says, its CloudWatch part and its values. */
function emfOf(target: string, environment: string, values: Record<string, number>, deploymentId: string, status: string): EmfLine {
  const units: Record<string, string> = { Deployments: 'Count', Rollbacks: 'Count', Failures: 'Count', RolloutDurationSeconds: 'Seconds', LeadTimeSeconds: 'Seconds' };
  return {
    _aws: {
      Timestamp: RELEASED,
      CloudWatchMetrics: [{ Namespace: NAMESPACE, Dimensions: [['target', 'environment']], Metrics: Object.keys(values).map((name) => ({ Name: name, Unit: units[name] ?? '?' })) }],
    },
    deploymentId,
    status,
    target,
    environment,
    ...values,
  };
}

/** The execution names, in the order they started. */
const executions = () => [...account.executions.keys()];

describe('the metrics of a push deployment', () => {
  it('are one EMF line per target: a deployment, no rollback, no failure, the lead time from the push and the rollout duration', async () => {
    await worldOnClock();
    useDeploymentsFile([streamMlTarget()]);

    const lines = await captureEmf(async () => {
      await push(account, 'stream-ml-service', digest('metrics-v1.5.0'), { tag: 'v1.5.0', time: iso(PUSHED) });
      await settle(account);
    });

    const [execution] = executions();
    expect(lines).toEqual([
      emfOf('stream-ml-service', 'prod', { Deployments: 1, Rollbacks: 0, Failures: 0, RolloutDurationSeconds: 270, LeadTimeSeconds: 300 }, execution ?? '', 'SUCCEEDED'),
    ]);
  });

  it('of a deployment rolled back count a rollback, and no lead time: the image does not run', async () => {
    await worldOnClock({ circuitBreaker: { enable: true, rollback: false } });
    useDeploymentsFile([streamMlTarget()]);
    const broken = digest('metrics-broken');
    account.setImageBehaviour(broken, 'crashes');

    const lines = await captureEmf(async () => {
      await push(account, 'stream-ml-service', broken, { tag: 'v1.5.1', time: iso(PUSHED) });
      await settle(account);
    });

    const [execution] = executions();
    expect(lines).toEqual([emfOf('stream-ml-service', 'prod', { Deployments: 1, Rollbacks: 1, Failures: 0, RolloutDurationSeconds: 270 }, execution ?? '', 'ROLLED_BACK')]);
  });

  it('of two targets pushed together and deployed as one give each target its line, with its own push time', async () => {
    await worldOnClock();
    useDeploymentsFile([canvasServiceTarget(), orchestratorTarget()]);
    // The orchestrator's push lands while the canvas push's deployment is being started: it joins it.
    let orchestrator: Promise<unknown> = Promise.resolve();
    account.beforeNext('StartExecution', async () => void (await (orchestrator = push(account, 'orchestrator', digest('metrics-orchestrator'), { tag: 'v1.9.0', time: iso(PUSHED + 12_000) }))));

    const lines = await captureEmf(async () => {
      await push(account, 'canvas-service', digest('metrics-canvas'), { tag: 'v2.1.0', time: iso(PUSHED + 10_000) });
      await orchestrator;
      await settle(account);
    });

    const [execution] = executions();
    expect(executions()).toHaveLength(1);
    expect(lines).toEqual([
      emfOf('canvas-service', 'default', { Deployments: 1, Rollbacks: 0, Failures: 0, RolloutDurationSeconds: 270, LeadTimeSeconds: 290 }, execution ?? '', 'SUCCEEDED'),
      emfOf('orchestrator', 'default', { Deployments: 1, Rollbacks: 0, Failures: 0, RolloutDurationSeconds: 270, LeadTimeSeconds: 288 }, execution ?? '', 'SUCCEEDED'),
    ]);
  });
});
