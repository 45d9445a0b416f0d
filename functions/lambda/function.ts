import {
  GetAliasCommand,
  GetFunctionCommand,
  GetFunctionConfigurationCommand,
  PreconditionFailedException,
  PublishVersionCommand,
  ResourceConflictException,
  ResourceNotFoundException,
  UpdateAliasCommand,
  UpdateFunctionCodeCommand,
  type GetFunctionCommandOutput,
} from '@aws-sdk/client-lambda';
import type { CanaryStep } from '../config/schema';
import { lambda } from '../shared/clients/lambda';
import type { Deployment, LambdaProgress, RollbackVerdict, RolloutStatus } from '../shared/deployment';
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
} from '../shared/errors';
import { parseImageReference } from '../shared/image';
import { lambdaTargetOf, soleChange } from '../shared/state';

/** How often the state machine looks at a function update (Lambda updates take seconds to minutes). */
const LAMBDA_POLL_SECONDS = 10;

function secondsFromNow(seconds: number): string {
  return new Date(Date.now() + seconds * 1000).toISOString();
}

/** `…dkr.ecr.eu-central-1.amazonaws.com/repo` → `eu-central-1`; undefined for other registries. */
function ecrRegion(registry: string | undefined): string | undefined {
  return registry?.match(/\.dkr\.ecr(?:-fips)?\.([a-z0-9-]+)\.amazonaws\.com(?:\.cn)?$/)?.[1];
}

function regionOfArn(arn: string): string | undefined {
  return arn.split(':')[3];
}

async function getFunction(functionName: string): Promise<GetFunctionCommandOutput> {
  try {
    return await lambda.send(new GetFunctionCommand({ FunctionName: functionName }));
  } catch (error) {
    if (error instanceof ResourceNotFoundException) {
      throw new DefinitionNotFound(`Lambda function "${functionName}" not found. Check lambda.function in deployments.yml.`, { cause: error });
    }
    throw error;
  }
}

/** A function mid-update refuses every other change: ask the state machine to try again shortly. */
function assertNotUpdating(output: GetFunctionCommandOutput, functionName: string): void {
  if (output.Configuration?.LastUpdateStatus === 'InProgress') {
    throw new AwsTransientError(`function ${functionName} is being updated (LastUpdateStatus InProgress); waiting for it to finish`);
  }
}

/**
 * Records what the function runs now (image, revision, the alias's version) and
 * refuses, before anything changes, a function that cannot take the image.
 */
async function prepareFunction(deployment: Deployment): Promise<LambdaProgress> {
  const target = lambdaTargetOf(deployment);
  const { image } = soleChange(deployment);
  const current = await getFunction(target.function);
  const configuration = current.Configuration;
  const functionArn = configuration?.FunctionArn ?? target.function;
  if (configuration?.PackageType !== 'Image') {
    throw new NotAnImageFunction(
      `function ${target.function} is a ${configuration?.PackageType ?? 'zip'} function, not a container-image function; ecr-deployer deploys images only. Remove the target or recreate the function from an image.`,
    );
  }
  const functionRegion = regionOfArn(functionArn);
  const imageRegion = ecrRegion(image.registry);
  if (imageRegion && functionRegion && imageRegion !== functionRegion) {
    throw new ImageInOtherRegion(
      `image ${image.uri} is in ${imageRegion}, function ${target.function} in ${functionRegion}: Lambda takes images from another account, not from another region. Replicate the repository to ${functionRegion} and follow that push.`,
    );
  }
  assertNotUpdating(current, target.function);
  let previousVersion: string | undefined;
  if (target.alias) {
    try {
      const alias = await lambda.send(new GetAliasCommand({ FunctionName: target.function, Name: target.alias }));
      previousVersion = alias.FunctionVersion;
    } catch (error) {
      if (error instanceof ResourceNotFoundException) {
        throw new DefinitionNotFound(`alias "${target.alias}" of function ${target.function} not found. Create it (pointing at the version in service) or remove lambda.alias.`, {
          cause: error,
        });
      }
      throw error;
    }
  }
  return {
    functionName: target.function,
    functionArn,
    alias: target.alias,
    previousImageUri: current.Code?.ImageUri ?? '',
    previousResolvedImageUri: current.Code?.ResolvedImageUri,
    previousRevisionId: configuration?.RevisionId ?? '',
    previousVersion,
    pollSeconds: LAMBDA_POLL_SECONDS,
    updateDeadline: secondsFromNow(deployment.settings.rollout.timeoutSeconds),
  };
}

