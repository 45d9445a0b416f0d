import { createHash, randomUUID } from 'node:crypto';
import {
  ClientException,
  DeregisterTaskDefinitionCommand,
  ContinueServiceDeploymentCommand,
  DescribeServiceDeploymentsCommand,
  DescribeServicesCommand,
  DescribeTaskDefinitionCommand,
  DescribeTasksCommand,
  ECSClient,
  ListTasksCommand,
  RegisterTaskDefinitionCommand,
  RunTaskCommand,
  StopServiceDeploymentCommand,
  StopTaskCommand,
  type DeploymentConfiguration,
  type DeploymentLifecycleHookStage,
  type RunTaskCommandInput,
  type ServiceDeployment,
  type ServiceDeploymentLifecycleStage,
  type ServiceDeploymentStatus,
  UpdateServiceCommand,
  type ContainerDefinition,
  type Deployment as EcsDeployment,
  type LoadBalancer,
  type RegisterTaskDefinitionCommandInput,
  type Service,
  type ServiceEvent,
  type Tag,
  type Task,
  type TaskDefinition,
} from '@aws-sdk/client-ecs';
import { DescribeTargetGroupAttributesCommand, ElasticLoadBalancingV2Client, TargetGroupNotFoundException } from '@aws-sdk/client-elastic-load-balancing-v2';
import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { ExecutionAlreadyExists, SFNClient, StartExecutionCommand } from '@aws-sdk/client-sfn';
import { mockClient } from 'aws-sdk-client-mock';
import type { DeploymentEventDetail } from '../functions/events/deployment-events';
import { parseImageReference } from '../functions/shared/image';
import { SimulatedBatch, type JobOutcome } from './simulated-batch';
import { TokenBuckets } from './token-buckets';
import { SimulatedEcr } from './simulated-ecr';
import { SimulatedExecutions, type ExecutionStatus } from './simulated-executions';
import { SimulatedLambda, type LambdaImageBehaviour } from './simulated-lambda';
import { SimulatedRules } from './simulated-rules';
import { SimulatedCloudWatch } from './simulated-cloudwatch';

/**
 * An AWS account held in memory: ECS clusters, services, task definition revisions
 * and tasks; the target groups of their load balancers; Step Functions executions;
 * EventBridge events. It answers the SDK calls the deployer makes by intercepting the
 * real SDK clients (aws-sdk-client-mock), and moves rollouts forward one step each
 * time a service is described — or, for a service given a timeline, as time passes.
 */

const ACCOUNT_ID = '123456789012';
const REGION = 'us-east-1';

/** How the image in a task definition behaves once ECS starts it. */
type ImageBehaviour = 'healthy' | 'crashes' | 'never-stabilises' | 'errors-on-invoke';

/**
 * A healthy rollout in time rather than in DescribeServices calls: the new tasks are
 * healthy `tasksHealthyAfterSeconds` after UpdateService; then, behind a load balancer,
 * ECS begins draining the old tasks, and the deployment is COMPLETED once the target
 * groups' deregistration delay has passed. Without a load balancer it is COMPLETED
 * when the new tasks are healthy. Read from Date.now(): it runs on a virtual clock.
 */
interface RolloutTimeline {
  tasksHealthyAfterSeconds: number;
}

interface SimulatedDeployment extends EcsDeployment {
  /** DescribeServices calls seen while it rolled out (the tick model). */
  ticks: number;
  /** The timeline model: the draining event was published. */
  drainingBegun?: boolean;
}

interface SimulatedService {
  /** DescribeServices calls a healthy rollout takes to complete (unless `timeline` is set). */
  ticksToComplete: number;
  /** When set, healthy rollouts follow time instead of ticks. */
  timeline?: RolloutTimeline;
  cluster: string;
  name: string;
  desiredCount: number;
  circuitBreaker: { enable: boolean; rollback: boolean };
  /** Target groups the tasks register in (none: no load balancer). */
  loadBalancers: LoadBalancer[];
  /** The service's events, newest first, as DescribeServices returns them (at most 100). */
  events: ServiceEvent[];
  deployments: SimulatedDeployment[];
  tasks: Task[];
  /** Fargate's awsvpc settings, as ECS returns them (a one-off task runs in the same). */
  launchType: 'FARGATE';
  networkConfiguration: NonNullable<Service['networkConfiguration']>;
  /** ECS's own BLUE_GREEN, LINEAR or CANARY deployments (`setDeploymentStrategy`); absent: ROLLING. */
  native?: NativeStrategy;
  /** Its service deployments (native strategies), newest first. */
  serviceDeployments: SimulatedServiceDeployment[];
}

/** A service's native deployment strategy, as deploymentConfiguration holds it. */
interface NativeStrategy {
  strategy: 'BLUE_GREEN' | 'LINEAR' | 'CANARY';
  bakeTimeInMinutes: number;
  linearConfiguration?: { stepPercent: number; stepBakeTimeInMinutes: number };
  canaryConfiguration?: { canaryPercent: number; canaryBakeTimeInMinutes: number };
  /** ECS's own alarm rollback (deploymentConfiguration.alarms), judged against account.cloudWatch. */
  alarms?: { alarmNames: string[]; enable: boolean; rollback: boolean };
  /** PAUSE hooks: ECS waits at these stages until ContinueServiceDeployment. */
  lifecycleHooks?: { targetType: 'PAUSE'; lifecycleStages: DeploymentLifecycleHookStage[] }[];
}

/** One native service deployment: its lifecycle stage moves one step per DescribeServiceDeployments, BAKE_TIME by the clock. */
interface SimulatedServiceDeployment {
  arn: string;
  source: string;
  target: string;
  status: ServiceDeploymentStatus;
  stage: ServiceDeploymentLifecycleStage;
  createdAt: Date;
  bakeStartedAt?: Date;
  statusReason?: string;
  rollback?: { reason: string; startedAt: Date };
  triggeredAlarmNames?: string[];
  /** Its entry in the service's `deployments`. */
  deployment: SimulatedDeployment;
  /** The PAUSE hooks it met, by stage. */
  hooks: { hookId: string; stage: string; status: 'AWAITING_ACTION' | 'SUCCEEDED' }[];
  /** Every lifecycle stage it reached, in order. */
  stagesReached: string[];
}

