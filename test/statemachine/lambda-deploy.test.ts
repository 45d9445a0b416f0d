import type { SimulatedAwsAccount } from '../../local/simulated-account';
import { ML_INFERENCE_CURRENT_DIGEST } from '../../local/sample-world';
import { createSampleWorld, digest, eventStatuses, executionInput, ML_INFERENCE, mlInferenceTarget, runDeployment, statesEntered } from '../support/world';

/** The Lambda branch of the real statemachines/deploy.asl.yaml, against the simulated account. */

const NEW_DIGEST = digest('ml-inference-9a8b7c6');
let account: SimulatedAwsAccount;

const fn = () => account.lambda.function(ML_INFERENCE.function);
const alias = () => fn().aliases.get(ML_INFERENCE.alias);

afterEach(() => {
  account.restore();
});

describe('Lambda deployment', () => {
  describe('with an alias', () => {
    it('updates the code by digest, publishes a version, points the alias at it and invokes it', async () => {
      account = createSampleWorld();

      const result = await runDeployment(executionInput(account, mlInferenceTarget(), NEW_DIGEST, '9a8b7c6'));

      expect(result.status).toBe('SUCCEEDED');
      expect(fn().imageUri).toBe(`${account.registry}/${ML_INFERENCE.repository}@${NEW_DIGEST}`);
      expect(fn().versions.get('4')?.resolvedImageUri).toContain(NEW_DIGEST);
      expect(alias()).toEqual({ version: '4', weights: {} });
      expect(account.lambda.invocations).toEqual([`${ML_INFERENCE.function}:live`]);
      expect(account.calls).toContain('Lambda.PublishVersion');
      expect(eventStatuses(account)).toEqual(['STARTED', 'SUCCEEDED']);
      expect(account.events.at(-1)).toMatchObject({
        kind: 'lambda',
        previous: expect.stringMatching(/:function:ml-inference-function:3$/),
        current: expect.stringMatching(/:function:ml-inference-function:4$/),
      });
    });

  });

  describe('with a canary', () => {
    it('shifts traffic step by step, checking the new version after each bake, then all of it', async () => {
      account = createSampleWorld();
      const target = mlInferenceTarget({}, { canary: { steps: [{ weightPercent: 10, bakeSeconds: 300 }, { weightPercent: 50, bakeSeconds: 300 }] } });

      const result = await runDeployment(executionInput(account, target, NEW_DIGEST));

      expect(result.status).toBe('SUCCEEDED');
      expect(statesEntered(result).filter((s) => s === 'LambdaCheckCanary')).toHaveLength(2);
      expect(account.lambda.invocations).toEqual([`${ML_INFERENCE.function}:4`, `${ML_INFERENCE.function}:4`, `${ML_INFERENCE.function}:live`]);
      expect(alias()).toEqual({ version: '4', weights: {} });
    });

    it('rolls the alias back to the recorded version when a check fails during the bake', async () => {
      account = createSampleWorld();
      account.setImageBehaviour(NEW_DIGEST, 'errors-on-invoke');
      const target = mlInferenceTarget({}, { canary: { weightPercent: 10, bakeSeconds: 600 } });

      const result = await runDeployment(executionInput(account, target, NEW_DIGEST));

      expect(result).toMatchObject({ status: 'FAILED', error: 'SmokeTestFailed' });
      expect(result.cause).toContain('Unhandled error');
      expect(result.cause).toContain('ModelLoadError');
      expect(alias()).toEqual({ version: '3', weights: {} });
      expect(eventStatuses(account)).toEqual(['STARTED', 'ROLLING_BACK', 'ROLLED_BACK']);
      expect(account.events.at(-1)).toMatchObject({ phase: 'shift-traffic', current: expect.stringMatching(/:3$/) });
    });
  });

  describe('when the function update fails', () => {
    it('rolls back: the alias never moved, and the events say why', async () => {
      account = createSampleWorld();
      account.setImageBehaviour(NEW_DIGEST, 'crashes');

      const result = await runDeployment(executionInput(account, mlInferenceTarget(), NEW_DIGEST));

      expect(result).toMatchObject({ status: 'FAILED', error: 'RolloutFailed' });
      expect(result.cause).toContain('InvalidImage');
      expect(alias()).toEqual({ version: '3', weights: {} });
      expect(account.calls).not.toContain('Lambda.PublishVersion');
      expect(eventStatuses(account)).toEqual(['STARTED', 'ROLLING_BACK', 'ROLLED_BACK']);
    });
  });

  describe('without an alias', () => {
    it('puts the previous image back on $LATEST and waits until it runs', async () => {
      account = createSampleWorld();
      account.setImageBehaviour(NEW_DIGEST, 'errors-on-invoke');
      const target = mlInferenceTarget({ smokeTests: [{ invoke: { payload: {}, attempts: 2 } }] }, { alias: undefined });

      const result = await runDeployment(executionInput(account, target, NEW_DIGEST));

      expect(result).toMatchObject({ status: 'FAILED', error: 'SmokeTestFailed' });
      expect(fn().imageUri).toContain(ML_INFERENCE_CURRENT_DIGEST);
      expect(fn().lastUpdateStatus).toBe('Successful');
      expect(statesEntered(result)).toContain('LambdaCheckRollback');
      expect(account.events.at(-1)).toMatchObject({ status: 'ROLLED_BACK', current: expect.stringContaining(ML_INFERENCE_CURRENT_DIGEST) });
    });
  });

  describe('when the function cannot take the image', () => {
    it('refuses a zip function with NotAnImageFunction before anything changes', async () => {
      account = createSampleWorld();
      account.lambda.createFunction({ name: 'zip-function', imageUri: '', packageType: 'Zip' });

      const result = await runDeployment(executionInput(account, mlInferenceTarget({}, { function: 'zip-function', alias: undefined }), NEW_DIGEST));

      expect(result).toMatchObject({ status: 'FAILED', error: 'NotAnImageFunction' });
      expect(account.calls).not.toContain('Lambda.UpdateFunctionCode');
      expect(eventStatuses(account)).toEqual(['STARTED', 'FAILED']);
    });

    it('refuses an image from another region with ImageInOtherRegion', async () => {
      account = createSampleWorld();
      // A function in eu-central-1; the pushed image is in this account's us-east-1 registry.
      account.lambda.createFunction({ name: 'eu-function', imageUri: `${account.registry}/${ML_INFERENCE.repository}@${NEW_DIGEST}` });
      account.lambda.function('eu-function').arn = 'arn:aws:lambda:eu-central-1:123456789012:function:eu-function';

      const result = await runDeployment(executionInput(account, mlInferenceTarget({}, { function: 'eu-function', alias: undefined }), NEW_DIGEST));

      expect(result).toMatchObject({ status: 'FAILED', error: 'ImageInOtherRegion' });
      expect(result.cause).toContain('not from another region');
      expect(account.calls).not.toContain('Lambda.UpdateFunctionCode');
    });
  });

  describe('when someone changed the function meanwhile', () => {
    it('detects it through the RevisionId, fails with ConcurrentChange and overwrites nothing', async () => {
      account = createSampleWorld();
      // Someone updates the function between our read and our UpdateFunctionCode.
      account.beforeNext('UpdateFunctionCode', () => {
        fn().revision += 1;
      });

      const result = await runDeployment(executionInput(account, mlInferenceTarget(), NEW_DIGEST));

      expect(result).toMatchObject({ status: 'FAILED', error: 'ConcurrentChange' });
      expect(result.cause).toContain('nothing was overwritten');
      expect(fn().imageUri).toContain(ML_INFERENCE_CURRENT_DIGEST);
      expect(eventStatuses(account)).toEqual(['STARTED', 'FAILED']);
    });
  });
});
