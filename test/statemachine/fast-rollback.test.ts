import { seedSampleImages } from '../../local/sample-images';
import { ML_INFERENCE_CURRENT_DIGEST } from '../../local/sample-world';
import type { SimulatedAwsAccount } from '../../local/simulated-account';
import { createSampleWorld, digest, executionInput, ML_INFERENCE, mlInferenceTarget, runDeployment, startExecution, statesEntered } from '../support/world';

/**
 * Rollbacks go back as fast as the platform allows: the real state machine, a
 * Lambda target with a canary (10 % for 300 s), and the simulated account. A
 * rollback, and with `rollbackWindow` a deployment by hand of a recent image,
 * shift the alias at once and visit no bake.
 */

const BAKE_STATES = ['WaitForLambdaBake', 'LambdaCheckCanary'];
const V2 = digest('ml-inference-v2');
const V3 = digest('ml-inference-v3');
const V4 = digest('ml-inference-v4');
let account: SimulatedAwsAccount;

afterEach(() => {
  account.restore();
});

const canaried = (extra: Record<string, unknown> = {}) => mlInferenceTarget(extra, { canary: { weightPercent: 10, bakeSeconds: 300 } });
const alias = () => account.lambda.function(ML_INFERENCE.function).aliases.get(ML_INFERENCE.alias);
const imageOfAlias = () => {
  const fn = account.lambda.function(ML_INFERENCE.function);
  const version = alias()?.version ?? '';
  return fn.versions.get(version)?.imageUri;
};
const succeededEvent = (deploymentId: string) => account.events.find((event) => event.deploymentId === deploymentId && event.status === 'SUCCEEDED');

function world(): void {
  account = createSampleWorld();
  seedSampleImages(account);
  account.ecr.pushImage(ML_INFERENCE.repository, V2, ['v2.0.0']);
  account.ecr.pushImage(ML_INFERENCE.repository, V3, ['v3.0.0']);
  account.ecr.pushImage(ML_INFERENCE.repository, V4, ['v4.0.0']);
}

describe('a rollback of a canaried Lambda target', () => {
  it('shifts the alias back at once: no canary weight, no bake, and says "fast rollback"', async () => {
    world();
    const versionBefore = alias()?.version;
    const deployed = await runDeployment(executionInput(account, canaried(), V2, 'v2.0.0'));
    expect(statesEntered(deployed)).toEqual(expect.arrayContaining(BAKE_STATES));
    const undone = account.events.find((event) => event.status === 'SUCCEEDED')?.deploymentId;

    const rollback = await startExecution(account, { target: 'ml-inference', rollback: true });

    expect(rollback.status).toBe('SUCCEEDED');
    expect(statesEntered(rollback).filter((state) => BAKE_STATES.includes(state))).toEqual([]);
    expect(statesEntered(rollback)).toEqual(expect.arrayContaining(['LambdaShiftTraffic', 'RunSmokeTests']));
    expect(alias()).toEqual({ version: expect.not.stringMatching(`^${versionBefore}$`), weights: {} });
    expect(imageOfAlias()).toContain(ML_INFERENCE_CURRENT_DIGEST);
    expect(succeededEvent(rollback.name)).toMatchObject({ fastRollback: 'rollback', rollbackOf: undone });
  });
});

describe('rollbackWindow', () => {
  it('makes a deployment by hand of the image before the one running a fast rollback', async () => {
    world();
    const target = canaried({ rollbackWindow: 1 });
    await runDeployment(executionInput(account, target, V2, 'v2.0.0'));
    await runDeployment(executionInput(account, target, V3, 'v3.0.0'));

    const back = await startExecution(account, { target: 'ml-inference', digest: V2 });

    expect(back.status).toBe('SUCCEEDED');
    expect(statesEntered(back).filter((state) => BAKE_STATES.includes(state))).toEqual([]);
    expect(imageOfAlias()).toContain(V2);
    expect(succeededEvent(back.name)).toMatchObject({ fastRollback: 'window' });
  });

  it('outside the window, the image goes through the canary as any deployment does', async () => {
    world();
    const target = canaried({ rollbackWindow: 1 });
    await runDeployment(executionInput(account, target, V2, 'v2.0.0'));
    await runDeployment(executionInput(account, target, V3, 'v3.0.0'));
    await runDeployment(executionInput(account, target, V4, 'v4.0.0'));

    // V2 ran two successful deployments ago: outside a window of 1 (V3 is inside).
    const before = await startExecution(account, { target: 'ml-inference', digest: V2 });

    expect(before.status).toBe('SUCCEEDED');
    expect(statesEntered(before)).toEqual(expect.arrayContaining(BAKE_STATES));
    expect(succeededEvent(before.name)?.fastRollback).toBeUndefined();
  });

  it('of 0 (the default) leaves every deployment by hand to the canary', async () => {
    world();
    await runDeployment(executionInput(account, canaried(), V2, 'v2.0.0'));
    await runDeployment(executionInput(account, canaried(), V3, 'v3.0.0'));

    const again = await startExecution(account, { target: 'ml-inference', digest: V2 });

    expect(statesEntered(again)).toEqual(expect.arrayContaining(BAKE_STATES));
  });
});