/** The lifecycle of a native deployment before the bake (ECS developer guide, "Blue/green deployment lifecycle"). */
const NATIVE_STAGES: ServiceDeploymentLifecycleStage[] = ['RECONCILE_SERVICE', 'PRE_SCALE_UP', 'SCALE_UP', 'POST_SCALE_UP', 'TEST_TRAFFIC_SHIFT', 'POST_TEST_TRAFFIC_SHIFT', 'PRODUCTION_TRAFFIC_SHIFT', 'POST_PRODUCTION_TRAFFIC_SHIFT', 'BAKE_TIME', 'CLEAN_UP'];

/** A target group of a load balancer: its ARN, and how long a deregistered target stays draining. */
interface SimulatedTargetGroup {
  arn: string;
  deregistrationDelaySeconds: number;
}

interface SimulatedExecution {
  name: string;
  arn: string;
  input: string;
  status: ExecutionStatus;
}

interface InjectedFailure {
  command: string;
  errorName: string;
  remaining: number;
}

/** Describe calls it takes a healthy rollout to complete. */
const TICKS_TO_COMPLETE = 2;
/** ECS keeps the last 100 events of a service. */
const MAX_SERVICE_EVENTS = 100;
/** ELB's default deregistration delay (ELB guide, "Deregistration delay"). */
const DEFAULT_DEREGISTRATION_DELAY_SECONDS = 300;
/** Failed tasks after which an enabled circuit breaker trips (ECS's minimum threshold). */
const CIRCUIT_BREAKER_THRESHOLD = 3;

function digestOf(image: string): string {
  const pinned = parseImageReference(image).digest;
  return pinned ?? `sha256:${createHash('sha256').update(image).digest('hex')}`;
}

const THROTTLING_ERRORS = new Set(['ThrottlingException', 'TooManyRequestsException']);

/** An error shaped like the SDK's: throttling is retryable, a 5xx is a server fault, the rest are permanent. */
function injectedError(name: string): Error {
  const throttling = THROTTLING_ERRORS.has(name);
  const server = name === 'ServerException' || name === 'ServiceUnavailableException';
  return Object.assign(new Error(throttling ? 'Rate exceeded' : `simulated ${name}`), {
    name,
    $fault: server ? 'server' : 'client',
    $metadata: { httpStatusCode: server ? 500 : 400 },
    ...(throttling ? { $retryable: { throttling: true } } : {}),
  });
}

class SimulatedAwsAccount {
  public readonly accountId = ACCOUNT_ID;
  public readonly region = REGION;
  public readonly registry = `${ACCOUNT_ID}.dkr.ecr.${REGION}.amazonaws.com`;
  public readonly taskDefinitions = new Map<string, { taskDefinition: TaskDefinition; tags: Tag[] }>();
  public readonly services = new Map<string, SimulatedService>();
  public readonly executions = new Map<string, SimulatedExecution>();
  public readonly events: DeploymentEventDetail[] = [];
  /** One-off tasks (RunTask: an ECS pre-deploy task), by clientToken: each runs one look, then stops (exit 1 for an image that crashes; never for one that never stabilises). */
  public readonly oneOffTasks = new Map<string, { task: Task; behaviour: ImageBehaviour; input: RunTaskCommandInput; looks: number }>();
  /** Target groups of load balancers, by ARN. */
  public readonly targetGroups = new Map<string, SimulatedTargetGroup>();
  /** When each ECS deployment completed, by deployment id: the moment the model says, not the look that saw it. */
  public readonly rolloutsCompletedAt = new Map<string, Date>();
  /** Every SDK call, in order: `ECS.UpdateService`, … */
  public readonly calls: string[] = [];
  private readonly imageBehaviour = new Map<string, ImageBehaviour>();
  private readonly failures: InjectedFailure[] = [];
  /** ECS's token buckets, when simulated (`simulateThrottling`). */
  public throttling?: TokenBuckets;
  /** While set, every call to every simulated service (and to the local DynamoDB) is throttled (the fault matrix sets it around one step). */
  public throttleEverything = false;
  /** Calls throttled because of `throttleEverything`. */
  public throttledCalls = 0;
  private beforeCalls: { command: string; action: () => void | Promise<void> }[] = [];
  private deploymentCounter = 0;
  private taskCounter = 0;
  private readonly mocks = [mockClient(ECSClient), mockClient(SFNClient), mockClient(EventBridgeClient), mockClient(ElasticLoadBalancingV2Client)] as const;
  /** AWS Batch: job definition revisions and jobs. */
  public readonly batch: SimulatedBatch;
  /** AWS Lambda: container-image functions, versions and aliases. */
  public readonly lambda: SimulatedLambda;
  /** Amazon ECR: images by repository, with digests and tags. */
  public readonly ecr: SimulatedEcr;
  /** Step Functions beyond StartExecution: runs, histories and outcomes of executions. */
  public readonly stepFunctions: SimulatedExecutions;
  /** EventBridge rules of the default event bus: scheduled ECS tasks and Batch jobs. */
  public readonly rules: SimulatedRules;
  /** CloudWatch alarms: states and their history. */
  public readonly cloudWatch: SimulatedCloudWatch;

  public constructor() {
    this.install();
    this.batch = new SimulatedBatch(ACCOUNT_ID, REGION, (image) => this.jobOutcomeOf(image), (service, command, run) => this.handle(service, command, run));
    this.lambda = new SimulatedLambda(ACCOUNT_ID, REGION, (image) => this.lambdaBehaviourOf(image), digestOf, (service, command, run) => this.handle(service, command, run));
    this.ecr = new SimulatedEcr(ACCOUNT_ID, (service, command, run) => this.handle(service, command, run));
    this.stepFunctions = new SimulatedExecutions(this.mocks[1], this.executions, ACCOUNT_ID, REGION, (service, command, run) => this.handle(service, command, run));
    this.rules = new SimulatedRules(this.mocks[2], (service, command, run) => this.handle(service, command, run));
    this.cloudWatch = new SimulatedCloudWatch((service, command, run) => this.handle(service, command, run));
  }

  /** Stops intercepting the SDK clients. */
  public restore(): void {
    for (const mock of this.mocks) mock.restore();
    this.batch.restore();
    this.lambda.restore();
    this.ecr.restore();
    this.cloudWatch.restore();
  }

