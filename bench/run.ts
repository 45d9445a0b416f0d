import '../local/quiet';
import { measureBundles } from './bundles';
import { batchTestJobCost, ecsRolloutCost, ecsRolloutWithoutLoadBalancerCost, FIVE_MINUTE_ROLLOUT, lambdaCanaryCost, pushToUpdateService, type DeploymentCost, type RolloutCost } from './critical-path';
import { runBurst, singleDeploymentSeconds, type BurstResult } from './burst';
import { startDynamoDbProcess } from './dynamodb-process';
import { reconcileCost, sweepLine } from './reconcile';

/**
 * `npm run bench`: figures, one line each, `bench: <name>: <figure> (<bound>, <ratio>×)`.
 * They are virtual-time figures of the real code (trigger, state machine, slot table),
 * so they do not depend on how fast or busy the machine is; they vary a little from
 * run to run because retry pauses are drawn at random (full jitter), as in AWS.
 */

/** ECS's task-definition bucket: 20 registrations at once, then one a second. */
const REGISTER_BURST = 20;

function burstLine(result: BurstResult, deploymentSeconds: number): string {
  // Nothing converges before the last push has had one deployment, nor before the registrations beyond the
  // bucket's burst have each had their second, plus one deployment.
  const bound = Math.max(result.lastPushSeconds + deploymentSeconds, Math.max(0, result.targets - REGISTER_BURST) + deploymentSeconds);
  const ratio = (result.convergenceSeconds / bound).toFixed(2);
  const figures = [
    `${result.onNewest}/${result.targets} on newest`,
    `${result.failedByThrottling} failed by throttling`,
    `${result.failed} failed`,
    `${result.lost} lost`,
    `${result.duplicates} duplicate`,
    `at most ${result.maxDeploymentsPerTarget} deployments per target`,
    `${result.throttledCalls} ECS calls throttled and retried`,
    `${result.convergenceSeconds} s`,
  ];
  return `bench: burst ${result.pushes} pushes / ${result.targets} targets: ${figures.join(', ')} (bound ${bound} s, ${ratio}×)`;
}

/** A rollout of a few polls, 15 s apart: a minute, as a small Fargate service takes. */
const ROLLOUT_POLLS = 4;

/** Paired cold loads per function: enough for a stable median on a busy 2-core machine, few enough to stay quick. */
const COLD_LOAD_PAIRS = 5;

const kib = (bytes: number): string => `${Math.round(bytes / 1024)} KiB`;

async function printBundleFigures(): Promise<void> {
  for (const figure of await measureBundles(COLD_LOAD_PAIRS)) {
    console.log(`bench: bundle ${figure.name}: ${kib(figure.bytes)} (floor ${kib(figure.floorBytes)}, ${(figure.bytes / figure.floorBytes).toFixed(2)}×)`);
    console.log(`bench: cold load ${figure.name}: ${figure.loadMs.toFixed(0)} ms (floor ${figure.floorLoadMs.toFixed(0)} ms, ${figure.loadRatio.toFixed(2)}×)`);
  }
}

/** The goals of the critical path (README, "Performance"): a five-minute rollout behind a load balancer in 5 looks, its completion seen within pollSeconds. */
const GOALS = { callsToUpdate: 6, invocationsToUpdate: 3, rolloutTransitions: 30, rolloutChecks: 5, functionsPerDeployment: 3 };

const ratio = (figure: number, goal: number): string => `${(figure / goal).toFixed(2)}×`;

/** A deployment meets at most three functions: at most three cold starts after a quiet hour. */
function functionsFigure(cost: DeploymentCost): string {
  return `${cost.functions.length} distinct functions (goal ${GOALS.functionsPerDeployment}: ${cost.functions.join(', ')})`;
}

/** The figures of a rollout's run: what it cost, how often it looked, how late it saw completion. */
function rolloutFigures(cost: RolloutCost): string {
  return [
    `${cost.transitions} transitions (${cost.loopTransitions} in the rollout loop)`,
    `${cost.invocations} Lambda invocations`,
    functionsFigure(cost),
    `${cost.checks} rollout checks`,
    `completion seen ${cost.detectionSeconds} s after it happened (at most ${cost.pollSeconds} s)`,
  ].join(', ');
}

