import { BatchClient, DescribeJobDefinitionsCommand } from '@aws-sdk/client-batch';
import { DescribeServicesCommand, DescribeTaskDefinitionCommand, ECSClient } from '@aws-sdk/client-ecs';
import { GetFunctionCommand, LambdaClient, ListAliasesCommand } from '@aws-sdk/client-lambda';
import { SFNClient } from '@aws-sdk/client-sfn';
import { mockClient } from 'aws-sdk-client-mock';
import { parse } from 'yaml';
import { deploymentsFileSchema } from '../../functions/config/schema';
import { runCli } from './support';

/**
 * `init`: reads a live service, job definition or function (mocked AWS) and prints
 * targets for deployments.yml that validate as they are, with read calls only.
 */

const ecsMock = mockClient(ECSClient);
const batchMock = mockClient(BatchClient);
const lambdaMock = mockClient(LambdaClient);
const sfnMock = mockClient(SFNClient);

const ACCOUNT = '123456789012';
const REGISTRY = `${ACCOUNT}.dkr.ecr.us-east-1.amazonaws.com`;
const credentials = { accessKeyId: 'test', secretAccessKey: 'test' };
const env = { AWS_REGION: 'us-east-1' };

beforeEach(() => {
  ecsMock.reset();
  batchMock.reset();
  lambdaMock.reset();
  sfnMock.reset();
});

/** The printed targets, parsed and validated as deployments.yml is. */
function printedTargets(stdout: string) {
  return deploymentsFileSchema.parse(parse(stdout)).targets;
}

/** Only Describe/Get/List calls were made, to any client. */
function onlyReads(): string[] {
  return [ecsMock, batchMock, lambdaMock, sfnMock].flatMap((mock) => mock.calls().map((call) => (call.args[0] as { constructor: { name: string } }).constructor.name)).filter((name) => !/^(Describe|Get|List)/.test(name));
}

describe('init --cluster --service', () => {
  it('prints one target per repository of the two-container service, with its containers and roles', async () => {
    ecsMock.on(DescribeServicesCommand).resolves({ services: [{ serviceName: 'backend', status: 'ACTIVE', taskDefinition: `arn:aws:ecs:us-east-1:${ACCOUNT}:task-definition/backend:12` }] });
    ecsMock.on(DescribeTaskDefinitionCommand).resolves({
      taskDefinition: {
        family: 'backend',
        executionRoleArn: `arn:aws:iam::${ACCOUNT}:role/ecsTaskExecutionRole`,
        taskRoleArn: `arn:aws:iam::${ACCOUNT}:role/service-role/backend-task`,
        containerDefinitions: [
          { name: 'canvas', image: `${REGISTRY}/team/canvas-service:v3.1.0` },
          { name: 'orchestrator', image: `${REGISTRY}/orchestrator@sha256:${'a'.repeat(64)}` },
          { name: 'proxy', image: 'public.ecr.aws/nginx/nginx:1.27' },
        ],
      },
    });

    const result = await runCli(['init', '--cluster', 'main', '--service', 'backend', '--environment', 'prod'], { env, credentials });

    expect(result.code).toBe(0);
    expect(printedTargets(result.stdout)).toEqual([
      expect.objectContaining({ name: 'canvas-service', repository: 'team/canvas-service', tags: ['v*'], environment: 'prod', ecs: { cluster: 'main', service: 'backend', containers: ['canvas'], passRoles: ['ecsTaskExecutionRole', 'service-role/backend-task'] } }),
      expect.objectContaining({ name: 'orchestrator', repository: 'orchestrator', tags: ['*'], ecs: expect.objectContaining({ containers: ['orchestrator'] }) }),
    ]);
    expect(result.stdout).toContain('# container proxy runs public.ecr.aws/nginx/nginx:1.27, not an image of this account\'s ECR: left alone');
    expect(onlyReads()).toEqual([]);
  });

  it('says so when the service does not exist, exit code 1', async () => {
    ecsMock.on(DescribeServicesCommand).resolves({ services: [], failures: [{ reason: 'MISSING' }] });

    const result = await runCli(['init', '--cluster', 'main', '--service', 'nope'], { env, credentials });

    expect(result.code).toBe(1);
    expect(result.stderr).toContain('no ECS service "nope" in cluster "main" (MISSING)');
  });
});

describe('init --job-definition', () => {
  it('prints the target of the latest ACTIVE revision, its roles to pass', async () => {
    batchMock.on(DescribeJobDefinitionsCommand).resolves({
      jobDefinitions: [1, 3, 2].map((revision) => ({
        jobDefinitionName: 'splitter-dev',
        jobDefinitionArn: `arn:aws:batch:us-east-1:${ACCOUNT}:job-definition/splitter-dev:${revision}`,
        revision,
        status: 'ACTIVE',
        type: 'container',
        containerProperties: { image: `${REGISTRY}/splitter:${revision === 3 ? 'sha-3f9c2e1' : 'old'}`, executionRoleArn: `arn:aws:iam::${ACCOUNT}:role/batch-exec`, jobRoleArn: `arn:aws:iam::${ACCOUNT}:role/splitter-job` },
      })),
    });

    const result = await runCli(['init', '--job-definition', 'splitter-dev', '--environment', 'dev'], { env, credentials });

    expect(result.code).toBe(0);
    expect(printedTargets(result.stdout)).toEqual([expect.objectContaining({ name: 'splitter', repository: 'splitter', tags: ['*'], batch: { jobDefinition: 'splitter-dev', passRoles: ['batch-exec', 'splitter-job'] } })]);
  });
});

describe('init --function', () => {
  it('prints the target with its only alias', async () => {
    lambdaMock.on(GetFunctionCommand).resolves({
      Configuration: { FunctionName: 'ml-inference', FunctionArn: `arn:aws:lambda:us-east-1:${ACCOUNT}:function:ml-inference`, PackageType: 'Image' },
      Code: { ImageUri: `${REGISTRY}/ml-inference:v1.0.0` },
    });
    lambdaMock.on(ListAliasesCommand).resolves({ Aliases: [{ Name: 'live', FunctionVersion: '3' }] });

    const result = await runCli(['init', '--function', 'ml-inference'], { env, credentials });

    expect(result.code).toBe(0);
    expect(printedTargets(result.stdout)).toEqual([expect.objectContaining({ name: 'ml-inference', repository: 'ml-inference', tags: ['v*'], lambda: { function: 'ml-inference', alias: 'live' } })]);
  });

  it('refuses a zip function: ecr-deployer deploys images', async () => {
    lambdaMock.on(GetFunctionCommand).resolves({ Configuration: { FunctionName: 'zip-fn', PackageType: 'Zip' }, Code: {} });

    const result = await runCli(['init', '--function', 'zip-fn'], { env, credentials });

    expect(result.code).toBe(1);
    expect(result.stderr).toContain('is not a container-image function');
  });
});

it('asks for exactly one thing to read, exit code 2', async () => {
  const result = await runCli(['init', '--cluster', 'main'], { env, credentials });

  expect(result.code).toBe(2);
  expect(result.stderr).toContain('--cluster C --service S, --job-definition J or --function F');
});
