import {
  GetAliasCommand,
  GetFunctionCommand,
  GetFunctionConfigurationCommand,
  LambdaClient,
  PreconditionFailedException,
  PublishVersionCommand,
  ResourceConflictException,
  ResourceNotFoundException,
  TooManyRequestsException,
  UpdateAliasCommand,
  UpdateFunctionCodeCommand,
  type GetFunctionCommandOutput,
} from '@aws-sdk/client-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import { targetSchema } from '../../../functions/config/schema';
import {
  canarySteps,
  checkCodeUpdate,
  checkRollback,
  ecrRegion,
  prepareFunction,
  publishVersion,
  rollBackFunction,
  shiftTraffic,
  updateFunctionCode,
} from '../../../functions/lambda/function';
import type { Deployment, LambdaProgress } from '../../../functions/shared/deployment';
import {
  AwsTransientError,
  ConcurrentChange,
  DefinitionNotFound,
  ImageInOtherRegion,
  ImageVerificationFailed,
  NotAnImageFunction,
  RollbackFailed,
  RolloutFailed,
  RolloutTimeout,
} from '../../../functions/shared/errors';
import { imageRef } from '../../../functions/shared/image';
import { deploymentOfTarget } from '../../support/deployments';

const lambdaMock = mockClient(LambdaClient);

const REGISTRY = '123456789012.dkr.ecr.us-east-1.amazonaws.com';
const FUNCTION = 'ml-inference';
const FUNCTION_ARN = `arn:aws:lambda:us-east-1:123456789012:function:${FUNCTION}`;
const NEW_DIGEST = `sha256:${'a'.repeat(64)}`;
const OLD_DIGEST = `sha256:${'b'.repeat(64)}`;
const OTHER_DIGEST = `sha256:${'c'.repeat(64)}`;
const IMAGE = imageRef(REGISTRY, 'ml-inference', NEW_DIGEST, 'v2');
/** What the function ran before: configured by tag, resolved by Lambda to a digest. */
const OLD_IMAGE_URI = `${REGISTRY}/ml-inference:v1`;
const OLD_RESOLVED_URI = `${REGISTRY}/ml-inference@${OLD_DIGEST}`;

const PAST = '2000-01-01T00:00:00.000Z';
const FUTURE = '2999-01-01T00:00:00.000Z';

function deployment(lambda: Record<string, unknown> = { alias: 'live' }, image = IMAGE): Deployment {
  return deploymentOfTarget({ name: 'ml-inference', repository: 'ml-inference', lambda: { function: FUNCTION, ...lambda } }, image, { id: 'ml-inference-aaaaaaaaaaaa' });
}

function progress(overrides: Partial<LambdaProgress> = {}): LambdaProgress {
  return {
    functionName: FUNCTION,
    functionArn: FUNCTION_ARN,
    alias: 'live',
    previousImageUri: OLD_IMAGE_URI,
    previousResolvedImageUri: OLD_RESOLVED_URI,
    previousRevisionId: 'rev-1',
    previousVersion: '3',
    pollSeconds: 10,
    updateDeadline: FUTURE,
    ...overrides,
  };
}

/** GetFunction as Lambda answers it for an image function, by default idle and running the old image. */
function functionState(
  configuration: NonNullable<GetFunctionCommandOutput['Configuration']> = {},
  code: NonNullable<GetFunctionCommandOutput['Code']> = {},
): Omit<GetFunctionCommandOutput, '$metadata'> {
  return {
    Configuration: {
      FunctionName: FUNCTION,
      FunctionArn: FUNCTION_ARN,
      PackageType: 'Image',
      State: 'Active',
      LastUpdateStatus: 'Successful',
      RevisionId: 'rev-1',
      ...configuration,
    },
    Code: { RepositoryType: 'ECR', ImageUri: OLD_IMAGE_URI, ResolvedImageUri: OLD_RESOLVED_URI, ...code },
  };
}

/** The function after our update: configured and resolved to the pushed digest. */
const runningOurs = { ImageUri: IMAGE.uri, ResolvedImageUri: IMAGE.uri };

function aliasUpdates() {
  return lambdaMock.commandCalls(UpdateAliasCommand).map((call) => call.args[0].input);
}

beforeEach(() => {
  lambdaMock.reset();
});

