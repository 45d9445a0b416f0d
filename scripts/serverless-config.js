'use strict';

/**
 * What serverless.yml derives from deployments.yml:
 *
 *   custom.deployments: ${file(./scripts/serverless-config.js):fromDeploymentsFile}
 *   each function group's role: ${file(./scripts/serverless-config.js):functionRoles.<RoleName>}
 *   SlackNotifierRole statements: ${file(./scripts/serverless-config.js):notifierIamStatements}
 *   DeployStateMachine DefinitionString: ${file(./scripts/serverless-config.js):deployDefinitionString}
 *   DeploymentsDashboard: ${file(./scripts/serverless-config.js):deploymentsDashboard}
 *
 * deployments.yml is loaded and validated by the project's own code
 * (functions/config/load.ts, through tsx), so `serverless package` fails with the
 * same ConfigError, naming the same fields, as the Lambdas would at run time.
 * Everything else reads custom.deployments, so an invalid file is reported once.
 *
 * ARNs are CloudFormation `Fn::Sub` strings: the partition, region and account come
 * from the stack, so packaging needs no AWS credentials.
 */

const fs = require('node:fs');
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

/** IAM roles (by path and name: deployments.yml names every resource, functions/config/names.ts) in this account. */
const roleArn = (name) => ({ 'Fn::Sub': `arn:\${AWS::Partition}:iam::\${AWS::AccountId}:role/${name}` });

/** Lambda functions named in deployments.yml, with their versions and aliases. */
function functionArns(functions) {
  return unique(functions).flatMap((fn) => [arn('lambda', `function:${fn}`), arn('lambda', `function:${fn}:*`)]);
}

/**
 * What every function reads at run time: deployments.yml validated, with its defaults and
 * its tag globs compiled (functions/config/packaged.ts), written where package.patterns
 * picks it up.
 */
function writeCompiledDeployments(config) {
  const { compileDeployments } = tsxRequire('../functions/config/compile.ts', __filename);
  const { COMPILED_FILE } = tsxRequire('../functions/config/packaged.ts', __filename);
  const file = path.join(SERVICE_DIR, COMPILED_FILE);
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, `${JSON.stringify(compileDeployments(config, 'deployments.yml'))}\n`);
}

/**
 * EventBridge refuses an event pattern over 2048 characters (Amazon EventBridge quotas,
 * "Event pattern size"; adjustable to 4096). What the rest of the trigger rule's pattern
 * takes, with the longest account and region: its source, detail-type, account, region,
 * action-type and result.
 */
const EVENT_PATTERN_LIMIT = 2048;
const PATTERN_WITHOUT_REPOSITORIES = JSON.stringify({
  source: ['aws.ecr'],
  'detail-type': ['ECR Image Action'],
  account: ['123456789012'],
  region: ['ap-southeast-5'],
  detail: { 'action-type': ['PUSH'], result: ['SUCCESS'], 'repository-name': [] },
}).length;

/**
 * The trigger rule's `detail`: successful pushes of exactly the repositories deployments.yml
 * follows; or, when listing them would take the pattern past EventBridge's limit, every
 * successful push of this account and region, which the trigger sorts out itself (a push of a
 * repository no target follows is ignored with a log line).
 */
function triggerDetailPattern(repositories) {
  const detail = { 'action-type': ['PUSH'], result: ['SUCCESS'] };
  const listed = PATTERN_WITHOUT_REPOSITORIES + JSON.stringify(repositories).length - 2;
  return listed <= EVENT_PATTERN_LIMIT ? { ...detail, 'repository-name': repositories } : detail;
}