/**
 * UpdateFunctionCode with the image by digest, guarded by the RevisionId read in
 * preparation: a change made meanwhile is detected, not overwritten. Safe to run
 * twice: if the function already has our image, it is not updated again.
 */
async function updateFunctionCode(deployment: Deployment, progress: LambdaProgress): Promise<LambdaProgress> {
  const { image } = soleChange(deployment);
  const current = await getFunction(progress.functionName);
  if (current.Code?.ImageUri === image.uri) return { ...progress, codeUpdated: true };
  assertNotUpdating(current, progress.functionName);
  try {
    await lambda.send(new UpdateFunctionCodeCommand({ FunctionName: progress.functionName, ImageUri: image.uri, RevisionId: progress.previousRevisionId }));
  } catch (error) {
    if (error instanceof PreconditionFailedException) {
      throw new ConcurrentChange(
        `function ${progress.functionName} changed since ecr-deployer read it (revision ${progress.previousRevisionId}); nothing was overwritten. Deploy again once the other change is done.`,
        { cause: error },
      );
    }
    if (error instanceof ResourceConflictException) throw new AwsTransientError(`function ${progress.functionName} is busy: ${error.message}`, { cause: error });
    throw error;
  }
  return { ...progress, codeUpdated: true, updateDeadline: secondsFromNow(deployment.settings.rollout.timeoutSeconds) };
}

function digestOfResolved(uri: string | undefined): string | undefined {
  return uri ? parseImageReference(uri).digest : undefined;
}

/**
 * Whether the function serves `image` (a URI by digest or by tag): its resolved
 * image has that digest, or its image is that URI. A failed update leaves the
 * previous code serving, whatever `LastUpdateStatus` says.
 */
function runsImage(current: GetFunctionCommandOutput, image: string): boolean {
  if (current.Configuration?.LastUpdateStatus === 'InProgress') return false;
  const digest = digestOfResolved(image);
  return (digest !== undefined && digestOfResolved(current.Code?.ResolvedImageUri) === digest) || current.Code?.ImageUri === image || current.Code?.ResolvedImageUri === image;
}

/**
 * One look at the code update: Successful only counts once the function's
 * ResolvedImageUri carries the pushed digest — what Lambda runs, not what we asked.
 */
async function checkCodeUpdate(deployment: Deployment, progress: LambdaProgress): Promise<RolloutStatus> {
  const { image } = soleChange(deployment);
  const current = await getFunction(progress.functionName);
  const status = current.Configuration?.LastUpdateStatus;
  const checkedAt = new Date().toISOString();
  if (status === 'Failed') {
    throw new RolloutFailed(
      `update of ${progress.functionName} to ${image.uri} Failed: ${current.Configuration?.LastUpdateStatusReasonCode ?? ''} ${current.Configuration?.LastUpdateStatusReason ?? 'no reason given'}`.trim(),
    );
  }
  // A Successful status of the update before ours (our image not yet shown) is not our result.
  if (status === 'Successful' && current.Code?.ImageUri === image.uri) {
    const running = digestOfResolved(current.Code?.ResolvedImageUri);
    if (running !== image.digest) {
      throw new ImageVerificationFailed(`function ${progress.functionName} resolved its image to ${current.Code?.ResolvedImageUri ?? 'nothing'}, not ${image.digest}`);
    }
    return { status: 'COMPLETED', runningCount: 1, desiredCount: 1, pendingCount: 0, checkedAt };
  }
  if (Date.now() > Date.parse(progress.updateDeadline)) {
    throw new RolloutTimeout(`update of ${progress.functionName} still ${status ?? 'pending'} at ${progress.updateDeadline}. Raise rollout.timeoutSeconds if it is just slow.`);
  }
  return { status: 'IN_PROGRESS', runningCount: 0, desiredCount: 1, pendingCount: 1, checkedAt };
}

/**
 * Publishes a version of the updated code (Lambda returns the existing one if
 * nothing changed, which makes this safe to repeat) and waits, by retry, until it
 * is Active.
 */