describe('prepareFunction', () => {
  it('records the image, resolved image, revision and the version the alias points at', async () => {
    lambdaMock.on(GetFunctionCommand).resolves(functionState({ RevisionId: 'rev-7' }));
    lambdaMock.on(GetAliasCommand).resolves({ Name: 'live', FunctionVersion: '3' });

    const result = await prepareFunction(deployment());

    expect(result).toMatchObject({
      functionName: FUNCTION,
      functionArn: FUNCTION_ARN,
      alias: 'live',
      previousImageUri: OLD_IMAGE_URI,
      previousResolvedImageUri: OLD_RESOLVED_URI,
      previousRevisionId: 'rev-7',
      previousVersion: '3',
    });
    expect(Number.isNaN(Date.parse(result.updateDeadline))).toBe(false);
    expect(lambdaMock).toHaveReceivedCommandWith(GetAliasCommand, { FunctionName: FUNCTION, Name: 'live' });
  });

  it('records no version and reads no alias without an alias', async () => {
    lambdaMock.on(GetFunctionCommand).resolves(functionState());

    const result = await prepareFunction(deployment({}));

    expect(result.alias).toBeUndefined();
    expect(result.previousVersion).toBeUndefined();
    expect(lambdaMock).not.toHaveReceivedCommand(GetAliasCommand);
  });

  it('refuses a zip function with NotAnImageFunction that says what to do', async () => {
    lambdaMock.on(GetFunctionCommand).resolves(functionState({ PackageType: 'Zip' }, { ImageUri: undefined, ResolvedImageUri: undefined, RepositoryType: 'S3' }));

    const result = prepareFunction(deployment());

    await expect(result).rejects.toBeInstanceOf(NotAnImageFunction);
    await expect(result).rejects.toMatchObject({
      name: 'NotAnImageFunction',
      message: expect.stringMatching(/is a Zip function.*Remove the target or recreate the function from an image/),
    });
    expect(lambdaMock).not.toHaveReceivedCommand(GetAliasCommand);
  });

  it('refuses an image from another region with ImageInOtherRegion naming both regions', async () => {
    lambdaMock.on(GetFunctionCommand).resolves(functionState());
    const elsewhere = imageRef('123456789012.dkr.ecr.eu-central-1.amazonaws.com', 'ml-inference', NEW_DIGEST, 'v2');

    const result = prepareFunction(deployment({ alias: 'live' }, elsewhere));

    await expect(result).rejects.toBeInstanceOf(ImageInOtherRegion);
    await expect(result).rejects.toMatchObject({ message: expect.stringMatching(/eu-central-1.*us-east-1.*Replicate the repository to us-east-1/) });
  });

  it('accepts an image from another account in the same region', async () => {
    lambdaMock.on(GetFunctionCommand).resolves(functionState());
    lambdaMock.on(GetAliasCommand).resolves({ Name: 'live', FunctionVersion: '3' });
    const otherAccount = imageRef('210987654321.dkr.ecr.us-east-1.amazonaws.com', 'ml-inference', NEW_DIGEST, 'v2');

    await expect(prepareFunction(deployment({ alias: 'live' }, otherAccount))).resolves.toMatchObject({ previousVersion: '3' });
  });

  it('fails with DefinitionNotFound pointing at deployments.yml when the function does not exist', async () => {
    lambdaMock.on(GetFunctionCommand).rejects(new ResourceNotFoundException({ message: `Function not found: ${FUNCTION_ARN}`, $metadata: {} }));

    await expect(prepareFunction(deployment())).rejects.toMatchObject({
      name: 'DefinitionNotFound',
      message: expect.stringContaining('Check lambda.function in deployments.yml'),
    });
  });

  it('fails with DefinitionNotFound saying to create the alias or remove lambda.alias when the alias does not exist', async () => {
    lambdaMock.on(GetFunctionCommand).resolves(functionState());
    lambdaMock.on(GetAliasCommand).rejects(new ResourceNotFoundException({ message: `Alias not found: ${FUNCTION_ARN}:live`, $metadata: {} }));

    const result = prepareFunction(deployment());

    await expect(result).rejects.toBeInstanceOf(DefinitionNotFound);
    await expect(result).rejects.toMatchObject({ message: expect.stringMatching(/alias "live".*Create it.*or remove lambda\.alias/) });
  });

  it('asks for a retry with AwsTransientError while the function is being updated', async () => {
    lambdaMock.on(GetFunctionCommand).resolves(functionState({ LastUpdateStatus: 'InProgress' }));

    const result = prepareFunction(deployment());

    await expect(result).rejects.toBeInstanceOf(AwsTransientError);
    await expect(result).rejects.toMatchObject({ name: 'AwsTransientError', message: expect.stringContaining('InProgress') });
  });
});