/** Resolved as custom.deployments. */
function fromDeploymentsFile() {
  const config = loadValidated();
  writeCompiledDeployments(config);
  const { targets } = config;
  const repositories = unique(targets.map((target) => target.repository));
  return {
    /** The `detail` of the trigger rule's event pattern (see triggerDetailPattern). */
    triggerDetailPattern: triggerDetailPattern(repositories),
    /**
     * The statements of the roles whose scope deployments.yml sets, by role (functionRoles
     * adds those every stack has). A target kind deployments.yml does not use adds nothing:
     * its role then writes its logs and may do nothing else.
     */
    roleStatements: {
      DeploymentCoordinatorRole: [
        // Manual deployments by tag or digest look the image up in the target's repository.
        {
          Sid: 'LookUpImagesOfConfiguredRepositories',
          Effect: 'Allow',
          Action: 'ecr:DescribeImages',
          Resource: repositories.map((repository) => arn('ecr', `repository/${repository}`)),
        },
        ...promotionCopyStatements(targets),
        ...scanGateStatements(targets),
      ],
      EcsStepsRole: ecsStatements(targets.filter((t) => t.ecs)),
      BatchStepsRole: batchStatements(targets.filter((t) => t.batch)),
      LambdaStepsRole: lambdaStatements(targets.filter((t) => t.lambda)),
      SmokeTestsRole: smokeTestStatements(config),
      ReconcilerRole: reconcilerStatements(targets),
    },
    /** The reconciler's schedule: as often as the most eager target asks (reconcile.everyMinutes), off when none asks. */
    reconcileSchedule: reconcileSchedule(targets),
    /** Reading the secrets holding Slack webhook URLs and bot tokens (notifications.slack). */
    slackSecretStatements: slackSecretStatements(config),
    /** The targets the dashboard draws a line for, by the dimensions their metrics carry. */
    dashboardTargets: targets.map((target) => ({ name: target.name, environment: target.environment })),
  };
}

/**
 * The scan gate (gates.scanFindings): ECR's findings for the gated targets' repositories. With
 * enhanced scanning, ECR reads them from Amazon Inspector with the caller's permissions (ECR user
 * guide, "IAM permissions required for enhanced scanning": inspector2:ListFindings, resource "*").
 */
function scanGateStatements(targets) {
  const gated = unique(targets.filter((target) => target.gates?.scanFindings).map((target) => target.repository));
  if (gated.length === 0) return [];
  return [
    { Sid: 'ReadScanFindingsOfGatedRepositories', Effect: 'Allow', Action: 'ecr:DescribeImageScanFindings', Resource: gated.map((repository) => arn('ecr', `repository/${repository}`)) },
    { Sid: 'ReadEnhancedScanFindings', Effect: 'Allow', Action: 'inspector2:ListFindings', Resource: '*' },
  ];
}

/**
 * Promotions across repositories (promote.copyImage): read the manifest from the source
 * target's repository, put it into the promoted target's. Only those pairs.
 */
function promotionCopyStatements(targets) {
  const copies = targets.filter((target) => target.promote?.copyImage);
  const byName = new Map(targets.map((target) => [target.name, target]));
  const pairs = copies.map((target) => ({ from: byName.get(target.promote.from)?.repository, to: target.repository })).filter((pair) => pair.from && pair.from !== pair.to);
  if (pairs.length === 0) return [];
  return [
    { Sid: 'ReadPromotedImagesFromSourceRepositories', Effect: 'Allow', Action: 'ecr:BatchGetImage', Resource: unique(pairs.map((pair) => pair.from)).map((repository) => arn('ecr', `repository/${repository}`)) },
    { Sid: 'PutPromotedImagesIntoTargetRepositories', Effect: 'Allow', Action: 'ecr:PutImage', Resource: unique(pairs.map((pair) => pair.to)).map((repository) => arn('ecr', `repository/${repository}`)) },
  ];
}

/**
 * ecs.preDeployTask: a one-off task from the new revision in the target's cluster (RunTask,
 * scoped to those clusters by ecs:cluster), stopped past its timeout (StopTask). Its roles are
 * passed as for the service's own tasks (PassConfiguredRolesToEcsTasks).
 */
function preDeployTaskStatements(targets) {
  const clusters = unique(targets.filter((target) => target.ecs.preDeployTask).map((target) => target.ecs.cluster));
  if (clusters.length === 0) return [];
  return [
    {
      Sid: 'RunPreDeployTasksInConfiguredClusters',
      Effect: 'Allow',
      Action: 'ecs:RunTask',
      Resource: arn('ecs', 'task-definition/*'),
      Condition: { ArnEquals: { 'ecs:cluster': clusters.map((cluster) => arn('ecs', `cluster/${cluster}`)) } },
    },
    { Sid: 'StopPreDeployTasksPastTheirTimeout', Effect: 'Allow', Action: 'ecs:StopTask', Resource: clusters.map((cluster) => arn('ecs', `task/${cluster}/*`)) },
  ];
}

