import type { RegisterJobDefinitionCommandInput } from '@aws-sdk/client-batch';
import type { RegisterTaskDefinitionCommandInput } from '@aws-sdk/client-ecs';
import { SimulatedAwsAccount } from './simulated-account';

/**
 * The resources of the seed teams, in a simulated account: the ML service on
 * Fargate behind an ALB (one container) and the short-drama backend (two
 * containers with Secrets Manager references, the canvas service behind an ALB).
 */

const STREAM_ML = { cluster: 'emotional-parrot', service: 'stream-ml-service-1', family: 'stream-ml-service', container: 'stream-ml-service' };
const SHORT_DRAMA = { cluster: 'short-drama-cluster', service: 'short-drama-backend', family: 'short-drama-backend' };

/** The digest `stream-ml-service:v1.3.0` resolved to: what the service runs before any push. */
const STREAM_ML_CURRENT_DIGEST = 'sha256:0b1c2d3e4f5a6b7c8d9e0f1a2b3c4d5e6f7a8b9c0d1e2f3a4b5c6d7e8f9a0b1c';

function streamMlTaskDefinition(account: SimulatedAwsAccount): RegisterTaskDefinitionCommandInput {
  return {
    family: STREAM_ML.family,
    networkMode: 'awsvpc',
    requiresCompatibilities: ['FARGATE'],
    cpu: '1024',
    memory: '2048',
    executionRoleArn: `arn:aws:iam::${account.accountId}:role/ecsTaskExecutionRole`,
    runtimePlatform: { cpuArchitecture: 'X86_64', operatingSystemFamily: 'LINUX' },
    containerDefinitions: [
      {
        name: STREAM_ML.container,
        image: `${account.registry}/stream-ml-service@${STREAM_ML_CURRENT_DIGEST}`,
        essential: true,
        portMappings: [{ containerPort: 8000, hostPort: 8000, protocol: 'tcp' }],
        environment: [{ name: 'MODEL_PATH', value: '/models/yolo.pt' }],
        logConfiguration: {
          logDriver: 'awslogs',
          options: { 'awslogs-group': '/ecs/stream-ml-service', 'awslogs-region': account.region, 'awslogs-stream-prefix': 'ecs' },
        },
        healthCheck: { command: ['CMD-SHELL', 'curl -f http://localhost:8000/health || exit 1'], interval: 30, timeout: 5, retries: 3, startPeriod: 60 },
      },
    ],
    tags: [{ key: 'team', value: 'vision' }],
  };
}

function shortDramaTaskDefinition(account: SimulatedAwsAccount): RegisterTaskDefinitionCommandInput {
  const secret = (name: string) => `arn:aws:secretsmanager:${account.region}:${account.accountId}:secret:backend/${name}-AbCdEf`;
  const logs = (prefix: string) => ({
    logDriver: 'awslogs' as const,
    options: { 'awslogs-group': '/ecs/short-drama-backend', 'awslogs-region': account.region, 'awslogs-stream-prefix': prefix },
  });
  return {
    family: SHORT_DRAMA.family,
    networkMode: 'awsvpc',
    requiresCompatibilities: ['FARGATE'],
    cpu: '1024',
    memory: '2048',
    executionRoleArn: `arn:aws:iam::${account.accountId}:role/ecsTaskExecutionRole`,
    taskRoleArn: `arn:aws:iam::${account.accountId}:role/ecsTaskRole`,
    containerDefinitions: [
      {
        name: 'canvas-service',
        image: `${account.registry}/canvas-service:v2.0.3`,
        essential: true,
        portMappings: [{ containerPort: 9000, protocol: 'tcp' }],
        environment: [{ name: 'S3_BUCKET', value: 'short-drama-images' }],
        secrets: [
          { name: 'SUPABASE_URL', valueFrom: secret('supabase-url') },
          { name: 'SUPABASE_KEY', valueFrom: secret('supabase-key') },
        ],
        logConfiguration: logs('canvas-service'),
        healthCheck: { command: ['CMD-SHELL', 'curl -f http://localhost:9000/health || exit 1'], interval: 30, timeout: 5, retries: 3 },
      },
      {
        name: 'orchestrator',
        image: `${account.registry}/orchestrator:v1.8.0`,
        essential: true,
        portMappings: [{ containerPort: 8080, protocol: 'tcp' }],
        environment: [{ name: 'GPU_QUEUE', value: 'gpu_tasks_queue' }],
        secrets: [
          { name: 'AWS_ACCESS_KEY_ID', valueFrom: secret('aws-access-key') },
          { name: 'AWS_SECRET_ACCESS_KEY', valueFrom: secret('aws-secret-key') },
        ],
        logConfiguration: logs('orchestrator'),
        dependsOn: [{ containerName: 'canvas-service', condition: 'START' }],
      },
    ],
  };
}

/** Seed 004's video splitter, one job definition and one repository per environment. */
const SPLITTER_ENVIRONMENTS = {
  dev: { jobDefinition: 'upscaler-splitter-job-dev', repository: 'upscaler-splitter-dev-ecr', jobQueue: 'upscaler-dev-queue' },
  staging: { jobDefinition: 'upscaler-splitter-job-staging', repository: 'upscaler-splitter-staging-ecr', jobQueue: 'upscaler-staging-queue' },
  prod: { jobDefinition: 'upscaler-splitter-job-prod', repository: 'upscaler-splitter-prod-ecr', jobQueue: 'upscaler-prod-queue' },
};
const SPLITTER = SPLITTER_ENVIRONMENTS.dev;