describe('updateFunctionCode', () => {
  it('sends the image by digest, guarded by the recorded RevisionId', async () => {
    lambdaMock.on(GetFunctionCommand).resolves(functionState({ RevisionId: 'rev-1' }));
    lambdaMock.on(UpdateFunctionCodeCommand).resolves({ LastUpdateStatus: 'InProgress' });

    const result = await updateFunctionCode(deployment(), progress({ updateDeadline: PAST }));

    expect(lambdaMock).toHaveReceivedCommandTimes(UpdateFunctionCodeCommand, 1);
    expect(lambdaMock).toHaveReceivedCommandWith(UpdateFunctionCodeCommand, { FunctionName: FUNCTION, ImageUri: `${REGISTRY}/ml-inference@${NEW_DIGEST}`, RevisionId: 'rev-1' });
    expect(result.codeUpdated).toBe(true);
    // The update deadline starts over from the accepted update.
    expect(Date.parse(result.updateDeadline)).toBeGreaterThan(Date.parse(PAST));
  });

  it('fails with ConcurrentChange when the function changed since it was read (PreconditionFailedException)', async () => {
    lambdaMock.on(GetFunctionCommand).resolves(functionState({ RevisionId: 'rev-2' }));
    lambdaMock.on(UpdateFunctionCodeCommand).rejects(new PreconditionFailedException({ message: 'The Revision Id provided does not match the latest Revision Id.', $metadata: {} }));

    const result = updateFunctionCode(deployment(), progress());

    await expect(result).rejects.toBeInstanceOf(ConcurrentChange);
    await expect(result).rejects.toMatchObject({ message: expect.stringMatching(/revision rev-1.*nothing was overwritten/) });
  });

  it('turns ResourceConflictException into AwsTransientError so the state machine retries', async () => {
    lambdaMock.on(GetFunctionCommand).resolves(functionState());
    lambdaMock
      .on(UpdateFunctionCodeCommand)
      .rejects(new ResourceConflictException({ message: `The operation cannot be performed at this time. An update is in progress for resource: ${FUNCTION_ARN}`, $metadata: {} }));

    await expect(updateFunctionCode(deployment(), progress())).rejects.toMatchObject({
      name: 'AwsTransientError',
      message: expect.stringContaining('An update is in progress'),
    });
  });

  it('passes other errors through unchanged', async () => {
    lambdaMock.on(GetFunctionCommand).resolves(functionState());
    lambdaMock.on(UpdateFunctionCodeCommand).rejects(new TooManyRequestsException({ message: 'Rate exceeded', $metadata: {} }));

    await expect(updateFunctionCode(deployment(), progress())).rejects.toBeInstanceOf(TooManyRequestsException);
  });

  it('does not update again when a previous attempt already gave the function our image', async () => {
    lambdaMock.on(GetFunctionCommand).resolves(functionState({ LastUpdateStatus: 'InProgress' }, runningOurs));

    const result = await updateFunctionCode(deployment(), progress());

    expect(result.codeUpdated).toBe(true);
    expect(lambdaMock).not.toHaveReceivedCommand(UpdateFunctionCodeCommand);
  });

  it('asks for a retry, without updating, while another update of the function is in progress', async () => {
    lambdaMock.on(GetFunctionCommand).resolves(functionState({ LastUpdateStatus: 'InProgress' }));

    await expect(updateFunctionCode(deployment(), progress())).rejects.toBeInstanceOf(AwsTransientError);
    expect(lambdaMock).not.toHaveReceivedCommand(UpdateFunctionCodeCommand);
  });
});