/**
 * Scheduled tasks that follow the deployment (ecs.scheduledTasks, batch.scheduledJobs): read and
 * re-point the targets of the named rules (PutTargets), passing their roles to EventBridge again,
 * only the roles named. `auto` finds the rules by their target (the cluster) and so reaches every
 * rule of the default event bus (README, "Scheduled tasks follow the deployment").
 */
function scheduledTaskStatements(targets, sid) {
  const { rulesOfTarget } = tsxRequire('../functions/scheduled-tasks/model.ts', __filename);
  const configured = targets.map((target) => rulesOfTarget(target)).filter((rules) => rules !== undefined);
  if (configured.length === 0) return [];
  const auto = configured.some((rules) => rules.auto);
  const rules = auto ? [arn('events', 'rule/*')] : unique(configured.flatMap((rules) => rules.rules)).map((rule) => arn('events', `rule/${rule}`));
  return [
    ...(auto ? [{ Sid: `FindRulesOf${sid}ByCluster`, Effect: 'Allow', Action: 'events:ListRuleNamesByTarget', Resource: arn('events', 'rule/*') }] : []),
    { Sid: `RepointTargetsOf${sid}`, Effect: 'Allow', Action: ['events:ListTargetsByRule', 'events:PutTargets'], Resource: rules },
    {
      Sid: `PassRolesOf${sid}ToEventBridge`,
      Effect: 'Allow',
      Action: 'iam:PassRole',
      Resource: unique(configured.flatMap((rules) => rules.eventsRoles)).map(roleArn),
      Condition: { StringEquals: { 'iam:PassedToService': 'events.amazonaws.com' } },
    },
  ];
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
      // "*": ListTasks' only resource type is container-instance (Service Authorization Reference,
      // Amazon Elastic Container Service), which a cluster's listing (and Fargate) does not name;
      // the ECS developer guide's identity-based policy examples scope it with ecs:cluster instead.
      Resource: '*',
      Condition: { ArnEquals: { 'ecs:cluster': clusters.map((cluster) => arn('ecs', `cluster/${cluster}`)) } },
    },
    {
      // Services on ECS's own BLUE_GREEN, LINEAR or CANARY strategy: their service deployments are
      // followed and, to roll back, stopped (the strategy is read from the service at run time).
      Sid: 'FollowAndStopServiceDeploymentsOfConfiguredServices',
      Effect: 'Allow',
      Action: ['ecs:DescribeServiceDeployments', 'ecs:StopServiceDeployment', 'ecs:ContinueServiceDeployment'],
      Resource: unique(targets.map((target) => `${target.ecs.cluster}/${target.ecs.service}`)).map((id) => arn('ecs', `service-deployment/${id}/*`)),
    },
    { Sid: 'DescribeTasksOfConfiguredClusters', Effect: 'Allow', Action: 'ecs:DescribeTasks', Resource: clusters.map((cluster) => arn('ecs', `task/${cluster}/*`)) },
    // Scopable (resource type task-definition), but the families are read from the services at
    // run time (deployments.yml does not name them): any family in this account and region.
    { Sid: 'RegisterTaskDefinitionRevisions', Effect: 'Allow', Action: 'ecs:RegisterTaskDefinition', Resource: taskDefinitions },
    {
      // Registering with tags is authorized as ecs:TagResource too (ECS developer guide, "Grant
      // permission to tag resources on creation"); the condition allows nothing else.
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
      // "*": no resource type for DescribeTaskDefinition or DeregisterTaskDefinition (Service
      // Authorization Reference, Amazon Elastic Container Service).
      Resource: '*',
    },
    {
      // The deregistration delay of the services' target groups, which decides when a rollout is
      // first looked at. "*": Elastic Load Balancing's Describe* actions have no resource type
      // (Service Authorization Reference, AWS Elastic Load Balancing V2), and the target groups
      // are read from the services at run time.
      Sid: 'ReadTargetGroupAttributes',
      Effect: 'Allow',
      Action: 'elasticloadbalancing:DescribeTargetGroupAttributes',
      Resource: '*',
    },
    ...preDeployTaskStatements(targets),
    ...scheduledTaskStatements(targets, 'ScheduledTasks'),
    ...(passRoles.length === 0
      ? []
      : [
          {
            // Registering a task definition passes its task and execution roles to ECS tasks.
            Sid: 'PassConfiguredRolesToEcsTasks',
            Effect: 'Allow',
            Action: 'iam:PassRole',
            Resource: passRoles,
            Condition: { StringEquals: { 'iam:PassedToService': 'ecs-tasks.amazonaws.com' } },
          },
        ]),
  ];
}