  /** How an image behaves on Lambda: crashing images fail to update, images that never stabilise never finish updating. */
  private lambdaBehaviourOf(image: string): LambdaImageBehaviour {
    const behaviour = this.imageBehaviour.get(digestOf(image)) ?? 'healthy';
    if (behaviour === 'crashes') return 'update-fails';
    if (behaviour === 'never-stabilises') return 'update-hangs';
    return behaviour;
  }

  /** How a Batch job running this image ends: crashing images fail, images that never stabilise never leave RUNNABLE. */
  private jobOutcomeOf(image: string): JobOutcome {
    const behaviour = this.imageBehaviour.get(digestOf(image)) ?? 'healthy';
    if (behaviour === 'crashes') return 'FAILED';
    if (behaviour === 'never-stabilises') return 'STUCK';
    return 'SUCCEEDED';
  }

  public imageUri(repository: string, digest: string): string {
    return `${this.registry}/${repository}@${digest}`;
  }

  /** From now on a healthy rollout of this service takes `ticks` DescribeServices calls to complete. */
  public setRolloutTicks(cluster: string, name: string, ticks: number): void {
    const service = this.services.get(`${cluster}/${name}`);
    if (!service) throw new Error(`no service ${cluster}/${name}`);
    service.ticksToComplete = ticks;
    service.timeline = undefined;
  }

  /**
   * From now on a healthy rollout of this service follows time (Date.now()), not
   * DescribeServices calls: new tasks healthy `tasksHealthyAfterSeconds` after
   * UpdateService, then (behind a load balancer) the old tasks drain for the target
   * groups' deregistration delay — `deregistrationDelaySeconds` sets it on every target
   * group of the service — and the deployment is COMPLETED.
   */
  public setRolloutTimeline(cluster: string, name: string, timeline: { tasksHealthyAfterSeconds: number; deregistrationDelaySeconds?: number }): void {
    const service = this.service(cluster, name);
    if (timeline.deregistrationDelaySeconds !== undefined) {
      const groups = this.targetGroupsOf(service);
      if (groups.length === 0) throw new Error(`${cluster}/${name} has no load balancer: nothing has a deregistration delay`);
      for (const group of groups) group.deregistrationDelaySeconds = timeline.deregistrationDelaySeconds;
    }
    service.timeline = { tasksHealthyAfterSeconds: timeline.tasksHealthyAfterSeconds };
  }

  /** A target group of a load balancer in this account; its ARN, to give a service in `createService` or `setLoadBalancers`. */
  public createTargetGroup(name: string, deregistrationDelaySeconds = DEFAULT_DEREGISTRATION_DELAY_SECONDS): string {
    const suffix = createHash('sha256').update(name).digest('hex').slice(0, 16);
    const arn = `arn:aws:elasticloadbalancing:${REGION}:${ACCOUNT_ID}:targetgroup/${name}/${suffix}`;
    this.targetGroups.set(arn, { arn, deregistrationDelaySeconds });
    return arn;
  }

  /** The service's tasks register in these target groups from now on (none: no load balancer). */
  public setLoadBalancers(cluster: string, name: string, loadBalancers: LoadBalancer[]): void {
    this.service(cluster, name).loadBalancers = structuredClone(loadBalancers);
  }

  private targetGroupsOf(service: SimulatedService): SimulatedTargetGroup[] {
    return service.loadBalancers.flatMap((lb) => {
      const group = this.targetGroups.get(lb.targetGroupArn ?? '');
      return group ? [group] : [];
    });
  }

  /** What ECS does when it starts containers with this digest. Default: healthy. */
  private advanceOneOffTask(run: { task: Task; behaviour: ImageBehaviour; looks: number }): void {
    if (run.task.lastStatus === 'STOPPED') return;
    run.looks += 1;
    if (run.behaviour === 'never-stabilises' || run.looks < 2) {
      run.task.lastStatus = 'RUNNING';
      return;
    }
    const exitCode = run.behaviour === 'crashes' ? 1 : 0;
    const name = run.task.overrides?.containerOverrides?.[0]?.name;
    run.task.lastStatus = 'STOPPED';
    run.task.stoppedReason = 'Essential container in task exited';
    run.task.containers = (run.task.containers ?? []).map((c) => ({ ...c, lastStatus: 'STOPPED', ...(c.name === name ? { exitCode, ...(exitCode ? { reason: 'migration failed: relation "users" already exists' } : {}) } : { exitCode: 0 }) }));
  }

  public setImageBehaviour(digest: string, behaviour: ImageBehaviour): void {
    this.imageBehaviour.set(digest, behaviour);
  }

  /** Something else happens in the account just before the next call of `command` (a person's change, a push); the call waits for it. */
  public beforeNext(command: string, action: () => void | Promise<void>): void {
    this.beforeCalls.push({ command, action });
  }

  /** From now on ECS calls are throttled as AWS does it: a token bucket per category of actions, refilled over (Date.now()) time. */
  public simulateThrottling(buckets = new TokenBuckets()): TokenBuckets {
    this.throttling = buckets;
    return buckets;
  }

  /** The next `times` calls of `command` (e.g. `RegisterTaskDefinition`) fail with `errorName` (default: throttling). */
  /** True (and counted) while every call is throttled: the local DynamoDB asks too. */
  public throttledNow(): boolean {
    if (!this.throttleEverything) return false;
    this.throttledCalls += 1;
    return true;
  }

  public failNext(command: string, times = 1, errorName = 'ThrottlingException'): void {
    this.failures.push({ command, errorName, remaining: times });
  }

  public registerTaskDefinition(input: RegisterTaskDefinitionCommandInput): TaskDefinition {
    const family = input.family ?? 'unnamed';
    const revision = [...this.taskDefinitions.values()].filter((td) => td.taskDefinition.family === family).length + 1;
    const { tags, ...rest } = input;
    const taskDefinition: TaskDefinition = {
      ...(rest as TaskDefinition),
      taskDefinitionArn: `arn:aws:ecs:${REGION}:${ACCOUNT_ID}:task-definition/${family}:${revision}`,
      revision,
      status: 'ACTIVE',
      compatibilities: ['EC2', 'FARGATE'],
      requiresAttributes: [{ name: 'com.amazonaws.ecs.capability.docker-remote-api.1.18' }],
      registeredAt: new Date(),
      registeredBy: `arn:aws:iam::${ACCOUNT_ID}:role/ecr-deployer`,
    };
    this.taskDefinitions.set(taskDefinition.taskDefinitionArn ?? '', { taskDefinition, tags: tags ?? [] });
    return taskDefinition;
  }

