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

const { readFileSync } = require('node:fs');
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
  const clusters = unique(targets.map((target) => target.ecs.cluster));
  return {
    /** ECR repositories whose pushes trigger a deployment (EventBridge rule). */
    repositories: unique(targets.map((target) => target.repository)),
    /** ECS services the deployer describes and updates. */
    serviceArns: unique(targets.map((target) => `${target.ecs.cluster}/${target.ecs.service}`)).map((id) => arn('ecs', `service/${id}`)),
    /** Clusters of those services (condition ecs:cluster). */
    clusterArns: clusters.map((cluster) => arn('ecs', `cluster/${cluster}`)),
    /** Tasks in those clusters. */
    taskArns: clusters.map((cluster) => arn('ecs', `task/${cluster}/*`)),
    /** Roles the task definitions may be registered with (ecs.passRoles). */
    passRoleArns: unique(targets.flatMap((target) => target.ecs.passRoles ?? [])).map(roleArn),
    /** Secrets holding Slack webhook URLs and bot tokens (notifications.slack), by store. */
    slackSecrets: slackSecretResources(config),
  };
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
 * provider.iam.role.statements: custom.iamStatements, plus iam:PassRole on the
 * roles listed in ecs.passRoles — no PassRole statement at all when none are.
 */
async function iamStatements({ resolveConfigurationProperty }) {
  const statements = (await resolveConfigurationProperty(['custom', 'iamStatements'])) ?? [];
  const passRoleArns = (await resolveConfigurationProperty(['custom', 'deployments', 'passRoleArns'])) ?? [];
  if (passRoleArns.length === 0) return statements;
  return [
    ...statements,
    {
      Sid: 'PassConfiguredRolesToEcsTasks',
      Effect: 'Allow',
      Action: 'iam:PassRole',
      Resource: passRoleArns,
      Condition: { StringEquals: { 'iam:PassedToService': 'ecs-tasks.amazonaws.com' } },
    },
  ];
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
 * statemachines/deploy.asl.json as a string, for DefinitionString. Not `Definition:
 * ${file(…)}`: the framework deletes every null from resource properties, and
 * `"ResultPath": null` (keep the input, discard the result) would silently become
 * the default `"$"` (replace the state with the result).
 */
function deployDefinitionString() {
  return JSON.stringify(JSON.parse(readFileSync(path.join(SERVICE_DIR, 'statemachines', 'deploy.asl.json'), 'utf8')));
}

module.exports = { fromDeploymentsFile, iamStatements, notifierIamStatements, slackSecretResources, deployDefinitionString };