/**
 * Who receives a Batch job definition's roles: Batch, which passes them on to Amazon ECS with
 * its service-linked role (AWS Batch user guide, "Using service-linked roles for AWS Batch").
 * The guide does not name the iam:PassedToService value Batch checks for the caller of
 * RegisterJobDefinition, so both principals are allowed, and no other.
 */
const BATCH_PASSED_TO_SERVICES = ['batch.amazonaws.com', 'ecs-tasks.amazonaws.com'];

/** Batch targets: their job definitions, the queues their test jobs go to, and the test jobs. */
function batchStatements(targets) {
  if (targets.length === 0) return [];
  const names = unique(targets.map((target) => target.batch.jobDefinition));
  const revisions = names.flatMap((name) => [arn('batch', `job-definition/${name}`), arn('batch', `job-definition/${name}:*`)]);
  const queues = unique(targets.flatMap((target) => target.smokeTests.flatMap((test) => (test.batchJob ? [test.batchJob.jobQueue] : []))));
  const passRoles = unique(targets.flatMap((target) => target.batch.passRoles ?? [])).map(roleArn);
  const queueArn = (queue) => arn('batch', `job-queue/${queue}`);
  // The job id is only known once submitted: any job of this account and region.
  const jobs = arn('batch', 'job/*');
  return [
    {
      Sid: 'ReadJobDefinitionsAndJobs',
      Effect: 'Allow',
      Action: ['batch:DescribeJobDefinitions', 'batch:DescribeJobs', 'batch:ListJobs'],
      // "*": no resource type for these (Service Authorization Reference, AWS Batch).
      Resource: '*',
    },
    {
      Sid: 'RegisterAndDeregisterConfiguredJobDefinitions',
      Effect: 'Allow',
      // TagResource: a revision is registered with the tags of the one it copies; the Batch docs
      // do not say whether that is authorized as batch:TagResource too (ECS's say so for
      // task definitions), so it is kept, on these job definitions only.
      Action: ['batch:RegisterJobDefinition', 'batch:DeregisterJobDefinition', 'batch:TagResource'],
      Resource: revisions,
    },
    ...(queues.length === 0
      ? []
      : [
          // SubmitJob is authorized on the job it creates, the queue and the job definition
          // (Service Authorization Reference, AWS Batch: job* and job-queue* required).
          { Sid: 'SubmitTestJobsToConfiguredQueues', Effect: 'Allow', Action: 'batch:SubmitJob', Resource: [...revisions, ...queues.map(queueArn), jobs] },
          { Sid: 'TerminateTestJobsPastTheirDeadline', Effect: 'Allow', Action: 'batch:TerminateJob', Resource: jobs },
        ]),
    ...scheduledTaskStatements(targets, 'ScheduledJobs'),
    ...(passRoles.length === 0
      ? []
      : [
          {
            Sid: 'PassConfiguredRolesToBatchJobs',
            Effect: 'Allow',
            Action: 'iam:PassRole',
            Resource: passRoles,
            Condition: { StringEquals: { 'iam:PassedToService': BATCH_PASSED_TO_SERVICES } },
          },
        ]),
  ];
}

/** Lambda targets: their functions (and their versions and aliases), and reading their images for Lambda. */
function lambdaStatements(targets) {
  if (targets.length === 0) return [];
  return [
    {
      Sid: 'DeployConfiguredFunctions',
      Effect: 'Allow',
      Action: ['lambda:GetFunction', 'lambda:GetFunctionConfiguration', 'lambda:UpdateFunctionCode', 'lambda:PublishVersion', 'lambda:GetAlias', 'lambda:UpdateAlias'],
      Resource: functionArns(targets.map((target) => target.lambda.function)),
    },
    {
      // The caller of UpdateFunctionCode needs ecr:BatchGetImage and ecr:GetDownloadUrlForLayer on
      // the image's repository (Lambda developer guide, "Create a Lambda function using a
      // container image", section "Amazon ECR permissions"). Not Get/SetRepositoryPolicy: those
      // only let Lambda add its own statement to a repository policy that lacks it, and a
      // function already running from the repository has that access (README, "IAM: one role
      // per function group").
      Sid: 'LetLambdaReadConfiguredRepositories',
      Effect: 'Allow',
      Action: ['ecr:BatchGetImage', 'ecr:GetDownloadUrlForLayer'],
      Resource: unique(targets.map((target) => target.repository)).map((repository) => arn('ecr', `repository/${repository}`)),
    },
  ];
}