/** The video splitter's job definition as Terraform created it (seed 004), at a given image. */
function splitterJobDefinition(account: SimulatedAwsAccount, image: string, environment: keyof typeof SPLITTER_ENVIRONMENTS = 'dev'): RegisterJobDefinitionCommandInput {
  return {
    jobDefinitionName: SPLITTER_ENVIRONMENTS[environment].jobDefinition,
    type: 'container',
    platformCapabilities: ['FARGATE'],
    parameters: { inputKey: 'uploads/sample.mp4', segmentSeconds: '10' },
    retryStrategy: { attempts: 2, evaluateOnExit: [{ onExitCode: '137', action: 'RETRY' }, { onReason: '*', action: 'EXIT' }] },
    timeout: { attemptDurationSeconds: 3600 },
    propagateTags: true,
    tags: { project: 'upscaler', component: 'splitter' },
    containerProperties: {
      image,
      command: ['python', '-m', 'splitter', '--input', 'Ref::inputKey', '--segment-seconds', 'Ref::segmentSeconds'],
      jobRoleArn: `arn:aws:iam::${account.accountId}:role/upscaler-splitter-job-role`,
      executionRoleArn: `arn:aws:iam::${account.accountId}:role/upscaler-batch-execution-role`,
      resourceRequirements: [
        { type: 'VCPU', value: '2' },
        { type: 'MEMORY', value: '4096' },
      ],
      environment: [{ name: 'OUTPUT_BUCKET', value: `upscaler-${environment}-segments` }],
      secrets: [{ name: 'API_TOKEN', valueFrom: `arn:aws:secretsmanager:${account.region}:${account.accountId}:secret:upscaler/api-token-AbCdEf` }],
      networkConfiguration: { assignPublicIp: 'DISABLED' },
      fargatePlatformConfiguration: { platformVersion: 'LATEST' },
      logConfiguration: { logDriver: 'awslogs', options: { 'awslogs-group': '/aws/batch/job', 'awslogs-stream-prefix': 'splitter' } },
    },
  };
}

/** The ML inference function behind API Gateway (seed 003), a container-image Lambda with alias `live`. */
const ML_INFERENCE = { function: 'ml-inference-function', repository: 'ml-inference', alias: 'live', version: '3' };
const ML_INFERENCE_CURRENT_DIGEST = 'sha256:5e6f7a8b9c0d1e2f3a4b5c6d7e8f9a0b1c2d3e4f5a6b7c8d9e0f1a2b3c4d5e6f';

interface SampleWorldOptions {
  circuitBreaker?: { enable: boolean; rollback: boolean };
}

/**
 * Target groups' deregistration delays: the ML service's ALB kept ELB's default (300 s);
 * the short-drama backend's was lowered to a minute, as ECS's guide suggests for short requests.
 */
const STREAM_ML_DEREGISTRATION_DELAY_SECONDS = 300;
const SHORT_DRAMA_DEREGISTRATION_DELAY_SECONDS = 60;

/** A simulated account holding the seed teams' clusters, services and task definitions. */
function createSampleWorld(options: SampleWorldOptions = {}): SimulatedAwsAccount {
  const account = new SimulatedAwsAccount();
  const streamMl = account.registerTaskDefinition(streamMlTaskDefinition(account));
  account.createService({
    cluster: STREAM_ML.cluster,
    name: STREAM_ML.service,
    taskDefinitionArn: streamMl.taskDefinitionArn ?? '',
    circuitBreaker: options.circuitBreaker,
    loadBalancers: [{ targetGroupArn: account.createTargetGroup('stream-ml-service-tg', STREAM_ML_DEREGISTRATION_DELAY_SECONDS), containerName: STREAM_ML.container, containerPort: 8000 }],
  });
  const shortDrama = account.registerTaskDefinition(shortDramaTaskDefinition(account));
  account.createService({
    cluster: SHORT_DRAMA.cluster,
    name: SHORT_DRAMA.service,
    taskDefinitionArn: shortDrama.taskDefinitionArn ?? '',
    desiredCount: 1,
    loadBalancers: [{ targetGroupArn: account.createTargetGroup('short-drama-canvas-tg', SHORT_DRAMA_DEREGISTRATION_DELAY_SECONDS), containerName: 'canvas-service', containerPort: 9000 }],
  });
  const splitterImage = (tag: string) => `${account.registry}/${SPLITTER.repository}:${tag}`;
  account.batch.registerJobDefinition(splitterJobDefinition(account, splitterImage('3f9c2e1')));
  account.batch.registerJobDefinition(splitterJobDefinition(account, splitterImage('8a1d4b7')));
  for (const environment of ['staging', 'prod'] as const) {
    account.ecr.createRepository(SPLITTER_ENVIRONMENTS[environment].repository);
    account.batch.registerJobDefinition(splitterJobDefinition(account, `${account.registry}/${SPLITTER_ENVIRONMENTS[environment].repository}:8a1d4b7`, environment));
  }
  account.lambda.createFunction({
    name: ML_INFERENCE.function,
    imageUri: `${account.registry}/${ML_INFERENCE.repository}@${ML_INFERENCE_CURRENT_DIGEST}`,
    version: ML_INFERENCE.version,
    alias: ML_INFERENCE.alias,
  });
  return account;
}

export { createSampleWorld, STREAM_ML, SHORT_DRAMA, SPLITTER, SPLITTER_ENVIRONMENTS, ML_INFERENCE, STREAM_ML_CURRENT_DIGEST, ML_INFERENCE_CURRENT_DIGEST };