  /** A service already running `taskDefinitionArn`, with its tasks up and its deployment COMPLETED. */
  public createService(options: {
    cluster: string;
    name: string;
    taskDefinitionArn: string;
    desiredCount?: number;
    circuitBreaker?: { enable: boolean; rollback: boolean };
    /** DescribeServices calls a healthy rollout takes (default 2). */
    ticksToComplete?: number;
    /** Target groups (from `createTargetGroup`) its tasks register in; default none. */
    loadBalancers?: LoadBalancer[];
  }): void {
    const service: SimulatedService = {
      ticksToComplete: options.ticksToComplete ?? TICKS_TO_COMPLETE,
      cluster: options.cluster,
      name: options.name,
      desiredCount: options.desiredCount ?? 2,
      circuitBreaker: options.circuitBreaker ?? { enable: false, rollback: false },
      loadBalancers: structuredClone(options.loadBalancers ?? []),
      events: [],
      deployments: [],
      tasks: [],
      serviceDeployments: [],
      launchType: 'FARGATE',
      networkConfiguration: { awsvpcConfiguration: { subnets: ['subnet-0a1b2c3d4e5f60718'], securityGroups: [`sg-${options.name.length.toString(16).padStart(17, '0')}`], assignPublicIp: 'DISABLED' } },
    };
    const deployment = this.newDeployment(service, options.taskDefinitionArn);
    deployment.rolloutState = 'COMPLETED';
    deployment.runningCount = service.desiredCount;
    deployment.pendingCount = 0;
    service.deployments.push(deployment);
    service.tasks = this.startTasks(service, deployment);
    this.services.set(`${options.cluster}/${options.name}`, service);
  }

  public service(cluster: string, name: string): SimulatedService {
    const service = this.services.get(`${cluster}/${name}`);
    if (!service) throw new Error(`no simulated service ${cluster}/${name}`);
    return service;
  }

  /** The task definition the service's primary deployment runs. */
  public runningTaskDefinition(cluster: string, name: string): TaskDefinition | undefined {
    const primary = this.service(cluster, name).deployments.find((d) => d.status === 'PRIMARY');
    return primary?.taskDefinition ? this.taskDefinitions.get(primary.taskDefinition)?.taskDefinition : undefined;
  }

  /** Digests the service's running tasks report, per container. */
  public runningDigests(cluster: string, name: string): Record<string, string>[] {
    return this.service(cluster, name).tasks.map((task) => Object.fromEntries((task.containers ?? []).map((c) => [c.name ?? '', c.imageDigest ?? ''])));
  }

  private newDeployment(service: SimulatedService, taskDefinitionArn: string): SimulatedDeployment {
    this.deploymentCounter += 1;
    return {
      id: `ecs-svc/9${String(this.deploymentCounter).padStart(18, '0')}`,
      status: 'PRIMARY',
      taskDefinition: taskDefinitionArn,
      desiredCount: service.desiredCount,
      pendingCount: service.desiredCount,
      runningCount: 0,
      failedTasks: 0,
      rolloutState: 'IN_PROGRESS',
      rolloutStateReason: 'ECS deployment in progress.',
      createdAt: new Date(),
      ticks: 0,
    };
  }

  private startTasks(service: SimulatedService, deployment: EcsDeployment): Task[] {
    const taskDefinition = this.taskDefinitions.get(deployment.taskDefinition ?? '')?.taskDefinition;
    return Array.from({ length: service.desiredCount }, () => {
      this.taskCounter += 1;
      return {
        taskArn: `arn:aws:ecs:${REGION}:${ACCOUNT_ID}:task/${service.cluster}/${String(this.taskCounter).padStart(32, '0')}`,
        taskDefinitionArn: deployment.taskDefinition,
        startedBy: deployment.id,
        lastStatus: 'RUNNING',
        desiredStatus: 'RUNNING',
        containers: (taskDefinition?.containerDefinitions ?? []).map((c: ContainerDefinition) => ({
          name: c.name,
          image: c.image,
          imageDigest: c.image ? digestOf(c.image) : undefined,
          lastStatus: 'RUNNING',
        })),
      };
    });
  }

  /** The worst behaviour among the images a task definition runs. */
  private behaviourOf(taskDefinitionArn: string | undefined): ImageBehaviour {
    const containers = this.taskDefinitions.get(taskDefinitionArn ?? '')?.taskDefinition.containerDefinitions ?? [];
    const behaviours = containers.map((c) => this.imageBehaviour.get(c.image ? digestOf(c.image) : '') ?? 'healthy');
    if (behaviours.includes('crashes')) return 'crashes';
    if (behaviours.includes('never-stabilises')) return 'never-stabilises';
    return 'healthy';
  }

  private addServiceEvent(service: SimulatedService, at: Date, message: string): void {
    service.events = [{ id: randomUUID(), createdAt: at, message: `(service ${service.name}) ${message}` }, ...service.events].slice(0, MAX_SERVICE_EVENTS);
  }

  private complete(service: SimulatedService, primary: SimulatedDeployment, at: Date): void {
    primary.rolloutState = 'COMPLETED';
    primary.rolloutStateReason = `ECS deployment ${primary.id} completed.`;
    primary.runningCount = service.desiredCount;
    primary.pendingCount = 0;
    service.deployments = [primary];
    service.tasks = this.startTasks(service, primary);
    this.rolloutsCompletedAt.set(primary.id ?? '', at);
    this.addServiceEvent(service, at, `(deployment ${primary.id}) deployment completed.`);
    this.addServiceEvent(service, at, 'has reached a steady state.');
  }

  /** A healthy rollout on its timeline, as of now: tasks healthy, then draining, then COMPLETED. */
  private advanceOnTimeline(service: SimulatedService, primary: SimulatedDeployment, timeline: RolloutTimeline): void {
    const healthyAt = (primary.createdAt?.getTime() ?? 0) + timeline.tasksHealthyAfterSeconds * 1000;
    const now = Date.now();
    if (now < healthyAt) return;
    primary.runningCount = service.desiredCount;
    primary.pendingCount = 0;
    const groups = this.targetGroupsOf(service);
    if (groups.length === 0) {
      this.complete(service, primary, new Date(healthyAt));
      return;
    }
    if (!primary.drainingBegun) {
      primary.drainingBegun = true;
      const draining = service.deployments.filter((d) => d !== primary).reduce((n, d) => n + (d.runningCount ?? 0), 0);
      this.addServiceEvent(service, new Date(healthyAt), `has begun draining connections on ${draining} tasks.`);
    }
    const drainedAt = healthyAt + Math.max(...groups.map((g) => g.deregistrationDelaySeconds)) * 1000;
    if (now >= drainedAt) this.complete(service, primary, new Date(drainedAt));
  }