/** Targets the reconciler looks at (reconcile is not false). */
const reconciled = (targets) => targets.filter((target) => target.reconcile !== false);

function reconcileSchedule(targets) {
  const minutes = reconciled(targets).map((target) => target.reconcile.everyMinutes);
  return minutes.length === 0 ? { everyMinutes: 15, state: 'DISABLED' } : { everyMinutes: Math.min(...minutes), state: 'ENABLED' };
}

/**
 * The reconciler reads: the images of the repositories push targets follow, and what each
 * target runs (Describe/Get calls only). What it writes goes through the slot table.
 */
function reconcilerStatements(allTargets) {
  const targets = reconciled(allTargets);
  const repositories = unique(targets.filter((target) => target.trigger !== 'manual').map((target) => target.repository));
  const ecsTargets = targets.filter((target) => target.ecs);
  const batchTargets = targets.filter((target) => target.batch);
  const lambdaTargets = targets.filter((target) => target.lambda);
  return [
    ...(repositories.length === 0 ? [] : [{ Sid: 'ListImagesOfFollowedRepositories', Effect: 'Allow', Action: 'ecr:DescribeImages', Resource: repositories.map((repository) => arn('ecr', `repository/${repository}`)) }]),
    ...(ecsTargets.length === 0
      ? []
      : [
          { Sid: 'ReadConfiguredServices', Effect: 'Allow', Action: 'ecs:DescribeServices', Resource: unique(ecsTargets.map((target) => `${target.ecs.cluster}/${target.ecs.service}`)).map((id) => arn('ecs', `service/${id}`)) },
          // "*": DescribeTaskDefinition has no resource type (Service Authorization Reference, Amazon ECS).
          { Sid: 'ReadTaskDefinitionsThatDiffer', Effect: 'Allow', Action: 'ecs:DescribeTaskDefinition', Resource: '*' },
        ]),
    // "*": DescribeJobDefinitions has no resource type (Service Authorization Reference, AWS Batch).
    ...(batchTargets.length === 0 ? [] : [{ Sid: 'ReadJobDefinitions', Effect: 'Allow', Action: 'batch:DescribeJobDefinitions', Resource: '*' }]),
    ...(lambdaTargets.length === 0 ? [] : [{ Sid: 'ReadConfiguredFunctions', Effect: 'Allow', Action: ['lambda:GetAlias', 'lambda:GetFunction'], Resource: functionArns(lambdaTargets.map((target) => target.lambda.function)) }]),
  ];
}

/**
 * Smoke tests fetch URLs (no AWS call), read the header secrets deployments.yml names
 * (functions/smoke/headers.ts lists them), and invoke the functions of the targets that
 * have `invoke` tests: nothing else.
 */
function smokeTestStatements(config) {
  const { smokeTestSecretReferences } = tsxRequire('../functions/smoke/headers.ts', __filename);
  const invoked = config.targets.filter((target) => target.lambda && target.smokeTests.some((test) => test.invoke));
  const secrets = secretReadStatements(smokeTestSecretReferences(config), 'HeaderSecrets');
  const alarms = unique(config.targets.flatMap((target) => target.alarms?.names ?? []));
  return [
    ...(invoked.length === 0 ? [] : [{ Sid: 'InvokeConfiguredFunctions', Effect: 'Allow', Action: 'lambda:InvokeFunction', Resource: functionArns(invoked.map((target) => target.lambda.function)) }]),
    ...secrets,
    // The targets' alarms (alarms.names): their states and history, before the change and while it bakes.
    ...(alarms.length === 0 ? [] : [{ Sid: 'ReadConfiguredAlarms', Effect: 'Allow', Action: ['cloudwatch:DescribeAlarms', 'cloudwatch:DescribeAlarmHistory'], Resource: alarms.map((name) => arn('cloudwatch', `alarm:${name}`)) }]),
  ];
}