async function publishVersion(progress: LambdaProgress): Promise<LambdaProgress> {
  const current = await getFunction(progress.functionName);
  const published = await lambda.send(
    new PublishVersionCommand({ FunctionName: progress.functionName, RevisionId: current.Configuration?.RevisionId, Description: 'ecr-deployer' }),
  );
  const version = published.Version;
  if (!version) throw new Error('PublishVersion returned no version');
  if (published.State && published.State !== 'Active') {
    const state = await lambda.send(new GetFunctionConfigurationCommand({ FunctionName: progress.functionName, Qualifier: version }));
    if (state.State === 'Failed') throw new RolloutFailed(`version ${version} of ${progress.functionName} Failed: ${state.StateReason ?? 'no reason given'}`);
    if (state.State !== 'Active') throw new AwsTransientError(`version ${version} of ${progress.functionName} is ${state.State ?? 'not yet Active'}`);
  }
  return { ...progress, newVersion: version };
}

/** The canary steps of a target, the shorthand (one step) included. */
function canarySteps(deployment: Deployment): CanaryStep[] {
  // A rollback goes back at once: the version it returns to served all traffic before.
  if (deployment.changes.every((change) => change.fastRollback)) return [];
  const canary = lambdaTargetOf(deployment).canary;
  if (!canary) return [];
  return 'steps' in canary ? canary.steps : [canary];
}

/**
 * Moves the alias to the next stage: the next canary weight (the previous version
 * keeps the rest), or all traffic to the new version. Without an alias there is
 * nothing to shift. Each call sets an absolute state, so repeating it is harmless.
 */
async function shiftTraffic(deployment: Deployment, progress: LambdaProgress): Promise<LambdaProgress> {
  const steps = canarySteps(deployment);
  const next = progress.traffic ? progress.traffic.step + 1 : 0;
  if (!progress.alias || !progress.newVersion) {
    return { ...progress, traffic: { step: steps.length, steps: steps.length, weightPercent: 100, bakeSeconds: 0, complete: true } };
  }
  const step = steps[next];
  // Weighted routing needs two published versions: none from $LATEST, none to the same version.
  if (step && progress.previousVersion && progress.previousVersion !== '$LATEST' && progress.previousVersion !== progress.newVersion) {
    await lambda.send(
      new UpdateAliasCommand({
        FunctionName: progress.functionName,
        Name: progress.alias,
        FunctionVersion: progress.previousVersion,
        RoutingConfig: { AdditionalVersionWeights: { [progress.newVersion]: step.weightPercent / 100 } },
      }),
    );
    return { ...progress, traffic: { step: next, steps: steps.length, weightPercent: step.weightPercent, bakeSeconds: step.bakeSeconds, complete: false } };
  }
  await lambda.send(
    new UpdateAliasCommand({ FunctionName: progress.functionName, Name: progress.alias, FunctionVersion: progress.newVersion, RoutingConfig: { AdditionalVersionWeights: {} } }),
  );
  return { ...progress, traffic: { step: steps.length, steps: steps.length, weightPercent: 100, bakeSeconds: 0, complete: true } };
}

/**
 * Returns the function to what it ran before: the alias back to the recorded
 * version (routing removed), or, without an alias, the code back to the previous
 * image by digest. Verified by the check that follows.
 */
async function rollBackFunction(deployment: Deployment, progress: LambdaProgress): Promise<LambdaProgress> {
  const deadline = secondsFromNow(deployment.settings.rollout.rollbackTimeoutSeconds);
  if (progress.alias && progress.previousVersion) {
    await lambda.send(
      new UpdateAliasCommand({ FunctionName: progress.functionName, Name: progress.alias, FunctionVersion: progress.previousVersion, RoutingConfig: { AdditionalVersionWeights: {} } }),
    );
    // An alias on $LATEST runs whatever $LATEST runs, which is now the new code:
    // pointing the alias back is not enough, the code goes back too (below).
    if (progress.previousVersion !== '$LATEST') return { ...progress, rollback: { action: 'alias-restored', target: progress.previousVersion, deadline } };
  }
  const previousImage = progress.previousResolvedImageUri ?? progress.previousImageUri;
  const current = await getFunction(progress.functionName);
  // An update that failed left the previous code serving: nothing to undo.
  if (runsImage(current, previousImage)) {
    return { ...progress, rollback: { action: 'nothing-to-undo', target: previousImage, deadline } };
  }
  assertNotUpdating(current, progress.functionName);
  await lambda.send(new UpdateFunctionCodeCommand({ FunctionName: progress.functionName, ImageUri: previousImage }));
  return { ...progress, rollback: { action: 'code-restored', target: previousImage, deadline } };
}

