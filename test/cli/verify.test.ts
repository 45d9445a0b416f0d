import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { BatchGetImageCommand, DescribeImagesCommand, DescribeRepositoriesCommand, ECRClient, GetDownloadUrlForLayerCommand, RepositoryNotFoundException } from '@aws-sdk/client-ecr';
import { DescribeServicesCommand, DescribeTaskDefinitionCommand, ECSClient } from '@aws-sdk/client-ecs';
import { GetAliasCommand, GetFunctionCommand, LambdaClient, ResourceNotFoundException as LambdaNotFound } from '@aws-sdk/client-lambda';
import { DescribeSecretCommand, GetSecretValueCommand, ResourceNotFoundException, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { DescribeParametersCommand, GetParameterCommand, SSMClient } from '@aws-sdk/client-ssm';
import { mockClient } from 'aws-sdk-client-mock';
import { runCli } from './support';

/**
 * `verify <target>`: read-only checks against AWS (mocked) of what a deployment will
 * need. A secret's or parameter's existence is checked, its value never read.
 */

const ecrMock = mockClient(ECRClient);
const ecsMock = mockClient(ECSClient);
const lambdaMock = mockClient(LambdaClient);
const secretsMock = mockClient(SecretsManagerClient);
const ssmMock = mockClient(SSMClient);

const ACCOUNT = '123456789012';
const SECRET = `arn:aws:secretsmanager:us-east-1:${ACCOUNT}:secret:backend/db-AbCdEf`;
const env = { AWS_REGION: 'us-east-1' };
const credentials = { accessKeyId: 'test', secretAccessKey: 'test' };

const file = join(mkdtempSync(join(tmpdir(), 'ecr-deployer-verify-')), 'deployments.yml');
writeFileSync(
  file,
  JSON.stringify({
    targets: [
      { name: 'api', repository: 'acme/api', tags: ['v*'], ecs: { cluster: 'prod', service: 'api', containers: ['api'], passRoles: ['ecsTaskExecutionRole'] } },
      { name: 'inference', repository: 'ml-inference', lambda: { function: 'ml-inference', alias: 'live' } },
      { name: 'api-green', repository: 'acme/api', tags: ['v*'], ecs: { cluster: 'prod', service: 'api-green', containers: ['api'], passRoles: ['ecsTaskExecutionRole'] }, smokeTests: [{ http: { url: 'http://10.0.0.8:8080/health', stage: 'test-traffic' } }] },
    ],
  }),
);

beforeEach(() => {
  for (const mock of [ecrMock, ecsMock, lambdaMock, secretsMock, ssmMock]) mock.reset();
  ecrMock.on(DescribeRepositoriesCommand).resolves({ repositories: [{ repositoryName: 'acme/api' }] });
  ecrMock.on(DescribeImagesCommand).resolves({ imageDetails: [] });
  ecsMock.on(DescribeServicesCommand).resolves({ services: [{ serviceName: 'api', status: 'ACTIVE', taskDefinition: `arn:aws:ecs:us-east-1:${ACCOUNT}:task-definition/api:4` }] });
});

function taskDefinitionWith(roles: { execution: string; task?: string }) {
  ecsMock.on(DescribeTaskDefinitionCommand).resolves({
    taskDefinition: {
      family: 'api',
      executionRoleArn: `arn:aws:iam::${ACCOUNT}:role/${roles.execution}`,
      ...(roles.task ? { taskRoleArn: `arn:aws:iam::${ACCOUNT}:role/${roles.task}` } : {}),
      containerDefinitions: [{ name: 'api', image: 'x', secrets: [{ name: 'DB', valueFrom: `${SECRET}:password::` }, { name: 'FLAG', valueFrom: `arn:aws:ssm:us-east-1:${ACCOUNT}:parameter/api/flag` }] }],
    },
  });
}

it('says a service is ready when everything a deployment needs is there, exit code 0', async () => {
  taskDefinitionWith({ execution: 'ecsTaskExecutionRole' });
  secretsMock.on(DescribeSecretCommand).resolves({ ARN: SECRET });
  ssmMock.on(DescribeParametersCommand).resolves({ Parameters: [{ Name: '/api/flag' }] });

  const result = await runCli(['-f', file, 'verify', 'api'], { env, credentials });

  expect(result.code).toBe(0);
  expect(result.stdout).toContain('✔ ECS service prod/api exists, running api:4');
  expect(result.stdout).toContain(`✔ secret ${SECRET} exists (described, not read)`);
  expect(result.stdout).toContain('✔ parameter /api/flag exists (described, not read)');
  expect(result.stdout).toContain('– image platform not checked: task definition api:4 declares no runtimePlatform: the EC2 instances decide');
  expect(result.stdout).toContain('ready: 6 check(s) passed, 1 not checked.');
  expect(secretsMock).toHaveReceivedCommandWith(DescribeSecretCommand, { SecretId: SECRET });
  expect(secretsMock).not.toHaveReceivedCommand(GetSecretValueCommand);
  expect(ssmMock).not.toHaveReceivedCommand(GetParameterCommand);
});

it('names each problem and what to do about it, exit code 1', async () => {
  ecrMock.on(DescribeRepositoriesCommand).rejects(new RepositoryNotFoundException({ message: 'no', $metadata: {} }));
  taskDefinitionWith({ execution: 'ecsTaskExecutionRole', task: 'service-role/api-task' });
  secretsMock.on(DescribeSecretCommand).rejects(new ResourceNotFoundException({ message: 'no', $metadata: {} }));
  ssmMock.on(DescribeParametersCommand).resolves({ Parameters: [] });

  const result = await runCli(['-f', file, 'verify', 'api'], { env, credentials });

  expect(result.code).toBe(1);
  expect(result.stdout).toContain('✘ ECR repository acme/api does not exist: create it, or fix repository');
  expect(result.stdout).toContain('✘ role service-role/api-task is not in ecs.passRoles: add it to ecs.passRoles in deployments.yml');
  expect(result.stdout).toContain(`✘ ${SECRET}:password::: does not exist`);
  expect(result.stdout).toContain('✘ parameter /api/flag does not exist');
  expect(result.stdout).toContain('4 of 7 check(s) failed.');
});

it('says when test-traffic smoke tests have no PAUSE hook to run at, and when they have', async () => {
  taskDefinitionWith({ execution: 'ecsTaskExecutionRole' });
  secretsMock.on(DescribeSecretCommand).resolves({ ARN: SECRET });
  ssmMock.on(DescribeParametersCommand).resolves({ Parameters: [{ Name: '/api/flag' }] });

  const service = { serviceName: 'api-green', status: 'ACTIVE', taskDefinition: `arn:aws:ecs:us-east-1:${ACCOUNT}:task-definition/api:4` };
  ecsMock.on(DescribeServicesCommand).resolves({ services: [service] });
  const rolling = await runCli(['-f', file, 'verify', 'api-green'], { env, credentials });

  expect(rolling.code).toBe(1);
  expect(rolling.stdout).toContain('✘ test-traffic smoke tests have no PAUSE hook to run at: smoke tests with stage: test-traffic need ECS to hold the deployment at POST_TEST_TRAFFIC_SHIFT, but api-green deploys with ROLLING');

  ecsMock.on(DescribeServicesCommand).resolves({
    services: [
      {
        ...service,
        deploymentConfiguration: { strategy: 'BLUE_GREEN', bakeTimeInMinutes: 10, lifecycleHooks: [{ targetType: 'PAUSE', lifecycleStages: ['POST_TEST_TRAFFIC_SHIFT'] }] },
      },
    ],
  });
  const paused = await runCli(['-f', file, 'verify', 'api-green'], { env, credentials });

  expect(paused.stdout).toContain('✔ api-green pauses at POST_TEST_TRAFFIC_SHIFT for the test-traffic smoke tests');
});

it('checks a Lambda target is an image function with its alias', async () => {
  ecrMock.on(DescribeRepositoriesCommand).resolves({ repositories: [{ repositoryName: 'ml-inference' }] });
  lambdaMock.on(GetFunctionCommand).resolves({ Configuration: { FunctionName: 'ml-inference', PackageType: 'Image' } });
  lambdaMock.on(GetAliasCommand).rejects(new LambdaNotFound({ message: 'Alias not found', $metadata: {} }));

  const result = await runCli(['-f', file, 'verify', 'inference'], { env, credentials });

  expect(result.code).toBe(1);
  expect(result.stdout).toContain('✔ function ml-inference is a container-image function');
  expect(result.stdout).toContain('✘ alias live does not exist: create it');
});

it('is refused with --local: there is nothing real to check', async () => {
  const result = await runCli(['--local', 'verify', 'stream-ml-service'], { env, credentials });

  expect(result.code).toBe(1);
  expect(result.stderr).toContain('verify checks your AWS account');
});

describe("the image's platform against what the target runs on", () => {
  const INDEX = 'application/vnd.oci.image.index.v1+json';
  const MANIFEST = 'application/vnd.oci.image.manifest.v1+json';
  const digest = (n: number) => `sha256:${String(n).repeat(64).slice(0, 64)}`;
  let server: Server;
  let configUrl: string;
  let config: object;

  beforeAll(async () => {
    server = createServer((_request, response) => response.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(config)));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    configUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/config`;
  });
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

  function armTask() {
    ecsMock.on(DescribeTaskDefinitionCommand).resolves({
      taskDefinition: { family: 'api', requiresCompatibilities: ['FARGATE'], runtimePlatform: { cpuArchitecture: 'ARM64', operatingSystemFamily: 'LINUX' }, executionRoleArn: `arn:aws:iam::${ACCOUNT}:role/ecsTaskExecutionRole`, containerDefinitions: [{ name: 'api', image: 'x' }] },
    });
  }

  function images(...details: { tags: string[]; pushed: number; digest: string }[]) {
    ecrMock.on(DescribeImagesCommand).resolves({ imageDetails: details.map((d) => ({ imageTags: d.tags, imagePushedAt: new Date(d.pushed * 1000), imageDigest: d.digest })) });
  }

  function index(...platforms: [string, string][]) {
    return { imageManifest: JSON.stringify({ mediaType: INDEX, manifests: platforms.map(([os, architecture]) => ({ digest: digest(9), platform: { os, architecture } })) }), imageManifestMediaType: INDEX };
  }

  it('passes an image index that has the ARM64 platform a Fargate task asks for, ignoring attestations', async () => {
    armTask();
    images({ tags: ['v1.0.0'], pushed: 100, digest: digest(1) }, { tags: ['v1.1.0'], pushed: 200, digest: digest(2) }, { tags: ['scratch'], pushed: 300, digest: digest(3) });
    ecrMock.on(BatchGetImageCommand).resolves({ images: [index(['linux', 'amd64'], ['linux', 'arm64'], ['unknown', 'unknown'])] });

    const result = await runCli(['-f', file, 'verify', 'api'], { env, credentials });

    expect(result.stdout).toContain('✔ image acme/api:v1.1.0 is built for linux/arm64, as task definition api:4 runs');
    // The newest image the target would deploy: v1.1.0, not the newer `scratch` that no glob of the target matches.
    expect(ecrMock).toHaveReceivedCommandWith(BatchGetImageCommand, { repositoryName: 'acme/api', imageIds: [{ imageDigest: digest(2) }] });
    expect(result.code).toBe(0);
  });

  it('fails when a single-platform image was built for amd64 and the task runs ARM64, reading the config blob', async () => {
    armTask();
    images({ tags: ['v2.0.0'], pushed: 100, digest: digest(4) });
    ecrMock.on(BatchGetImageCommand).resolves({ images: [{ imageManifest: JSON.stringify({ mediaType: MANIFEST, config: { digest: digest(5) } }), imageManifestMediaType: MANIFEST }] });
    ecrMock.on(GetDownloadUrlForLayerCommand).resolves({ downloadUrl: configUrl, layerDigest: digest(5) });
    config = { os: 'linux', architecture: 'amd64' };

    const result = await runCli(['-f', file, 'verify', 'api'], { env, credentials });

    expect(result.code).toBe(1);
    expect(result.stdout).toContain('✘ image acme/api:v2.0.0 is built for linux/amd64, but task definition api:4 runs linux/arm64: build it for linux/arm64 (docker buildx build --platform linux/arm64 …), or change its runtimePlatform');
    expect(ecrMock).toHaveReceivedCommandWith(GetDownloadUrlForLayerCommand, { repositoryName: 'acme/api', layerDigest: digest(5) });
  });

  it('checks the tag asked for, and fails when it is not in the repository', async () => {
    armTask();
    images({ tags: ['v1.0.0'], pushed: 100, digest: digest(1) });

    const result = await runCli(['-f', file, 'verify', 'api', '--tag', 'v9.9.9'], { env, credentials });

    expect(result.code).toBe(1);
    expect(result.stdout).toContain('✘ tag v9.9.9 is not in acme/api: push it, or name a tag that exists');
  });

  it('refuses an image index for a Lambda function, which runs single-platform images only', async () => {
    ecrMock.on(DescribeRepositoriesCommand).resolves({ repositories: [{ repositoryName: 'ml-inference' }] });
    lambdaMock.on(GetFunctionCommand).resolves({ Configuration: { FunctionName: 'ml-inference', PackageType: 'Image', Architectures: ['arm64'] } });
    lambdaMock.on(GetAliasCommand).resolves({ Name: 'live', FunctionVersion: '3' });
    images({ tags: ['abc1234'], pushed: 100, digest: digest(6) });
    ecrMock.on(BatchGetImageCommand).resolves({ images: [index(['linux', 'arm64'], ['unknown', 'unknown'])] });

    const result = await runCli(['-f', file, 'verify', 'inference'], { env, credentials });

    expect(result.code).toBe(1);
    expect(result.stdout).toContain('✘ image ml-inference:abc1234 is an image index (linux/arm64); Lambda runs single-platform images only: build it for one platform: docker buildx build --platform linux/arm64 --provenance=false …');
  });
});