/** Reading exactly these secret references (functions/shared/secret-reference.ts derives each ARN), by store; nothing for none. */
function secretReadStatements(references, what) {
  const { parseSecretReference, secretIamResources } = tsxRequire('../functions/shared/secret-reference.ts', __filename);
  const inStore = (store) => references.filter((reference) => parseSecretReference(reference).store === store).flatMap(secretIamResources);
  const statements = [];
  if (inStore('secretsmanager').length > 0) statements.push({ Sid: `Read${what}InSecretsManager`, Effect: 'Allow', Action: 'secretsmanager:GetSecretValue', Resource: inStore('secretsmanager') });
  if (inStore('ssm').length > 0) statements.push({ Sid: `Read${what}InSsm`, Effect: 'Allow', Action: 'ssm:GetParameter', Resource: inStore('ssm') });
  return statements;
}

/**
 * Reading every Slack secret deployments.yml names, top level and per target. Resolving
 * every target's settings also checks them: settings the notifier could not use stop
 * packaging with a ConfigError.
 */
function slackSecretStatements(config) {
  const { notificationSecretReferences } = tsxRequire('../functions/notifications/settings.ts', __filename);
  try {
    return secretReadStatements(notificationSecretReferences(config), 'SlackSecrets');
  } catch (error) {
    if (error instanceof Error && error.name === 'ConfigError') throw configError(`deployments.yml is invalid: ${error.message}`);
    throw error;
  }
}

/**
 * The roles of the function groups, one role per group (README, "IAM: one role per function
 * group"). Each function names its role in serverless.yml (`role:`); every role lets its
 * functions write their own log groups and, besides, only what these statements say.
 * `fromFile` holds the statements deployments.yml scopes (custom.deployments.roleStatements).
 */