describe('checkCodeUpdate', () => {
  it('reports IN_PROGRESS while the update is in progress before the deadline', async () => {
    lambdaMock.on(GetFunctionCommand).resolves(functionState({ LastUpdateStatus: 'InProgress' }));

    await expect(checkCodeUpdate(deployment(), progress({ updateDeadline: FUTURE }))).resolves.toMatchObject({ status: 'IN_PROGRESS', pendingCount: 1 });
  });

  it('fails with RolloutTimeout when the update is still in progress past the deadline', async () => {
    lambdaMock.on(GetFunctionCommand).resolves(functionState({ LastUpdateStatus: 'InProgress' }));

    await expect(checkCodeUpdate(deployment(), progress({ updateDeadline: PAST }))).rejects.toMatchObject({
      name: 'RolloutTimeout',
      message: expect.stringContaining('still InProgress'),
    });
  });

  it('fails with RolloutFailed giving the reason code and reason when the update failed', async () => {
    lambdaMock
      .on(GetFunctionCommand)
      .resolves(functionState({ LastUpdateStatus: 'Failed', LastUpdateStatusReasonCode: 'ImageAccessDenied', LastUpdateStatusReason: 'Lambda does not have permission to access the ECR image.' }));

    const result = checkCodeUpdate(deployment(), progress({ updateDeadline: FUTURE }));

    await expect(result).rejects.toBeInstanceOf(RolloutFailed);
    await expect(result).rejects.toMatchObject({ message: expect.stringContaining('ImageAccessDenied Lambda does not have permission') });
  });

  it('fails with ImageVerificationFailed when the update succeeded but resolved to another digest', async () => {
    lambdaMock.on(GetFunctionCommand).resolves(functionState({}, { ImageUri: IMAGE.uri, ResolvedImageUri: `${REGISTRY}/ml-inference@${OTHER_DIGEST}` }));

    const result = checkCodeUpdate(deployment(), progress());

    await expect(result).rejects.toBeInstanceOf(ImageVerificationFailed);
    await expect(result).rejects.toMatchObject({ message: expect.stringContaining(`not ${NEW_DIGEST}`) });
  });

  it('keeps waiting when the Successful status it reads is still that of the update before ours', async () => {
    lambdaMock.on(GetFunctionCommand).resolves(functionState({}, { ImageUri: `${REGISTRY}/ml-inference:v1`, ResolvedImageUri: `${REGISTRY}/ml-inference@${OTHER_DIGEST}` }));

    await expect(checkCodeUpdate(deployment(), progress())).resolves.toMatchObject({ status: 'IN_PROGRESS' });
  });

  it('reports COMPLETED when the update succeeded and the function resolved the pushed digest', async () => {
    lambdaMock.on(GetFunctionCommand).resolves(functionState({}, runningOurs));

    // Past the deadline too: a finished update is judged by its outcome, not by the clock.
    await expect(checkCodeUpdate(deployment(), progress({ updateDeadline: PAST }))).resolves.toMatchObject({ status: 'COMPLETED', runningCount: 1, pendingCount: 0 });
  });
});

describe('publishVersion', () => {
  it('publishes with the current RevisionId and records the version', async () => {
    lambdaMock.on(GetFunctionCommand).resolves(functionState({ RevisionId: 'rev-after-update' }, runningOurs));
    lambdaMock.on(PublishVersionCommand).resolves({ Version: '4', State: 'Active' });

    const result = await publishVersion(progress());

    expect(result.newVersion).toBe('4');
    expect(lambdaMock).toHaveReceivedCommandWith(PublishVersionCommand, { FunctionName: FUNCTION, RevisionId: 'rev-after-update' });
    expect(lambdaMock).not.toHaveReceivedCommand(GetFunctionConfigurationCommand);
  });

  it('uses the existing version Lambda returns when nothing changed since it was published', async () => {
    lambdaMock.on(GetFunctionCommand).resolves(functionState({}, runningOurs));
    lambdaMock.on(PublishVersionCommand).resolves({ Version: '3', State: 'Active' });

    await expect(publishVersion(progress({ previousVersion: '3' }))).resolves.toMatchObject({ newVersion: '3' });
    expect(lambdaMock).toHaveReceivedCommandTimes(PublishVersionCommand, 1);
  });

  it('asks for a retry with AwsTransientError while the new version is still Pending', async () => {
    lambdaMock.on(GetFunctionCommand).resolves(functionState({}, runningOurs));
    lambdaMock.on(PublishVersionCommand).resolves({ Version: '4', State: 'Pending' });
    lambdaMock.on(GetFunctionConfigurationCommand).resolves({ Version: '4', State: 'Pending' });

    await expect(publishVersion(progress())).rejects.toMatchObject({ name: 'AwsTransientError', message: expect.stringContaining('version 4') });
    expect(lambdaMock).toHaveReceivedCommandWith(GetFunctionConfigurationCommand, { FunctionName: FUNCTION, Qualifier: '4' });
  });

  it('records a version that was Pending when published and is Active by the time it is read', async () => {
    lambdaMock.on(GetFunctionCommand).resolves(functionState({}, runningOurs));
    lambdaMock.on(PublishVersionCommand).resolves({ Version: '4', State: 'Pending' });
    lambdaMock.on(GetFunctionConfigurationCommand).resolves({ Version: '4', State: 'Active' });

    await expect(publishVersion(progress())).resolves.toMatchObject({ newVersion: '4' });
  });
});

