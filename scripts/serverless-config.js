'use strict';

/**
 * What serverless.yml derives from deployments.yml:
 *
 *   custom.deployments: ${file(./scripts/serverless-config.js):fromDeploymentsFile}
 *   provider.iam.role.statements: ${file(./scripts/serverless-config.js):iamStatements}
 *   SlackNotifierRole statements: ${file(./scripts/serverless-config.js):notifierIamStatements}
 *   DeployStateMachine DefinitionString: ${file(./scripts/serverless-config.js):deployDefinitionString}
 *
 * deployments.yml is loaded and validated by the project's own code
 * (functions/config/load.ts, through tsx), so `serverless package` fails with the
 * same ConfigError, naming the same fields, as the Lambdas would at run time.
 * Everything else reads custom.deployments, so an invalid file is reported once.
 *
 * ARNs are CloudFormation `Fn::Sub` strings: the partition, region and account come
 * from the stack, so packaging needs no AWS credentials.
 */

const path = require('node:path');
const { require: tsxRequire } = require('tsx/cjs/api');

const SERVICE_DIR = path.resolve(__dirname, '..');
/** The file every function zip carries at its root (package.patterns in serverless.yml). */
const PACKAGED_FILE = path.join(SERVICE_DIR, 'deployments.yml');

/** The framework prints the stack of errors thrown here: keep it to the message. */
function configError(message) {
  const error = new Error(message);
  error.name = 'ConfigError';
  error.stack = `ConfigError: ${message}`;
  return error;
}

/** deployments.yml (or the file DEPLOYMENTS_FILE names), validated, defaults applied. */
function loadValidated() {
  const { loadDeploymentsFile } = tsxRequire('../functions/config/load.ts', __filename);
  const file = process.env.DEPLOYMENTS_FILE ? path.resolve(process.env.DEPLOYMENTS_FILE) : PACKAGED_FILE;
  let config;
  try {
    config = loadDeploymentsFile(file);
  } catch (error) {
    if (error instanceof Error && error.name === 'ConfigError') throw configError(error.message);
    throw error;
  }
  if (file !== PACKAGED_FILE) {
    // The IAM policy would come from one file while the Lambdas read another.
    throw configError(`${file} is valid, but the functions are packaged with ${PACKAGED_FILE}: copy it there and unset DEPLOYMENTS_FILE to package it.`);
  }
  return config;
}

const unique = (values) => [...new Set(values)];
const arn = (service, resource) => ({ 'Fn::Sub': `arn:\${AWS::Partition}:${service}:\${AWS::Region}:\${AWS::AccountId}:${resource}` });

/** IAM role names become role ARNs in this account; ARNs are kept as given. */
const roleArn = (nameOrArn) => (nameOrArn.startsWith('arn:') ? nameOrArn : { 'Fn::Sub': `arn:\${AWS::Partition}:iam::\${AWS::AccountId}:role/${nameOrArn}` });

/** Resolved as custom.deployments. */
function fromDeploymentsFile() {
  const config = loadValidated();
  const { targets } = config;
  return {
    /** ECR repositories whose pushes trigger a deployment (EventBridge rule). */
    repositories: unique(targets.map((target) => target.repository)),
    /** What the deployer may do, by target kind, scoped to the resources deployments.yml names. */
    deployerStatements: [
      // Manual deployments by tag or digest look the image up in the target's repository.
      {
        Sid: 'LookUpImagesOfConfiguredRepositories',
        Effect: 'Allow',
        Action: 'ecr:DescribeImages',
        Resource: unique(targets.map((target) => target.repository)).map((repository) => arn('ecr', `repository/${repository}`)),
      },
      ...ecsStatements(targets.filter((t) => t.ecs)),
      ...batchStatements(targets.filter((t) => t.batch)),
      ...lambdaStatements(targets.filter((t) => t.lambda)),
    ],
    /** Secrets holding Slack webhook URLs and bot tokens (notifications.slack), by store. */
    slackSecrets: slackSecretResources(config),
  };
}