  /** One step of every rollout in progress: what time does between two DescribeServices (or, on a timeline, what it did by now). */
  private advance(service: SimulatedService): void {
    if (service.native) return;
    const primary = service.deployments.find((d) => d.status === 'PRIMARY');
    if (!primary || primary.rolloutState !== 'IN_PROGRESS') return;
    primary.ticks += 1;
    const behaviour = this.behaviourOf(primary.taskDefinition);
    if (behaviour === 'healthy' && service.timeline) {
      this.advanceOnTimeline(service, primary, service.timeline);
      return;
    }
    if (behaviour === 'healthy' && primary.ticks >= service.ticksToComplete) {
      this.complete(service, primary, new Date());
      return;
    }
    if (behaviour === 'crashes') {
      primary.failedTasks = (primary.failedTasks ?? 0) + 2;
      if (service.circuitBreaker.enable && (primary.failedTasks ?? 0) >= CIRCUIT_BREAKER_THRESHOLD) {
        primary.rolloutState = 'FAILED';
        primary.rolloutStateReason = 'ECS deployment circuit breaker: tasks failed to start.';
        if (service.circuitBreaker.rollback) {
          const lastCompleted = service.deployments.find((d) => d !== primary);
          if (lastCompleted?.taskDefinition) {
            primary.status = 'ACTIVE';
            const rollback = this.newDeployment(service, lastCompleted.taskDefinition);
            rollback.rolloutStateReason = `ECS deployment circuit breaker: rolling back to deploymentId ${lastCompleted.id}.`;
            service.deployments = [rollback, primary];
          }
        }
      }
    }
  }

  private takeFailure(command: string): Error | undefined {
    const failure = this.failures.find((f) => f.command === command && f.remaining > 0);
    if (!failure) return undefined;
    failure.remaining -= 1;
    return injectedError(failure.errorName);
  }

  /** Wraps a fake command handler: records the call and fails it when a failure is injected. */
  private handle<I, O>(service: string, command: string, run: (input: I) => O): (input: I) => Promise<O> {
    return async (input: I) => {
      this.calls.push(`${service}.${command}`);
      const pending = this.beforeCalls.filter((b) => b.command === command);
      this.beforeCalls = this.beforeCalls.filter((b) => b.command !== command);
      for (const before of pending) await before.action();
      const failure = this.takeFailure(command);
      if (failure) throw failure;
      // Lambda says TooManyRequestsException where the others say ThrottlingException.
      if (this.throttledNow()) throw injectedError(service === 'Lambda' ? 'TooManyRequestsException' : 'ThrottlingException');
      if (service === 'ECS' && this.throttling && !this.throttling.take(command)) throw injectedError('ThrottlingException');
      return run(input);
    };
  }

  private describeService(cluster: string | undefined, name: string): Service | undefined {
    const service = this.services.get(`${cluster ?? 'default'}/${name}`);
    if (!service) return undefined;
    this.advance(service);
    const primary = service.deployments.find((d) => d.status === 'PRIMARY');
    return {
      serviceName: service.name,
      serviceArn: `arn:aws:ecs:${REGION}:${ACCOUNT_ID}:service/${service.cluster}/${service.name}`,
      clusterArn: `arn:aws:ecs:${REGION}:${ACCOUNT_ID}:cluster/${service.cluster}`,
      status: 'ACTIVE',
      desiredCount: service.desiredCount,
      runningCount: service.tasks.length,
      taskDefinition: primary?.taskDefinition,
      deploymentConfiguration: this.deploymentConfigurationOf(service),
      ...(service.serviceDeployments[0] ? { currentServiceDeployment: service.serviceDeployments[0].arn } : {}),
      loadBalancers: structuredClone(service.loadBalancers),
      deployments: this.deploymentsView(service),
      events: structuredClone(service.events),
      launchType: service.launchType,
      networkConfiguration: structuredClone(service.networkConfiguration),
    };
  }

  private deploymentConfigurationOf(service: SimulatedService): DeploymentConfiguration {
    const base: DeploymentConfiguration = { deploymentCircuitBreaker: service.circuitBreaker, maximumPercent: 200, minimumHealthyPercent: 100 };
    if (!service.native) return { ...base, strategy: 'ROLLING' };
    const { alarms, ...strategy } = service.native;
    return { ...base, ...structuredClone(strategy), ...(alarms ? { alarms: structuredClone(alarms) } : {}) };
  }

  /** From now on the service deploys with ECS's own strategy (BLUE_GREEN, LINEAR, CANARY) and its bake time. */
  public setDeploymentStrategy(cluster: string, name: string, native: NativeStrategy): void {
    this.service(cluster, name).native = structuredClone(native);
  }

  /** The service's newest service deployment (native strategies). */
  public currentServiceDeployment(cluster: string, name: string): SimulatedServiceDeployment | undefined {
    return this.service(cluster, name).serviceDeployments[0];
  }

  private startServiceDeployment(service: SimulatedService, deployment: SimulatedDeployment, source: string): void {
    this.deploymentCounter += 1;
    const arn = `arn:aws:ecs:${REGION}:${ACCOUNT_ID}:service-deployment/${service.cluster}/${service.name}/${String(this.deploymentCounter).padStart(22, 'a')}`;
    service.serviceDeployments.unshift({ arn, source, target: deployment.taskDefinition ?? '', status: 'PENDING', stage: 'RECONCILE_SERVICE', createdAt: new Date(Date.now()), deployment, hooks: [], stagesReached: ['RECONCILE_SERVICE'] });
  }

  private finishNative(service: SimulatedService, run: SimulatedServiceDeployment, runs: string, at: Date): void {
    const ecsDeployment = run.deployment;
    if (runs !== run.target) {
      const back = this.newDeployment(service, runs);
      service.deployments = [back];
      this.complete(service, back, at);
    } else {
      service.deployments = [ecsDeployment];
      this.complete(service, ecsDeployment, at);
    }
  }