describe('canarySteps', () => {
  it('reads the one-step shorthand, a series of steps, and no canary', () => {
    expect(canarySteps(deployment({ alias: 'live', canary: { weightPercent: 10, bakeSeconds: 300 } }))).toEqual([{ weightPercent: 10, bakeSeconds: 300 }]);
    expect(
      canarySteps(
        deployment({
          alias: 'live',
          canary: {
            steps: [
              { weightPercent: 10, bakeSeconds: 60 },
              { weightPercent: 50, bakeSeconds: 120 },
            ],
          },
        }),
      ),
    ).toEqual([
      { weightPercent: 10, bakeSeconds: 60 },
      { weightPercent: 50, bakeSeconds: 120 },
    ]);
    expect(canarySteps(deployment())).toEqual([]);
  });
});

describe('shiftTraffic', () => {
  const twoSteps = {
    alias: 'live',
    canary: {
      steps: [
        { weightPercent: 10, bakeSeconds: 60 },
        { weightPercent: 50, bakeSeconds: 120 },
      ],
    },
  };

  beforeEach(() => {
    lambdaMock.on(UpdateAliasCommand).resolves({});
  });

  it('completes without touching an alias when there is none', async () => {
    const result = await shiftTraffic(deployment({}), progress({ alias: undefined, previousVersion: undefined, newVersion: '4' }));

    expect(result.traffic).toMatchObject({ complete: true, weightPercent: 100 });
    expect(lambdaMock).not.toHaveReceivedCommand(UpdateAliasCommand);
  });

  it('without a canary, points the alias at the new version with one UpdateAlias and empty routing', async () => {
    const result = await shiftTraffic(deployment(), progress({ newVersion: '4' }));

    expect(aliasUpdates()).toEqual([{ FunctionName: FUNCTION, Name: 'live', FunctionVersion: '4', RoutingConfig: { AdditionalVersionWeights: {} } }]);
    expect(result.traffic).toEqual({ step: 0, steps: 0, weightPercent: 100, bakeSeconds: 0, complete: true });
  });

  it('shifts step by step, the previous version keeping the rest and the new one getting a fraction, then all of it', async () => {
    const target = deployment(twoSteps);

    const first = await shiftTraffic(target, progress({ newVersion: '4' }));
    const second = await shiftTraffic(target, first);
    const last = await shiftTraffic(target, second);

    expect(aliasUpdates()).toEqual([
      { FunctionName: FUNCTION, Name: 'live', FunctionVersion: '3', RoutingConfig: { AdditionalVersionWeights: { '4': 0.1 } } },
      { FunctionName: FUNCTION, Name: 'live', FunctionVersion: '3', RoutingConfig: { AdditionalVersionWeights: { '4': 0.5 } } },
      { FunctionName: FUNCTION, Name: 'live', FunctionVersion: '4', RoutingConfig: { AdditionalVersionWeights: {} } },
    ]);
    expect(first.traffic).toEqual({ step: 0, steps: 2, weightPercent: 10, bakeSeconds: 60, complete: false });
    expect(second.traffic).toEqual({ step: 1, steps: 2, weightPercent: 50, bakeSeconds: 120, complete: false });
    expect(last.traffic).toMatchObject({ weightPercent: 100, complete: true });
  });

  it('sets the same absolute weight when a step is repeated', async () => {
    const target = deployment(twoSteps);

    await shiftTraffic(target, progress({ newVersion: '4' }));
    await shiftTraffic(target, progress({ newVersion: '4' }));

    expect(aliasUpdates().map((input) => input.RoutingConfig)).toEqual([{ AdditionalVersionWeights: { '4': 0.1 } }, { AdditionalVersionWeights: { '4': 0.1 } }]);
  });

  it.each([
    ['the alias pointed at $LATEST', '$LATEST'],
    ['the new version is the one the alias already pointed at', '4'],
  ])('goes straight to the full shift when %s (weighted routing needs two published versions)', async (_, previousVersion) => {
    const result = await shiftTraffic(deployment(twoSteps), progress({ previousVersion, newVersion: '4' }));

    expect(aliasUpdates()).toEqual([{ FunctionName: FUNCTION, Name: 'live', FunctionVersion: '4', RoutingConfig: { AdditionalVersionWeights: {} } }]);
    expect(result.traffic).toMatchObject({ complete: true, weightPercent: 100 });
  });
});