/** One look at the rollback: the alias is back, or the previous image runs again. */
async function checkRollback(progress: LambdaProgress): Promise<RolloutStatus> {
  const rollback = progress.rollback;
  if (!rollback) throw new RollbackFailed('no rollback recorded: roll-back step did not run');
  const checkedAt = new Date().toISOString();
  const done: RolloutStatus = { status: 'COMPLETED', runningCount: 1, desiredCount: 1, pendingCount: 0, checkedAt };
  if (rollback.action === 'alias-restored') {
    const alias = await lambda.send(new GetAliasCommand({ FunctionName: progress.functionName, Name: progress.alias }));
    const routed = Object.keys(alias.RoutingConfig?.AdditionalVersionWeights ?? {});
    if (alias.FunctionVersion !== rollback.target || routed.length > 0) {
      throw new RollbackFailed(`alias ${progress.alias} points at version ${alias.FunctionVersion}${routed.length ? ` with routing to ${routed.join(', ')}` : ''}, not at ${rollback.target} alone`);
    }
    return done;
  }
  const current = await getFunction(progress.functionName);
  // Nothing was undone: what serves is what served before; a leftover `Failed` of our own update is not a failed rollback.
  if (rollback.action === 'nothing-to-undo' && runsImage(current, rollback.target)) return done;
  const status = current.Configuration?.LastUpdateStatus;
  if (status === 'Failed') throw new RollbackFailed(`update of ${progress.functionName} back to ${rollback.target} Failed: ${current.Configuration?.LastUpdateStatusReason ?? 'no reason given'}`);
  if (status === 'Successful') {
    const expected = digestOfResolved(rollback.target) ?? rollback.target;
    const running = digestOfResolved(current.Code?.ResolvedImageUri);
    if (running !== expected && current.Code?.ImageUri !== rollback.target) {
      throw new RollbackFailed(`function ${progress.functionName} runs ${current.Code?.ResolvedImageUri ?? 'an unknown image'}, not ${rollback.target}`);
    }
    return done;
  }
  if (Date.now() > Date.parse(rollback.deadline)) throw new RollbackFailed(`update of ${progress.functionName} back to ${rollback.target} still ${status ?? 'pending'} at ${rollback.deadline}`);
  return { ...done, status: 'IN_PROGRESS', runningCount: 0, pendingCount: 1 };
}

/**
 * After the rollback step failed: whether the function verifiably serves what it
 * served before — the alias on the recorded version with no routing, or (no alias)
 * the previous image, whatever the last update's status says.
 */
async function judgeFunctionRollback(progress: LambdaProgress): Promise<RollbackVerdict> {
  if (progress.alias && progress.previousVersion && progress.previousVersion !== '$LATEST') {
    const alias = await lambda.send(new GetAliasCommand({ FunctionName: progress.functionName, Name: progress.alias }));
    const routed = Object.keys(alias.RoutingConfig?.AdditionalVersionWeights ?? {});
    if (alias.FunctionVersion === progress.previousVersion && routed.length === 0) return { backOnRecorded: true, runs: `alias ${progress.alias} is back on version ${progress.previousVersion} alone` };
    return { backOnRecorded: false, runs: `alias ${progress.alias} points at version ${alias.FunctionVersion ?? '?'}${routed.length ? ` with routing to ${routed.join(', ')}` : ''}, not at ${progress.previousVersion} alone` };
  }
  const current = await getFunction(progress.functionName);
  const previous = progress.previousResolvedImageUri ?? progress.previousImageUri;
  if (runsImage(current, previous)) return { backOnRecorded: true, runs: `${progress.functionName} runs ${previous} again` };
  return { backOnRecorded: false, runs: `${progress.functionName} runs ${current.Code?.ResolvedImageUri ?? current.Code?.ImageUri ?? 'an unknown image'} (${current.Configuration?.LastUpdateStatus ?? 'no update status'}), not ${previous}` };
}

export { prepareFunction, updateFunctionCode, judgeFunctionRollback, checkCodeUpdate, publishVersion, shiftTraffic, rollBackFunction, checkRollback, canarySteps, ecrRegion };