  /** One look at a native deployment: the next lifecycle stage; the bake by the clock; ECS's own rollbacks. */
  private advanceNative(service: SimulatedService, run: SimulatedServiceDeployment): void {
    const native = service.native;
    if (!native) return;
    const now = new Date(Date.now());
    if (run.status === 'ROLLBACK_REQUESTED') {
      run.status = 'ROLLBACK_IN_PROGRESS';
      return;
    }
    if (run.status === 'ROLLBACK_IN_PROGRESS') {
      run.status = 'ROLLBACK_SUCCESSFUL';
      run.stage = 'CLEAN_UP';
      this.finishNative(service, run, run.source, now);
      return;
    }
    if (run.status !== 'PENDING' && run.status !== 'IN_PROGRESS') return;
    run.status = 'IN_PROGRESS';
    const behaviour = this.behaviourOf(run.target);
    if (run.stage === 'SCALE_UP' && behaviour !== 'healthy') {
      // Green never becomes healthy: ECS rolls back by itself with a circuit breaker that rolls back, else it waits.
      if (behaviour === 'crashes' && service.circuitBreaker.enable && service.circuitBreaker.rollback) {
        Object.assign(run, { status: 'ROLLBACK_IN_PROGRESS', statusReason: 'Service deployment rolled back because the circuit breaker threshold was exceeded.', rollback: { reason: 'Circuit breaker threshold exceeded', startedAt: now } });
      }
      return;
    }
    if (run.stage === 'BAKE_TIME') {
      const triggered = native.alarms?.enable ? native.alarms.alarmNames.filter((name) => this.cloudWatch.alarms.get(name)?.state === 'ALARM') : [];
      if (triggered.length > 0 && native.alarms?.rollback) {
        Object.assign(run, { status: 'ROLLBACK_IN_PROGRESS', statusReason: `Service deployment rolled back because CloudWatch alarms were triggered: ${triggered.join(', ')}.`, triggeredAlarmNames: triggered, rollback: { reason: 'CloudWatch alarm triggered', startedAt: now } });
        return;
      }
      if (now.getTime() < (run.bakeStartedAt?.getTime() ?? 0) + this.nativeBakeSeconds(native) * 1000) return;
    }
    // A PAUSE hook at this stage: ECS waits until ContinueServiceDeployment.
    if ((native.lifecycleHooks ?? []).some((hook) => hook.lifecycleStages.some((stage) => stage === run.stage))) {
      const hook = run.hooks.find((candidate) => candidate.stage === run.stage);
      if (!hook) run.hooks.push({ hookId: `hook-${run.stage.toLowerCase()}-${run.hooks.length + 1}`, stage: run.stage, status: 'AWAITING_ACTION' });
      if (hook?.status !== 'SUCCEEDED') return;
    }
    const next = NATIVE_STAGES[NATIVE_STAGES.indexOf(run.stage) + 1];
    if (!next) {
      run.status = 'SUCCESSFUL';
      this.finishNative(service, run, run.target, now);
      return;
    }
    run.stage = next;
    run.stagesReached.push(next);
    if (next === 'BAKE_TIME') run.bakeStartedAt = now;
  }

  /** How long production traffic shifts and bakes: the linear or canary steps' bakes, then bakeTimeInMinutes. */
  private nativeBakeSeconds(native: NativeStrategy): number {
    const steps = native.linearConfiguration ? Math.ceil(100 / native.linearConfiguration.stepPercent) - 1 : 0;
    const stepBake = (native.linearConfiguration?.stepBakeTimeInMinutes ?? 0) * steps + (native.canaryConfiguration?.canaryBakeTimeInMinutes ?? 0);
    return (stepBake + native.bakeTimeInMinutes) * 60;
  }

  private serviceDeploymentView(run: SimulatedServiceDeployment, service: SimulatedService): ServiceDeployment {
    return {
      serviceDeploymentArn: run.arn,
      serviceArn: `arn:aws:ecs:${REGION}:${ACCOUNT_ID}:service/${service.cluster}/${service.name}`,
      clusterArn: `arn:aws:ecs:${REGION}:${ACCOUNT_ID}:cluster/${service.cluster}`,
      createdAt: run.createdAt,
      status: run.status,
      lifecycleStage: run.stage,
      lifecycleHookDetails: run.hooks.filter((hook) => hook.stage === run.stage).map((hook) => ({ hookId: hook.hookId, targetType: 'PAUSE', status: hook.status })),
      sourceServiceRevisions: [{ arn: `${run.arn}/source`, requestedTaskCount: run.status === 'SUCCESSFUL' ? 0 : service.desiredCount }],
      targetServiceRevision: { arn: `${run.arn}/target`, requestedTaskCount: service.desiredCount, runningTaskCount: run.status === 'SUCCESSFUL' ? service.desiredCount : 0, pendingTaskCount: 0 },
      ...(run.statusReason ? { statusReason: run.statusReason } : {}),
      ...(run.rollback ? { rollback: { reason: run.rollback.reason, startedAt: run.rollback.startedAt } } : {}),
      ...(service.native?.alarms ? { alarms: { status: run.triggeredAlarmNames ? 'TRIGGERED' : 'MONITORING', alarmNames: service.native.alarms.alarmNames, triggeredAlarmNames: run.triggeredAlarmNames ?? [] } } : {}),
      deploymentConfiguration: this.deploymentConfigurationOf(service),
    };
  }

  private deploymentsView(service: SimulatedService): EcsDeployment[] {
    return service.deployments.map(({ ticks: _ticks, drainingBegun: _draining, ...d }) => ({ ...d }));
  }