describe('rollBackFunction', () => {
  it('points the alias back at the previous version with the routing removed', async () => {
    lambdaMock.on(UpdateAliasCommand).resolves({});

    const result = await rollBackFunction(deployment(), progress({ newVersion: '4', codeUpdated: true }));

    expect(aliasUpdates()).toEqual([{ FunctionName: FUNCTION, Name: 'live', FunctionVersion: '3', RoutingConfig: { AdditionalVersionWeights: {} } }]);
    expect(result.rollback).toMatchObject({ action: 'alias-restored', target: '3' });
    expect(lambdaMock).not.toHaveReceivedCommand(UpdateFunctionCodeCommand);
  });

  it('without an alias, puts the previous image back by its resolved digest, not its tag', async () => {
    lambdaMock.on(GetFunctionCommand).resolves(functionState({}, runningOurs));
    lambdaMock.on(UpdateFunctionCodeCommand).resolves({});

    const result = await rollBackFunction(deployment({}), progress({ alias: undefined, previousVersion: undefined, codeUpdated: true }));

    expect(lambdaMock).toHaveReceivedCommandWith(UpdateFunctionCodeCommand, { FunctionName: FUNCTION, ImageUri: OLD_RESOLVED_URI });
    expect(result.rollback).toMatchObject({ action: 'code-restored', target: OLD_RESOLVED_URI });
    expect(lambdaMock).not.toHaveReceivedCommand(UpdateAliasCommand);
  });

  it('without an alias, has nothing to undo when the function already runs the previous image', async () => {
    lambdaMock.on(GetFunctionCommand).resolves(functionState());

    const result = await rollBackFunction(deployment({}), progress({ alias: undefined, previousVersion: undefined }));

    expect(result.rollback).toMatchObject({ action: 'nothing-to-undo', target: OLD_RESOLVED_URI });
    expect(lambdaMock).not.toHaveReceivedCommand(UpdateFunctionCodeCommand);
  });

  it('with an alias that was on $LATEST, points it back there and puts the previous image back, since $LATEST now runs the new code', async () => {
    lambdaMock.on(UpdateAliasCommand).resolves({});
    lambdaMock.on(GetFunctionCommand).resolves(functionState({}, runningOurs));
    lambdaMock.on(UpdateFunctionCodeCommand).resolves({});

    const result = await rollBackFunction(deployment(), progress({ previousVersion: '$LATEST', newVersion: '4', codeUpdated: true }));

    expect(aliasUpdates()).toEqual([{ FunctionName: FUNCTION, Name: 'live', FunctionVersion: '$LATEST', RoutingConfig: { AdditionalVersionWeights: {} } }]);
    expect(lambdaMock).toHaveReceivedCommandWith(UpdateFunctionCodeCommand, { FunctionName: FUNCTION, ImageUri: OLD_RESOLVED_URI });
    expect(result.rollback).toMatchObject({ action: 'code-restored', target: OLD_RESOLVED_URI });
  });
});