/** ECS targets: their services and clusters; task definitions as far as ECS lets us scope them. */
function ecsStatements(targets) {
  if (targets.length === 0) return [];
  const clusters = unique(targets.map((target) => target.ecs.cluster));
  const passRoles = unique(targets.flatMap((target) => target.ecs.passRoles ?? [])).map(roleArn);
  const taskDefinitions = arn('ecs', 'task-definition/*');
  return [
    {
      Sid: 'DescribeAndUpdateConfiguredServices',
      Effect: 'Allow',
      Action: ['ecs:DescribeServices', 'ecs:UpdateService'],
      Resource: unique(targets.map((target) => `${target.ecs.cluster}/${target.ecs.service}`)).map((id) => arn('ecs', `service/${id}`)),
    },
    {
      Sid: 'ListTasksOfConfiguredClusters',
      Effect: 'Allow',
      Action: 'ecs:ListTasks',
      // "*": ListTasks' only resource type is container-instance, which Fargate tasks lack;
      // the ecs:cluster condition scopes it to the configured clusters.
      Resource: '*',
      Condition: { ArnEquals: { 'ecs:cluster': clusters.map((cluster) => arn('ecs', `cluster/${cluster}`)) } },
    },
    { Sid: 'DescribeTasksOfConfiguredClusters', Effect: 'Allow', Action: 'ecs:DescribeTasks', Resource: clusters.map((cluster) => arn('ecs', `task/${cluster}/*`)) },
    // Scopable (resource type task-definition), but the families are read from the services at
    // run time (deployments.yml does not name them): any family in this account and region.
    { Sid: 'RegisterTaskDefinitionRevisions', Effect: 'Allow', Action: 'ecs:RegisterTaskDefinition', Resource: taskDefinitions },
    {
      Sid: 'TagTaskDefinitionsWhenRegistering',
      Effect: 'Allow',
      Action: 'ecs:TagResource',
      Resource: taskDefinitions,
      Condition: { StringEquals: { 'ecs:CreateAction': 'RegisterTaskDefinition' } },
    },
    {
      Sid: 'ReadAndDeregisterTaskDefinitions',
      Effect: 'Allow',
      Action: ['ecs:DescribeTaskDefinition', 'ecs:DeregisterTaskDefinition'],
      // "*": AWS offers no resource-level permission for DescribeTaskDefinition and
      // DeregisterTaskDefinition (Service Authorization Reference, Amazon ECS: no resource types).
      Resource: '*',
    },
    ...(passRoles.length === 0
      ? []
      : [
          {
            Sid: 'PassConfiguredRolesToEcsTasks',
            Effect: 'Allow',
            Action: 'iam:PassRole',
            Resource: passRoles,
            Condition: { StringEquals: { 'iam:PassedToService': 'ecs-tasks.amazonaws.com' } },
          },
        ]),
  ];
}

/** Batch targets: their job definitions, the queues their test jobs go to, and the test jobs. */
function batchStatements(targets) {
  if (targets.length === 0) return [];
  const names = unique(targets.map((target) => target.batch.jobDefinition));
  const revisions = names.flatMap((name) => [arn('batch', `job-definition/${name}`), arn('batch', `job-definition/${name}:*`)]);
  const queues = unique(targets.flatMap((target) => target.smokeTests.flatMap((test) => (test.batchJob ? [test.batchJob.jobQueue] : []))));
  const passRoles = unique(targets.flatMap((target) => target.batch.passRoles ?? [])).map(roleArn);
  const queueArn = (queue) => (queue.startsWith('arn:') ? queue : arn('batch', `job-queue/${queue}`));
  return [
    {
      Sid: 'ReadJobDefinitionsAndJobs',
      Effect: 'Allow',
      Action: ['batch:DescribeJobDefinitions', 'batch:DescribeJobs', 'batch:ListJobs'],
      // "*": AWS offers no resource-level permission for these (Service Authorization Reference, AWS Batch).
      Resource: '*',
    },
    {
      Sid: 'RegisterAndDeregisterConfiguredJobDefinitions',
      Effect: 'Allow',
      Action: ['batch:RegisterJobDefinition', 'batch:DeregisterJobDefinition', 'batch:TagResource'],
      Resource: revisions,
    },
    ...(queues.length === 0
      ? []
      : [
          { Sid: 'SubmitTestJobsToConfiguredQueues', Effect: 'Allow', Action: 'batch:SubmitJob', Resource: [...revisions, ...queues.map(queueArn)] },
          // The job id is only known once submitted: any job of this account and region.
          { Sid: 'TerminateTestJobsPastTheirDeadline', Effect: 'Allow', Action: 'batch:TerminateJob', Resource: arn('batch', 'job/*') },
        ]),
    ...(passRoles.length === 0 ? [] : [{ Sid: 'PassConfiguredRolesToBatchJobs', Effect: 'Allow', Action: 'iam:PassRole', Resource: passRoles }]),
  ];
}

