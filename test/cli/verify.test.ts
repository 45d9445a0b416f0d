import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DescribeRepositoriesCommand, ECRClient, RepositoryNotFoundException } from '@aws-sdk/client-ecr';
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
      { name: 'api', repository: 'acme/api', ecs: { cluster: 'prod', service: 'api', containers: ['api'], passRoles: ['ecsTaskExecutionRole'] } },
      { name: 'inference', repository: 'ml-inference', lambda: { function: 'ml-inference', alias: 'live' } },
    ],
  }),
);

beforeEach(() => {
  for (const mock of [ecrMock, ecsMock, lambdaMock, secretsMock, ssmMock]) mock.reset();
  ecrMock.on(DescribeRepositoriesCommand).resolves({ repositories: [{ repositoryName: 'acme/api' }] });
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
  expect(result.stdout).toContain('ready: 6 check(s) passed.');
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