describe('checkRollback', () => {
  const aliasRestored = progress({ newVersion: '4', rollback: { action: 'alias-restored', target: '3', deadline: FUTURE } });
  const codeRestored = (deadline: string) => progress({ alias: undefined, previousVersion: undefined, rollback: { action: 'code-restored', target: OLD_RESOLVED_URI, deadline } });

  it('reports COMPLETED when the alias points at the previous version alone', async () => {
    lambdaMock.on(GetAliasCommand).resolves({ Name: 'live', FunctionVersion: '3', RoutingConfig: { AdditionalVersionWeights: {} } });

    await expect(checkRollback(aliasRestored)).resolves.toMatchObject({ status: 'COMPLETED' });
    expect(lambdaMock).toHaveReceivedCommandWith(GetAliasCommand, { FunctionName: FUNCTION, Name: 'live' });
  });

  it('fails with RollbackFailed when the alias points at another version', async () => {
    lambdaMock.on(GetAliasCommand).resolves({ Name: 'live', FunctionVersion: '4' });

    const result = checkRollback(aliasRestored);

    await expect(result).rejects.toBeInstanceOf(RollbackFailed);
    await expect(result).rejects.toMatchObject({ message: expect.stringContaining('points at version 4') });
  });

  it('fails with RollbackFailed when the alias still routes traffic to another version', async () => {
    lambdaMock.on(GetAliasCommand).resolves({ Name: 'live', FunctionVersion: '3', RoutingConfig: { AdditionalVersionWeights: { '4': 0.1 } } });

    await expect(checkRollback(aliasRestored)).rejects.toMatchObject({ name: 'RollbackFailed', message: expect.stringContaining('with routing to 4') });
  });

  it('fails with RollbackFailed when no rollback was recorded', async () => {
    await expect(checkRollback(progress())).rejects.toBeInstanceOf(RollbackFailed);
  });

  it('without an alias, reports IN_PROGRESS while the code update back is in progress before the deadline', async () => {
    lambdaMock.on(GetFunctionCommand).resolves(functionState({ LastUpdateStatus: 'InProgress' }, { ImageUri: OLD_RESOLVED_URI }));

    await expect(checkRollback(codeRestored(FUTURE))).resolves.toMatchObject({ status: 'IN_PROGRESS', pendingCount: 1 });
  });

  it('without an alias, fails with RollbackFailed when the update back is still in progress past the deadline', async () => {
    lambdaMock.on(GetFunctionCommand).resolves(functionState({ LastUpdateStatus: 'InProgress' }, { ImageUri: OLD_RESOLVED_URI }));

    await expect(checkRollback(codeRestored(PAST))).rejects.toMatchObject({ name: 'RollbackFailed', message: expect.stringContaining('still InProgress') });
  });

  it('without an alias, fails with RollbackFailed when the update back failed', async () => {
    lambdaMock.on(GetFunctionCommand).resolves(functionState({ LastUpdateStatus: 'Failed', LastUpdateStatusReason: 'image not found' }));

    await expect(checkRollback(codeRestored(FUTURE))).rejects.toMatchObject({ name: 'RollbackFailed', message: expect.stringContaining('image not found') });
  });

  it('without an alias, reports COMPLETED once the function resolves the previous digest', async () => {
    lambdaMock.on(GetFunctionCommand).resolves(functionState({}, { ImageUri: OLD_RESOLVED_URI, ResolvedImageUri: OLD_RESOLVED_URI }));

    await expect(checkRollback(codeRestored(FUTURE))).resolves.toMatchObject({ status: 'COMPLETED' });
  });

  it('without an alias, fails with RollbackFailed when the function still runs another image', async () => {
    lambdaMock.on(GetFunctionCommand).resolves(functionState({}, runningOurs));

    await expect(checkRollback(codeRestored(FUTURE))).rejects.toMatchObject({ name: 'RollbackFailed', message: expect.stringContaining(`runs ${IMAGE.uri}`) });
  });
});

describe('ecrRegion', () => {
  it('reads the region of ECR registries, FIPS and China included, and nothing from other registries', () => {
    expect(ecrRegion('123456789012.dkr.ecr.eu-central-1.amazonaws.com')).toBe('eu-central-1');
    expect(ecrRegion('123456789012.dkr.ecr-fips.us-gov-west-1.amazonaws.com')).toBe('us-gov-west-1');
    expect(ecrRegion('123456789012.dkr.ecr.cn-north-1.amazonaws.com.cn')).toBe('cn-north-1');
    expect(ecrRegion('ghcr.io')).toBeUndefined();
    expect(ecrRegion(undefined)).toBeUndefined();
  });
});