const FUNCTION_ROLES = {
  TriggerRole: {
    policyName: 'trigger',
    statements: ({ slotsTable, stateMachine, defaultBus }) => [
      // GetItem, then a conditional PutItem on the version read (functions/slots/store.ts).
      { Sid: 'ReadAndWriteSlots', Effect: 'Allow', Action: ['dynamodb:GetItem', 'dynamodb:PutItem'], Resource: slotsTable },
      // Built from the name, not Ref: a Ref would make the role depend on the state machine,
      // which depends on the functions, which depend on the role.
      { Sid: 'StartDeployments', Effect: 'Allow', Action: 'states:StartExecution', Resource: stateMachine },
      { Sid: 'PublishSkippedEvents', Effect: 'Allow', Action: 'events:PutEvents', Resource: defaultBus },
      {
        // The trigger's on-failure destination: Lambda sends the record of a push that failed
        // every attempt with the function's execution role (Lambda developer guide, "Capturing
        // records of Lambda asynchronous invocations").
        Sid: 'SendFailedPushesToDeadLetterQueue',
        Effect: 'Allow',
        Action: 'sqs:SendMessage',
        Resource: { 'Fn::GetAtt': ['TriggerDeadLetterQueue', 'Arn'] },
      },
    ],
  },
  // recover-slot and sweep-slots: slots whose deployment ended without releasing them.
  SlotCoordinatorRole: {
    policyName: 'slot-coordinator',
    statements: ({ slotsTable, ledgerTable, stateMachine, executions, defaultBus }) => [
      // Conditional PutItem on the version read (functions/slots/store.ts); Scan for the sweep.
      { Sid: 'ReadAndWriteSlots', Effect: 'Allow', Action: ['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:Scan'], Resource: slotsTable },
      // The ledger entry of a deployment stopped before its release (functions/ledger).
      { Sid: 'RecordDeploymentsInLedger', Effect: 'Allow', Action: 'dynamodb:PutItem', Resource: ledgerTable },
      { Sid: 'StartDeployments', Effect: 'Allow', Action: 'states:StartExecution', Resource: stateMachine },
      // SKIPPED events, and the last event of a deployment that was stopped or timed out.
      { Sid: 'PublishSkippedEvents', Effect: 'Allow', Action: 'events:PutEvents', Resource: defaultBus },
      // The recovery reads how far a stopped deployment got (functions/deployment/stopped.ts).
      { Sid: 'ReadStoppedExecutions', Effect: 'Allow', Action: 'states:GetExecutionHistory', Resource: executions },
    ],
  },
  // reconcile: pushes EventBridge lost, and drift (functions/reconcile).
  ReconcilerRole: {
    policyName: 'reconciler',
    statements: ({ fromFile, slotsTable, stateMachine, defaultBus }) => [
      ...(fromFile.ReconcilerRole ?? []),
      // Conditional PutItem on the version read (functions/slots/store.ts); one Scan per sweep.
      { Sid: 'ReadAndWriteSlots', Effect: 'Allow', Action: ['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:Scan'], Resource: slotsTable },
      { Sid: 'StartDeployments', Effect: 'Allow', Action: 'states:StartExecution', Resource: stateMachine },
      // DRIFT_DETECTED, and SKIPPED for what a recorded push superseded.
      { Sid: 'PublishDriftAndSkippedEvents', Effect: 'Allow', Action: 'events:PutEvents', Resource: defaultBus },
    ],
  },
  // deployment-coordinator: resolving the request, holding and releasing its slot, its events.
  DeploymentCoordinatorRole: {
    policyName: 'deployment-coordinator',
    statements: ({ fromFile, slotsTable, ledgerTable, stateMachine, executions, defaultBus }) => [
      ...(fromFile.DeploymentCoordinatorRole ?? []),
      // Conditional PutItem on the version read (functions/slots/store.ts).
      { Sid: 'ReadAndWriteSlots', Effect: 'Allow', Action: ['dynamodb:GetItem', 'dynamodb:PutItem'], Resource: slotsTable },
      // Each release records the outcome (PutItem); a manual rollback reads the target's entries (Query).
      { Sid: 'RecordAndReadLedger', Effect: 'Allow', Action: ['dynamodb:PutItem', 'dynamodb:Query'], Resource: ledgerTable },
      // Releasing a slot starts the deployment that waits for it.
      { Sid: 'StartDeployments', Effect: 'Allow', Action: 'states:StartExecution', Resource: stateMachine },
      { Sid: 'PublishDeploymentEvents', Effect: 'Allow', Action: 'events:PutEvents', Resource: defaultBus },
      // A manual rollback reads the target's deployment history (functions/deployment/history.ts).
      { Sid: 'ReadDeploymentHistoryForRollback', Effect: 'Allow', Action: 'states:ListExecutions', Resource: stateMachine },
      { Sid: 'ReadDeploymentsForRollback', Effect: 'Allow', Action: 'states:DescribeExecution', Resource: executions },
    ],
  },
  EcsStepsRole: { policyName: 'ecs-steps', statements: ({ fromFile }) => fromFile.EcsStepsRole ?? [] },
  BatchStepsRole: { policyName: 'batch-steps', statements: ({ fromFile }) => fromFile.BatchStepsRole ?? [] },
  LambdaStepsRole: { policyName: 'lambda-steps', statements: ({ fromFile }) => fromFile.LambdaStepsRole ?? [] },
  SmokeTestsRole: { policyName: 'smoke-tests', statements: ({ fromFile }) => fromFile.SmokeTestsRole ?? [] },
};

/** Roles serverless.yml defines itself. */
const OTHER_FUNCTION_ROLES = ['SlackNotifierRole'];

/**
 * Lambda assumes the role. No aws:SourceAccount condition: the Lambda developer guide
 * ("Defining Lambda function permissions with an execution role") documents the trust policy
 * with the service principal alone, and no condition key for it.
 */
const LAMBDA_TRUST_POLICY = {
  Version: '2012-10-17',
  Statement: [{ Effect: 'Allow', Principal: { Service: 'lambda.amazonaws.com' }, Action: 'sts:AssumeRole' }],
};

/** The function keys of serverless.yml by the role they name; a function without a known role stops packaging. */
function functionsByRole(functions) {
  const byRole = new Map();
  for (const [key, fn] of Object.entries(functions)) {
    const role = fn?.role;
    if (typeof role !== 'string') {
      throw configError(`function ${key} names no role: give it the role of its group (role: …Role in serverless.yml; README, "IAM: one role per function group").`);
    }
    if (!(role in FUNCTION_ROLES) && !OTHER_FUNCTION_ROLES.includes(role)) {
      throw configError(`function ${key} names the role ${role}, which is not one of ${[...Object.keys(FUNCTION_ROLES), ...OTHER_FUNCTION_ROLES].join(', ')}.`);
    }
    byRole.set(role, [...(byRole.get(role) ?? []), key]);
  }
  return byRole;
}