async function printPathFigures(): Promise<void> {
  const path = await pushToUpdateService();
  const withoutSlots = path.callsToUpdate.filter((call) => !call.startsWith('DynamoDB.'));
  console.log(`bench: AWS calls push → UpdateService: ${withoutSlots.length}, ${path.callsToUpdate.length} with the slot table's (goal ${GOALS.callsToUpdate}, ${ratio(withoutSlots.length, GOALS.callsToUpdate)}): ${path.callsToUpdate.join(', ')}`);
  console.log(`bench: sequential Lambda invocations push → UpdateService: ${path.invocationsToUpdate.length} after the trigger (goal ${GOALS.invocationsToUpdate}, ${ratio(path.invocationsToUpdate.length, GOALS.invocationsToUpdate)}): ${path.invocationsToUpdate.join(', ')}`);
  const ecs = await ecsRolloutCost();
  const { tasksHealthyAfterSeconds: healthy, deregistrationDelaySeconds: delay } = FIVE_MINUTE_ROLLOUT;
  console.log(
    `bench: ECS deployment with a 5-minute rollout behind a load balancer (tasks healthy after ${healthy} s, deregistration delay ${delay} s): ${rolloutFigures(ecs)} (goal ${GOALS.rolloutChecks} checks, ${GOALS.rolloutTransitions} transitions, ${ratio(ecs.transitions, GOALS.rolloutTransitions)})`,
  );
  // Nothing bounds a rollout without a load balancer: one look every pollSeconds is the floor.
  const bare = await ecsRolloutWithoutLoadBalancerCost();
  const floorChecks = Math.ceil(bare.rolloutSeconds / bare.pollSeconds);
  console.log(
    `bench: ECS deployment with a 5-minute rollout without a load balancer (tasks healthy after ${bare.rolloutSeconds} s): ${rolloutFigures(bare)} (floor ${floorChecks} checks, one every ${bare.pollSeconds} s, ${ratio(bare.checks, floorChecks)})`,
  );
  const batch = await batchTestJobCost();
  console.log(`bench: Batch deployment with a test job: ${batch.transitions} transitions, ${batch.invocations} Lambda invocations, ${functionsFigure(batch)}`);
  const lambda = await lambdaCanaryCost();
  console.log(`bench: Lambda deployment with a canary (10 % for 300 s): ${lambda.transitions} transitions, ${lambda.invocations} Lambda invocations, ${functionsFigure(lambda)}`);
}

async function main(): Promise<void> {
  await printBundleFigures();
  const dynamo = await startDynamoDbProcess();
  process.env.AWS_ENDPOINT_URL_DYNAMODB = dynamo.endpoint;
  try {
    await printPathFigures();
    const sweeps = await reconcileCost(50, 10);
    console.log(sweepLine('10 pushes EventBridge lost', 50, sweeps.busy));
    console.log(sweepLine('nothing to do', 50, sweeps.idle));
    const deploymentSeconds = await singleDeploymentSeconds(ROLLOUT_POLLS);
    console.log(`bench: one deployment alone: ${deploymentSeconds} s (register, update, a rollout of ${ROLLOUT_POLLS} polls 15 s apart, verify, release)`);
    for (const [targets, pushesPerTarget] of [
      [50, 4],
      [20, 1],
      [200, 1],
    ] as const) {
      const result = await runBurst({ targets, pushesPerTarget, windowSeconds: 60, maxDeliveryDelayMs: 2000, rolloutPolls: ROLLOUT_POLLS, seed: 42 });
      console.log(burstLine(result, deploymentSeconds));
    }
    // The same burst with rollouts twice as fast as the push window is long: no running rollout is
    // preempted, so a target whose pushes straddle two deployments gets a third.
    const quick = await singleDeploymentSeconds(2);
    const result = await runBurst({ targets: 50, pushesPerTarget: 4, windowSeconds: 60, maxDeliveryDelayMs: 2000, rolloutPolls: 2, seed: 42 });
    console.log(burstLine(result, quick).replace('bench: burst', `bench: burst (rollouts of ${quick} s)`));
  } finally {
    dynamo.stop();
  }
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    console.error(error);
    process.exit(1);
  },
);