  private install(): void {
    const [ecsMock, sfnMock, eventsMock, elbMock] = this.mocks;

    elbMock.on(DescribeTargetGroupAttributesCommand).callsFake(
      this.handle('ElasticLoadBalancing', 'DescribeTargetGroupAttributes', (input: { TargetGroupArn?: string }) => {
        const group = this.targetGroups.get(input.TargetGroupArn ?? '');
        if (!group) throw new TargetGroupNotFoundException({ message: `One or more target groups not found`, $metadata: { httpStatusCode: 400 } });
        return {
          Attributes: [
            { Key: 'deregistration_delay.timeout_seconds', Value: String(group.deregistrationDelaySeconds) },
            { Key: 'stickiness.enabled', Value: 'false' },
            { Key: 'stickiness.type', Value: 'lb_cookie' },
            { Key: 'load_balancing.algorithm.type', Value: 'round_robin' },
            { Key: 'slow_start.duration_seconds', Value: '0' },
          ],
        };
      }),
    );

    ecsMock.on(DescribeServicesCommand).callsFake(
      this.handle('ECS', 'DescribeServices', (input: { cluster?: string; services?: string[] }) => {
        const names = input.services ?? [];
        const found = names.map((name) => this.describeService(input.cluster, name)).filter((s): s is Service => s !== undefined);
        const failures = names.filter((name) => !this.services.has(`${input.cluster ?? 'default'}/${name}`)).map((name) => ({ arn: name, reason: 'MISSING' }));
        return { services: found, failures };
      }),
    );

    ecsMock.on(DescribeTaskDefinitionCommand).callsFake(
      this.handle('ECS', 'DescribeTaskDefinition', (input: { taskDefinition?: string; include?: string[] }) => {
        const wanted = input.taskDefinition ?? '';
        const matches = [...this.taskDefinitions.values()].filter(
          ({ taskDefinition }) =>
            taskDefinition.taskDefinitionArn === wanted ||
            `${taskDefinition.family}:${taskDefinition.revision}` === wanted ||
            (taskDefinition.family === wanted && taskDefinition.status === 'ACTIVE'),
        );
        const latest = matches.sort((a, b) => (b.taskDefinition.revision ?? 0) - (a.taskDefinition.revision ?? 0))[0];
        if (!latest) throw new ClientException({ message: 'Unable to describe task definition.', $metadata: { httpStatusCode: 400 } });
        return { taskDefinition: structuredClone(latest.taskDefinition), tags: input.include?.includes('TAGS') ? structuredClone(latest.tags) : undefined };
      }),
    );

    ecsMock.on(RegisterTaskDefinitionCommand).callsFake(
      this.handle('ECS', 'RegisterTaskDefinition', (input: RegisterTaskDefinitionCommandInput) => {
        const taskDefinition = this.registerTaskDefinition(structuredClone(input));
        return { taskDefinition, tags: input.tags };
      }),
    );

    ecsMock.on(DeregisterTaskDefinitionCommand).callsFake(
      this.handle('ECS', 'DeregisterTaskDefinition', (input: { taskDefinition?: string }) => {
        const entry = this.taskDefinitions.get(input.taskDefinition ?? '');
        if (!entry) throw new ClientException({ message: 'The specified task definition does not exist.', $metadata: { httpStatusCode: 400 } });
        entry.taskDefinition.status = 'INACTIVE';
        entry.taskDefinition.deregisteredAt = new Date();
        return { taskDefinition: entry.taskDefinition };
      }),
    );

    ecsMock.on(UpdateServiceCommand).callsFake(
      this.handle('ECS', 'UpdateService', (input: { cluster?: string; service?: string; taskDefinition?: string; forceNewDeployment?: boolean }) => {
        const service = this.services.get(`${input.cluster ?? 'default'}/${input.service ?? ''}`);
        if (!service) throw new ClientException({ message: 'Service not found.', $metadata: { httpStatusCode: 400 } });
        const entry = this.taskDefinitions.get(input.taskDefinition ?? '');
        if (!entry || entry.taskDefinition.status !== 'ACTIVE') {
          throw new ClientException({ message: `TaskDefinition is inactive or missing: ${input.taskDefinition}`, $metadata: { httpStatusCode: 400 } });
        }
        const view = () => ({
          service: {
            deploymentConfiguration: this.deploymentConfigurationOf(service),
            ...(service.serviceDeployments[0] ? { currentServiceDeployment: service.serviceDeployments[0].arn } : {}),
            serviceName: service.name,
            taskDefinition: service.deployments[0]?.taskDefinition,
            desiredCount: service.desiredCount,
            loadBalancers: structuredClone(service.loadBalancers),
            deployments: this.deploymentsView(service),
            events: structuredClone(service.events),
          },
        });
        // As ECS: nothing changed and nothing forced, no new deployment (UpdateService, forceNewDeployment).
        const primary = service.deployments.find((d) => d.status === 'PRIMARY');
        if (!input.forceNewDeployment && primary?.taskDefinition === entry.taskDefinition.taskDefinitionArn) return view();
        for (const d of service.deployments) d.status = 'ACTIVE';
        const deployment = this.newDeployment(service, entry.taskDefinition.taskDefinitionArn ?? '');
        service.deployments = [deployment, ...service.deployments];
        if (service.native) this.startServiceDeployment(service, deployment, primary?.taskDefinition ?? '');
        return view();
      }),
    );

    ecsMock.on(DescribeServiceDeploymentsCommand).callsFake(
      this.handle('ECS', 'DescribeServiceDeployments', (input: { serviceDeploymentArns?: string[] }) => {
        const found = [...this.services.values()].flatMap((service) => service.serviceDeployments.filter((run) => input.serviceDeploymentArns?.includes(run.arn)).map((run) => ({ service, run })));
        for (const { service, run } of found) this.advanceNative(service, run);
        return {
          serviceDeployments: found.map(({ service, run }) => this.serviceDeploymentView(run, service)),
          failures: (input.serviceDeploymentArns ?? []).filter((arn) => !found.some(({ run }) => run.arn === arn)).map((arn) => ({ arn, reason: 'MISSING' })),
        };
      }),
    );

    ecsMock.on(ContinueServiceDeploymentCommand).callsFake(
      this.handle('ECS', 'ContinueServiceDeployment', (input: { serviceDeploymentArn?: string; hookId?: string; action?: string }) => {
        const run = [...this.services.values()].flatMap((service) => service.serviceDeployments).find((candidate) => candidate.arn === input.serviceDeploymentArn);
        const hook = run?.hooks.find((candidate) => candidate.hookId === input.hookId && candidate.status === 'AWAITING_ACTION');
        if (!run || !hook) throw Object.assign(new ClientException({ message: 'The lifecycle hook is not awaiting an action.', $metadata: { httpStatusCode: 400 } }), { name: 'ConflictException' });
        if (input.action === 'ROLLBACK') Object.assign(run, { status: 'ROLLBACK_REQUESTED', statusReason: 'Rolled back by ContinueServiceDeployment.', rollback: { reason: 'ContinueServiceDeployment ROLLBACK', startedAt: new Date(Date.now()) } });
        else hook.status = 'SUCCEEDED';
        return { serviceDeploymentArn: run.arn };
      }),
    );

    ecsMock.on(StopServiceDeploymentCommand).callsFake(
      this.handle('ECS', 'StopServiceDeployment', (input: { serviceDeploymentArn?: string; stopType?: string }) => {
        const run = [...this.services.values()].flatMap((service) => service.serviceDeployments).find((candidate) => candidate.arn === input.serviceDeploymentArn);
        if (!run) throw new ClientException({ message: 'The service deployment does not exist.', $metadata: { httpStatusCode: 400 } });
        // As ECS: only a deployment still in progress can be stopped (StopServiceDeployment, ConflictException).
        if (run.status === 'IN_PROGRESS' || run.status === 'PENDING') {
          Object.assign(run, { status: input.stopType === 'ABORT' ? 'STOP_REQUESTED' : 'ROLLBACK_REQUESTED', statusReason: 'Service deployment rolled back by StopServiceDeployment.', rollback: { reason: 'StopServiceDeployment', startedAt: new Date() } });
        } else if (!run.status?.startsWith('ROLLBACK')) {
          throw Object.assign(new ClientException({ message: `The service deployment is ${run.status} and cannot be stopped.`, $metadata: { httpStatusCode: 400 } }), { name: 'ConflictException' });
        }
        return { serviceDeploymentArn: run.arn };
      }),
    );

    ecsMock.on(ListTasksCommand).callsFake(
      this.handle('ECS', 'ListTasks', (input: { cluster?: string; serviceName?: string }) => {
        const service = this.services.get(`${input.cluster ?? 'default'}/${input.serviceName ?? ''}`);
        return { taskArns: (service?.tasks ?? []).map((t) => t.taskArn ?? '') };
      }),
    );

    ecsMock.on(DescribeTasksCommand).callsFake(
      this.handle('ECS', 'DescribeTasks', (input: { cluster?: string; tasks?: string[] }) => {
        for (const run of this.oneOffTasks.values()) if (input.tasks?.includes(run.task.taskArn ?? '')) this.advanceOneOffTask(run);
        const all = [...[...this.services.values()].flatMap((s) => s.tasks), ...[...this.oneOffTasks.values()].map((run) => run.task)];
        return { tasks: structuredClone(all.filter((t) => input.tasks?.includes(t.taskArn ?? ''))), failures: [] };
      }),
    );

    ecsMock.on(RunTaskCommand).callsFake(
      this.handle('ECS', 'RunTask', (input: RunTaskCommandInput) => {
        // As ECS: the same clientToken answers with the task it started (RunTask, clientToken).
        const existing = input.clientToken ? this.oneOffTasks.get(input.clientToken) : undefined;
        if (existing) return { tasks: [structuredClone(existing.task)], failures: [] };
        const entry = this.taskDefinitions.get(input.taskDefinition ?? '');
        if (!entry || entry.taskDefinition.status !== 'ACTIVE') throw new ClientException({ message: `TaskDefinition is inactive or missing: ${input.taskDefinition}`, $metadata: { httpStatusCode: 400 } });
        const override = input.overrides?.containerOverrides?.[0];
        const image = entry.taskDefinition.containerDefinitions?.find((c) => c.name === override?.name)?.image ?? '';
        const behaviour = this.imageBehaviour.get(parseImageReference(image).digest ?? '') ?? 'healthy';
        const task: Task = {
          taskArn: `arn:aws:ecs:${REGION}:${ACCOUNT_ID}:task/${input.cluster ?? 'default'}/0ff${String(this.oneOffTasks.size + 1).padStart(29, '0')}`,
          taskDefinitionArn: entry.taskDefinition.taskDefinitionArn,
          lastStatus: 'PROVISIONING',
          startedBy: input.startedBy,
          overrides: structuredClone(input.overrides),
          containers: (entry.taskDefinition.containerDefinitions ?? []).map((c) => ({ name: c.name, image: c.image, lastStatus: 'PENDING' })),
        };
        const run = { task, behaviour, input: structuredClone(input), looks: 0 };
        this.oneOffTasks.set(input.clientToken ?? task.taskArn ?? '', run);
        return { tasks: [structuredClone(task)], failures: [] };
      }),
    );

    ecsMock.on(StopTaskCommand).callsFake(
      this.handle('ECS', 'StopTask', (input: { cluster?: string; task?: string; reason?: string }) => {
        const run = [...this.oneOffTasks.values()].find((r) => r.task.taskArn === input.task);
        if (!run) throw new ClientException({ message: 'The referenced task was not found.', $metadata: { httpStatusCode: 400 } });
        run.task.lastStatus = 'STOPPED';
        run.task.stoppedReason = input.reason ?? 'Task stopped by user';
        return { task: structuredClone(run.task) };
      }),
    );

    sfnMock.on(StartExecutionCommand).callsFake(
      this.handle('StepFunctions', 'StartExecution', (input: { stateMachineArn?: string; name?: string; input?: string }) => {
        const name = input.name ?? `execution-${this.executions.size + 1}`;
        const existing = this.executions.get(name);
        if (existing) {
          if (existing.status === 'RUNNING' && existing.input === input.input) return { executionArn: existing.arn, startDate: new Date() };
          throw new ExecutionAlreadyExists({ message: `Execution Already Exists: '${existing.arn}'`, $metadata: { httpStatusCode: 400 } });
        }
        const arn = `arn:aws:states:${REGION}:${ACCOUNT_ID}:execution:ecr-deployer-deploy:${name}`;
        this.executions.set(name, { name, arn, input: input.input ?? '{}', status: 'RUNNING' });
        this.stepFunctions.started(name);
        return { executionArn: arn, startDate: new Date() };
      }),
    );

    eventsMock.on(PutEventsCommand).callsFake(
      this.handle('EventBridge', 'PutEvents', (input: { Entries?: { Detail?: string }[] }) => {
        for (const entry of input.Entries ?? []) this.events.push(JSON.parse(entry.Detail ?? '{}') as DeploymentEventDetail);
        return { FailedEntryCount: 0, Entries: (input.Entries ?? []).map((_, i) => ({ EventId: `event-${this.events.length + i}` })) };
      }),
    );
  }
}

export { SimulatedAwsAccount, digestOf };
export type { ImageBehaviour, SimulatedService, SimulatedExecution, SimulatedTargetGroup, RolloutTimeline, NativeStrategy, SimulatedServiceDeployment };