/**
 * Resolved as `functionRoles.<RoleName>` in resources: the AWS::IAM::Role of each function
 * group in FUNCTION_ROLES, its policy writing the log groups of exactly the functions that
 * name it, plus the role's statements.
 */
async function functionRoles({ resolveConfigurationProperty, resolveVariable }) {
  const functions = (await resolveConfigurationProperty(['functions'])) ?? {};
  const service = await resolveConfigurationProperty(['service']);
  const stage = await resolveVariable('sls:stage');
  const stateMachineName = await resolveConfigurationProperty(['custom', 'stateMachineName']);
  const fromFile = (await resolveConfigurationProperty(['custom', 'deployments', 'roleStatements'])) ?? {};
  const context = {
    fromFile,
    slotsTable: { 'Fn::GetAtt': ['SlotsTable', 'Arn'] },
    ledgerTable: { 'Fn::GetAtt': ['LedgerTable', 'Arn'] },
    stateMachine: arn('states', `stateMachine:${stateMachineName}`),
    executions: arn('states', `execution:${stateMachineName}:*`),
    defaultBus: arn('events', 'event-bus/default'),
  };
  const members = functionsByRole(functions);
  return Object.fromEntries(
    Object.entries(FUNCTION_ROLES).map(([roleName, role]) => {
      const keys = members.get(roleName) ?? [];
      if (keys.length === 0) throw configError(`no function names the role ${roleName}: remove it from serverless.yml and FUNCTION_ROLES, or give it its functions.`);
      const logGroups = keys.map((key) => functions[key].name ?? `${service}-${stage}-${key}`);
      const writeOwnLogs = {
        Sid: 'WriteOwnLogs',
        Effect: 'Allow',
        Action: ['logs:CreateLogStream', 'logs:PutLogEvents'],
        Resource: logGroups.map((name) => arn('logs', `log-group:/aws/lambda/${name}:*`)),
      };
      return [
        roleName,
        {
          Type: 'AWS::IAM::Role',
          Properties: {
            AssumeRolePolicyDocument: LAMBDA_TRUST_POLICY,
            Policies: [{ PolicyName: role.policyName, PolicyDocument: { Version: '2012-10-17', Statement: [writeOwnLogs, ...role.statements(context)] } }],
          },
        },
      ];
    }),
  );
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
  const reads = (await resolveConfigurationProperty(['custom', 'deployments', 'slackSecretStatements'])) ?? [];
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

/**
 * Resolved as the DeploymentsDashboard resource: the CloudWatch dashboard `<service>-<stage>`
 * (functions/metrics/dashboard.ts), a line per target of deployments.yml, in the namespace
 * the deployment coordinator writes its metrics to (custom.metricsNamespace).
 */
async function deploymentsDashboard({ resolveConfigurationProperty, resolveVariable }) {
  const { deploymentsDashboardBody } = tsxRequire('../functions/metrics/dashboard.ts', __filename);
  const service = await resolveConfigurationProperty(['service']);
  const stage = await resolveVariable('sls:stage');
  const namespace = await resolveConfigurationProperty(['custom', 'metricsNamespace']);
  const targets = (await resolveConfigurationProperty(['custom', 'deployments', 'dashboardTargets'])) ?? [];
  // The widgets' region is the stack's: the body's one `${…}`, for Fn::Sub (target names cannot hold one).
  const body = deploymentsDashboardBody({ namespace, stage, targets, region: '${AWS::Region}' });
  return { Type: 'AWS::CloudWatch::Dashboard', Properties: { DashboardName: `${service}-${stage}`, DashboardBody: { 'Fn::Sub': JSON.stringify(body) } } };
}

module.exports = {
  triggerDetailPattern,
  fromDeploymentsFile,
  ecsStatements,
  batchStatements,
  functionRoles,
  notifierIamStatements,
  slackSecretStatements,
  smokeTestStatements,
  deployDefinitionString,
  deploymentsDashboard,
};