/** Lambda targets: their functions (and their versions and aliases), and reading their images for Lambda. */
function lambdaStatements(targets) {
  if (targets.length === 0) return [];
  const functionArns = unique(targets.map((target) => target.lambda.function)).flatMap((fn) => {
    const base = fn.startsWith('arn:') ? fn : arn('lambda', `function:${fn}`);
    const qualified = typeof base === 'string' ? `${base}:*` : { 'Fn::Sub': `${base['Fn::Sub']}:*` };
    return [base, qualified];
  });
  return [
    {
      Sid: 'DeployConfiguredFunctions',
      Effect: 'Allow',
      Action: [
        'lambda:GetFunction',
        'lambda:GetFunctionConfiguration',
        'lambda:UpdateFunctionCode',
        'lambda:PublishVersion',
        'lambda:GetAlias',
        'lambda:UpdateAlias',
        'lambda:InvokeFunction',
      ],
      Resource: functionArns,
    },
    {
      // Updating an image function makes Lambda read the image as the caller (Lambda developer guide, container images).
      Sid: 'LetLambdaReadConfiguredRepositories',
      Effect: 'Allow',
      Action: ['ecr:BatchGetImage', 'ecr:GetDownloadUrlForLayer', 'ecr:GetRepositoryPolicy', 'ecr:SetRepositoryPolicy'],
      Resource: unique(targets.map((target) => target.repository)).map((repository) => arn('ecr', `repository/${repository}`)),
    },
  ];
}

/**
 * The IAM resources of every Slack secret deployments.yml names, top level and per
 * target (functions/notifications/secret-reference.ts derives each ARN). Resolving
 * every target's settings also checks them: settings the notifier could not use stop
 * packaging with a ConfigError.
 */
function slackSecretResources(config) {
  const { notificationSecretReferences } = tsxRequire('../functions/notifications/settings.ts', __filename);
  const { parseSecretReference, secretIamResources } = tsxRequire('../functions/notifications/secret-reference.ts', __filename);
  let references;
  try {
    references = notificationSecretReferences(config);
  } catch (error) {
    if (error instanceof Error && error.name === 'ConfigError') throw configError(`deployments.yml is invalid: ${error.message}`);
    throw error;
  }
  const inStore = (store) => references.filter((reference) => parseSecretReference(reference).store === store).flatMap(secretIamResources);
  return { secretsManager: inStore('secretsmanager'), ssm: inStore('ssm') };
}

/**
 * provider.iam.role.statements: custom.iamStatements (every stack) plus the
 * statements of the target kinds deployments.yml uses, scoped to what it names.
 */
async function iamStatements({ resolveConfigurationProperty }) {
  const statements = (await resolveConfigurationProperty(['custom', 'iamStatements'])) ?? [];
  const deployer = (await resolveConfigurationProperty(['custom', 'deployments', 'deployerStatements'])) ?? [];
  return [...deployer, ...statements];
}

/**
 * SlackNotifierRole's statements: custom.notifierIamStatements (its logs and its
 * table), plus reading exactly the Slack secrets deployments.yml names — no secret
 * statement at all when it names none.
 *
 * No kms:Decrypt: secrets encrypted with the AWS managed keys (aws/secretsmanager,
 * aws/ssm) are decrypted by the service on the caller's behalf, which the key policy
 * of those keys allows. A secret under a customer managed key needs that key's policy
 * to allow this role kms:Decrypt (README, "Slack notifications").
 */
async function notifierIamStatements({ resolveConfigurationProperty }) {
  const statements = (await resolveConfigurationProperty(['custom', 'notifierIamStatements'])) ?? [];
  const secrets = (await resolveConfigurationProperty(['custom', 'deployments', 'slackSecrets'])) ?? {};
  const reads = [];
  if (secrets.secretsManager?.length) {
    reads.push({ Sid: 'ReadSlackSecretsInSecretsManager', Effect: 'Allow', Action: 'secretsmanager:GetSecretValue', Resource: secrets.secretsManager });
  }
  if (secrets.ssm?.length) {
    reads.push({ Sid: 'ReadSlackSecretsInSsm', Effect: 'Allow', Action: 'ssm:GetParameter', Resource: secrets.ssm });
  }
  return [...statements, ...reads];
}

/**
 * statemachines/deploy.asl.yaml as deployed (statemachines/definition.ts: anchors resolved,
 * `x-` keys dropped), as a string, for DefinitionString. Not `Definition:
 * ${file(…)}`: the framework deletes every null from resource properties, and
 * `"ResultPath": null` (keep the input, discard the result) would silently become
 * the default `"$"` (replace the state with the result).
 */
function deployDefinitionString() {
  const { deployDefinitionJson } = tsxRequire('../statemachines/definition.ts', __filename);
  return deployDefinitionJson();
}

module.exports = { fromDeploymentsFile, iamStatements, notifierIamStatements, slackSecretResources, deployDefinitionString };
