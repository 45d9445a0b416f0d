import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { inflateRawSync } from 'node:zlib';
import { bundledCommands } from '../../bench/sdk-commands';
import { compileDeployments } from '../../functions/config/compile';
import { loadDeploymentsFile } from '../../functions/config/load';
import { COMPILED_FILE, type CompiledDeployments } from '../../functions/config/packaged';
import { EVENT_DETAIL_TYPE, EVENT_SOURCE, TERMINAL_EVENT_NOT_PUBLISHED } from '../../functions/events/deployment-events';
import { publishDeploymentMetrics } from '../../functions/metrics/deployment-metrics';
import { DEPLOYMENT_METRICS } from '../../functions/metrics/names';
import { resolveTarget } from '../../functions/trigger/targets';
import { captureEmf } from '../support/metrics';
import { parseSecretReference, secretIamResources } from '../../functions/shared/secret-reference';
import { notificationSecretReferences } from '../../functions/notifications/settings';
import { smokeTestSecretReferences } from '../../functions/smoke/headers';
import { STEP_HANDLERS } from '../../local/state-machine';
import { deployDefinitionJson } from '../../statemachines/definition';

/**
 * `serverless package` (osls + serverless-esbuild), run once, offline; the tests assert
 * on the CloudFormation template and the zips it builds.
 */

const ROOT = join(__dirname, '..', '..');
const SERVERLESS = join(ROOT, 'node_modules', '.bin', 'serverless');
const PACKAGE_TIMEOUT_MS = 180_000;

/** What Fn::Sub pseudo parameters render to in these assertions. */
const PSEUDO: Record<string, string> = { 'AWS::Partition': 'aws', 'AWS::Region': 'us-east-1', 'AWS::AccountId': '123456789012' };
const ACCOUNT = 'arn:aws:ecs:us-east-1:123456789012';

/**
 * Actions AWS offers no usable resource-level permission for (Service Authorization Reference:
 * Amazon Elastic Container Service, AWS Batch; ecs:ListTasks is scoped by ecs:cluster instead;
 * inspector2:ListFindings, which the ECR user guide grants on "*" for enhanced scanning).
 */
const UNSCOPABLE_ACTIONS = [
  'batch:DescribeJobDefinitions',
  'batch:DescribeJobs',
  'batch:ListJobs',
  'ecs:DeregisterTaskDefinition',
  'ecs:DescribeTaskDefinition',
  'ecs:ListTasks',
  'elasticloadbalancing:DescribeTargetGroupAttributes',
  'inspector2:ListFindings',
];

/** The function groups, by handler, and the role each has (README, "IAM: one role per function group"). */
function groupRoleOf(handler: string): string {
  const byName: Record<string, string> = {
    'trigger': 'TriggerRole',
    'deployment-coordinator': 'DeploymentCoordinatorRole',
    'recover-slot': 'SlotCoordinatorRole',
    'sweep-slots': 'SlotCoordinatorRole',
    'reconcile': 'ReconcilerRole',
    'smoke-tests': 'SmokeTestsRole',
    'slack-notifier': 'SlackNotifierRole',
  };
  const byPrefix: [string, string][] = [
    ['ecs-', 'EcsStepsRole'],
    ['batch-', 'BatchStepsRole'],
    ['lambda-', 'LambdaStepsRole'],
  ];
  const role = byName[handler] ?? byPrefix.find(([prefix]) => handler.startsWith(prefix))?.[1];
  if (!role) throw new Error(`no function group for the handler ${handler}`);
  return role;
}

/** The AWS SDK v3 service ids bundled (the service shape's name) → their IAM service prefix. */
const IAM_PREFIX: Record<string, string> = {
  AmazonEC2ContainerServiceV20141113: 'ecs',
  AWSBatchV20160810: 'batch',
  AWSGirApiService: 'lambda',
  AWSStepFunctions: 'states',
  AWSEvents: 'events',
  DynamoDB_20120810: 'dynamodb',
  AmazonEC2ContainerRegistry_V20150921: 'ecr',
  secretsmanager: 'secretsmanager',
  AmazonSSM: 'ssm',
  ElasticLoadBalancing_v10: 'elasticloadbalancing',
  GraniteServiceVersion20100801: 'cloudwatch',
};
/** Operations whose IAM action has another name. */
const ACTION_OF_OPERATION: Record<string, string> = { 'lambda:Invoke': 'lambda:InvokeFunction' };

/**
 * Commands a bundle holds but never sends, and why. Nothing else in a bundle is excused: a
 * command a function does not call must not be bundled (see bundledCommands).
 */
const NEVER_SENT: { service: string; operations?: string[]; roles?: string[]; reason: string }[] = [
  ...['AWSSecurityTokenServiceV20110615', 'SWBPortalService', 'AWSSSOOIDCService', 'Signin'].map((service) => ({
    service,
    reason:
      "the SDK's default credential chain bundles the STS, SSO and sign-in clients of the providers it tries after the environment; in Lambda the environment holds the role's credentials, so the chain stops there",
  })),
  {
    service: 'DynamoDB_20120810',
    operations: ['DescribeEndpoints'],
    reason: "the DynamoDB client's endpoint discovery, off unless AWS_ENABLE_ENDPOINT_DISCOVERY (or the shared config) turns it on; no function sets it (asserted)",
  },
  {
    service: 'AmazonSSM',
    operations: ['GetParameters', 'GetParametersByPath', 'PutParameter'],
    roles: ['SlackNotifierRole'],
    reason: "Powertools' SSMProvider class carries getMultiple, getParametersByName and set; the notifier calls get only (functions/notifications/secrets.ts)",
  },
];

/** Actions a role holds that no bundled command names, and why: what Lambda or a service does with the caller's permissions. */
const IMPLIED_ACTIONS: Record<string, { actions: string[]; reason: string }[]> = {
  '*': [{ actions: ['logs:CreateLogStream', 'logs:PutLogEvents'], reason: "the Lambda runtime writes the function's logs with its execution role" }],
  TriggerRole: [{ actions: ['sqs:SendMessage'], reason: "Lambda sends a push that failed every attempt to the trigger's on-failure destination with the execution role" }],
  DeploymentCoordinatorRole: [{ actions: ['inspector2:ListFindings'], reason: "with enhanced scanning, ECR's DescribeImageScanFindings reads Amazon Inspector's findings with the caller's permissions" }],
  EcsStepsRole: [
    { actions: ['ecs:TagResource'], reason: 'RegisterTaskDefinition with tags is authorized as ecs:TagResource too' },
    { actions: ['iam:PassRole'], reason: 'registering a task definition passes its task and execution roles' },
  ],
  BatchStepsRole: [
    { actions: ['batch:TagResource'], reason: 'a revision is registered with the tags of the one it copies' },
    { actions: ['iam:PassRole'], reason: "registering a job definition passes its job and execution roles" },
  ],
  LambdaStepsRole: [{ actions: ['ecr:BatchGetImage', 'ecr:GetDownloadUrlForLayer'], reason: 'Lambda reads the image with the permissions of the caller of UpdateFunctionCode' }],
};

interface Resource {
  Type: string;
  Properties: Record<string, unknown>;
}
interface Template {
  Resources: Record<string, Resource>;
  Outputs: Record<string, { Value: unknown }>;
}
interface Statement {
  Effect: string;
  Action: string | string[];
  Resource: unknown;
  Condition?: Record<string, Record<string, unknown>>;
}
interface PackageRun {
  code: number;
  output: string;
}

function runServerlessPackage(outDir: string, env: NodeJS.ProcessEnv = {}): Promise<PackageRun> {
  const childEnv: NodeJS.ProcessEnv = { ...process.env, ...env };
  if (!('DEPLOYMENTS_FILE' in env)) delete childEnv.DEPLOYMENTS_FILE;
  return new Promise((resolve) => {
    execFile(SERVERLESS, ['package', '--package', outDir], { cwd: ROOT, env: childEnv, timeout: PACKAGE_TIMEOUT_MS, maxBuffer: 16 * 1024 * 1024 }, (error, stdout, stderr) => {
      const code = error ? (typeof error.code === 'number' ? error.code : 1) : 0;
      resolve({ code, output: `${stdout}${stderr}` });
    });
  });
}

/** Renders `{ "Fn::Sub": "arn:${AWS::Partition}:…" }` (pseudo parameters only) to a string. */
function render(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(render);
  if (value && typeof value === 'object' && 'Fn::Sub' in value && typeof value['Fn::Sub'] === 'string') {
    return value['Fn::Sub'].replace(/\$\{(AWS::[A-Za-z]+)\}/g, (whole, name: string) => PSEUDO[name] ?? whole);
  }
  return value;
}

const asList = <T>(value: T | T[]): T[] => (Array.isArray(value) ? value : [value]);
const sorted = (values: unknown[]): unknown[] => [...values].sort();

/** Every statement of every IAM role and policy in the template. */
function allStatements(template: Template): Statement[] {
  return Object.values(template.Resources).flatMap((resource) => {
    if (resource.Type === 'AWS::IAM::Role') {
      const policies = (resource.Properties.Policies ?? []) as { PolicyDocument: { Statement: Statement[] } }[];
      return policies.flatMap((policy) => policy.PolicyDocument.Statement);
    }
    if (resource.Type === 'AWS::IAM::Policy' || resource.Type === 'AWS::IAM::ManagedPolicy') {
      return (resource.Properties.PolicyDocument as { Statement: Statement[] }).Statement;
    }
    return [];
  });
}

const statementsWith = (template: Template, action: string): Statement[] => allStatements(template).filter((statement) => asList(statement.Action).includes(action));

/** Names (and, on request, contents) of the entries of a zip file, read from its central directory. */
function readZip(path: string): Map<string, () => Buffer> {
  const zip = readFileSync(path);
  const end = zip.lastIndexOf(Buffer.from([0x50, 0x4b, 0x05, 0x06]));
  const count = zip.readUInt16LE(end + 10);
  let offset = zip.readUInt32LE(end + 16);
  const entries = new Map<string, () => Buffer>();
  for (let i = 0; i < count; i += 1) {
    const method = zip.readUInt16LE(offset + 10);
    const compressedSize = zip.readUInt32LE(offset + 20);
    const nameLength = zip.readUInt16LE(offset + 28);
    const extraLength = zip.readUInt16LE(offset + 30);
    const commentLength = zip.readUInt16LE(offset + 32);
    const localHeader = zip.readUInt32LE(offset + 42);
    const name = zip.toString('utf8', offset + 46, offset + 46 + nameLength);
    entries.set(name, () => {
      const start = localHeader + 30 + zip.readUInt16LE(localHeader + 26) + zip.readUInt16LE(localHeader + 28);
      const data = zip.subarray(start, start + compressedSize);
      return method === 8 ? inflateRawSync(data) : Buffer.from(data);
    });
    offset += 46 + nameLength + extraLength + commentLength;
  }
  return entries;
}

/** `DeploymentCoordinator` → `deployment-coordinator`. */
const kebab = (name: string): string => name.replace(/(?<!^)([A-Z])/g, '-$1').toLowerCase();

describe('serverless package', () => {
  const config = loadDeploymentsFile(join(ROOT, 'deployments.yml'));
  let outDir: string;
  let template: Template;
  let run: PackageRun;

  const resourcesOfType = (type: string): [string, Resource][] => Object.entries(template.Resources).filter(([, resource]) => resource.Type === type);
  const stateMachine = (): Resource => {
    const machines = resourcesOfType('AWS::StepFunctions::StateMachine');
    expect(machines).toHaveLength(1);
    return machines[0]![1];
  };

  beforeAll(async () => {
    outDir = mkdtempSync(join(tmpdir(), 'ecr-deployer-package-'));
    run = await runServerlessPackage(outDir);
    if (run.code !== 0) throw new Error(`serverless package failed (exit ${run.code}):\n${run.output}`);
    template = JSON.parse(readFileSync(join(outDir, 'cloudformation-template-update-stack.json'), 'utf8')) as Template;
  }, PACKAGE_TIMEOUT_MS);

  afterAll(() => {
    if (outDir) rmSync(outDir, { recursive: true, force: true });
  });

  it("subscribes the trigger to successful pushes of exactly the repositories in deployments.yml, in this account's and region's ECR", () => {
    const repositories = [...new Set(config.targets.map((target) => target.repository))];

    const rules = resourcesOfType('AWS::Events::Rule').filter(([, rule]) => JSON.stringify(rule.Properties.Targets).includes('"TriggerLambdaFunction"'));

    expect(rules).toHaveLength(1);
    const rule = rules[0]![1].Properties;
    expect(rule.EventPattern).toEqual({
      'source': ['aws.ecr'],
      'detail-type': ['ECR Image Action'],
      'account': [{ Ref: 'AWS::AccountId' }],
      'region': [{ Ref: 'AWS::Region' }],
      'detail': { 'action-type': ['PUSH'], 'result': ['SUCCESS'], 'repository-name': repositories },
    });
    expect(rule.EventBusName ?? 'default').toBe('default');
    expect(rule.Targets).toEqual([
      expect.objectContaining({
        Arn: { 'Fn::GetAtt': ['TriggerLambdaFunction', 'Arn'] },
        RetryPolicy: expect.any(Object),
        DeadLetterConfig: { Arn: { 'Fn::GetAtt': [expect.any(String), 'Arn'] } },
      }),
    ]);
  });

  it('sends trigger events that fail after Lambda retries to a dead-letter queue', () => {
    const [invokeConfig] = resourcesOfType('AWS::Lambda::EventInvokeConfig').map(([, resource]) => resource.Properties);

    expect(invokeConfig).toMatchObject({
      FunctionName: { Ref: 'TriggerLambdaFunction' },
      MaximumRetryAttempts: 2,
      DestinationConfig: { OnFailure: { Destination: { 'Fn::GetAtt': [expect.any(String), 'Arn'] } } },
    });
    const queue = (invokeConfig!.DestinationConfig as { OnFailure: { Destination: { 'Fn::GetAtt': [string, string] } } }).OnFailure.Destination['Fn::GetAtt'][0];
    expect(template.Resources[queue]?.Type).toBe('AWS::SQS::Queue');
  });

  it('deploys the ASL file as it is, with every function ARN placeholder filled by the matching step function and nothing else', () => {
    const asl = deployDefinitionJson();
    const placeholders = [...new Set([...asl.matchAll(/\$\{([A-Za-z0-9]+)\}/g)].map((match) => match[1]!))];

    const { DefinitionString, DefinitionSubstitutions, StateMachineType } = stateMachine().Properties as {
      DefinitionString: string;
      DefinitionSubstitutions: Record<string, { 'Fn::GetAtt': [string, string] }>;
      StateMachineType: string;
    };

    expect(StateMachineType).toBe('STANDARD');
    // Exactly what the tests execute, nulls included (`"ResultPath": null` must survive packaging).
    expect(DefinitionString).toBe(asl);
    expect(asl).not.toContain('x-retry');
    expect(Object.keys(DefinitionSubstitutions).sort()).toEqual(placeholders.sort());
    for (const [placeholder, value] of Object.entries(DefinitionSubstitutions)) {
      expect(placeholder).toMatch(/FunctionArn$/);
      expect(value).toEqual({ 'Fn::GetAtt': [expect.any(String), 'Arn'] });
      const fn = template.Resources[value['Fn::GetAtt'][0]];
      expect(fn?.Type).toBe('AWS::Lambda::Function');
      expect(fn?.Properties.Handler).toBe(`functions/handlers/${kebab(placeholder.replace(/FunctionArn$/, ''))}.handler`);
    }
  });

  it("gives every Task state its Lambda's timeout: Step Functions stops waiting when Lambda stops the function", () => {
    const { DefinitionString, DefinitionSubstitutions } = stateMachine().Properties as {
      DefinitionString: string;
      DefinitionSubstitutions: Record<string, { 'Fn::GetAtt': [string, string] }>;
    };
    const states = Object.entries((JSON.parse(DefinitionString) as { States: Record<string, { Type: string; Resource?: string; TimeoutSeconds?: number }> }).States);
    const tasks = states.filter(([, state]) => state.Type === 'Task');

    expect(tasks.length).toBeGreaterThan(20);
    for (const [name, state] of tasks) {
      const placeholder = /^\$\{(.+)\}$/.exec(state.Resource ?? '')?.[1] ?? '';
      const fn = template.Resources[DefinitionSubstitutions[placeholder]?.['Fn::GetAtt'][0] ?? ''];
      expect({ name, timeout: state.TimeoutSeconds }).toEqual({ name, timeout: fn?.Properties.Timeout });
    }
  });

  it("tells the operators' topic when a deployment's last event could not be published", () => {
    const [filter] = resourcesOfType('AWS::Logs::MetricFilter').map(([, resource]) => resource.Properties);
    const [alarm] = resourcesOfType('AWS::CloudWatch::Alarm').map(([, resource]) => resource.Properties);
    const logGroup = (filter?.LogGroupName as { Ref: string }).Ref;
    const transformation = (filter?.MetricTransformations as { MetricNamespace: string; MetricName: string; MetricValue: string }[])[0];

    // The log group of the function whose releaseSlot step logs the message (functions/handlers/release-slot.ts).
    expect(template.Resources[logGroup]?.Properties.LogGroupName).toBe('/aws/lambda/ecr-deployer-dev-deployment-coordinator');
    expect(filter?.FilterPattern).toBe(`{ $.message = "${TERMINAL_EVENT_NOT_PUBLISHED}" }`);
    expect(alarm).toMatchObject({
      Namespace: transformation?.MetricNamespace,
      MetricName: transformation?.MetricName,
      Threshold: 1,
      ComparisonOperator: 'GreaterThanOrEqualToThreshold',
      TreatMissingData: 'notBreaching',
    });
    const [topic] = asList(alarm?.AlarmActions as unknown) as { Ref: string }[];
    expect(template.Resources[topic?.Ref ?? '']?.Type).toBe('AWS::SNS::Topic');
    expect(template.Outputs.OperatorAlertsTopicArn?.Value).toEqual({ Ref: topic?.Ref });
  });

  describe('the deployments dashboard', () => {
    const coordinator = () => template.Resources.DeploymentDashcoordinatorLambdaFunction!.Properties as { Environment: { Variables: Record<string, unknown> } };
    const dashboards = () => resourcesOfType('AWS::CloudWatch::Dashboard');
    interface MetricWidget {
      type: string;
      properties: { stat?: string; region?: string; metrics?: [string, string, ...unknown[]][] };
    }
    const widgets = (): MetricWidget[] => (JSON.parse(render(dashboards()[0]![1].Properties.DashboardBody) as string) as { widgets: MetricWidget[] }).widgets;
    /** A metric as CloudWatch identifies it: namespace, name and dimensions. */
    const identity = (namespace: string, name: string, dimensions: Record<string, unknown>) => JSON.stringify([namespace, name, dimensions]);

    it('draws exactly the metrics the release step emits for the targets of deployments.yml: names, namespace and dimensions', async () => {
      const namespace = coordinator().Environment.Variables.POWERTOOLS_METRICS_NAMESPACE as string;
      // What the deployment coordinator's code writes for a push deployment of every target that SUCCEEDED: each metric it has.
      const changes = config.targets.map((target) => ({
        target: resolveTarget(target),
        image: { registry: 'r', repository: target.repository, digest: 'd', uri: 'u' },
        pushedAt: '2026-12-01T10:00:00Z',
      }));
      process.env.POWERTOOLS_METRICS_NAMESPACE = namespace;
      const lines = await captureEmf(() => publishDeploymentMetrics('SUCCEEDED', { id: 'd', startedAt: '2026-12-01T10:01:00Z', changes }, new Date('2026-12-01T10:05:00Z'))).finally(
        () => delete process.env.POWERTOOLS_METRICS_NAMESPACE,
      );
      const emitted = lines.flatMap((line) =>
        line._aws.CloudWatchMetrics.flatMap(({ Namespace, Dimensions, Metrics }) =>
          Metrics.map(({ Name }) => identity(Namespace, Name, Object.fromEntries((Dimensions[0] ?? []).map((key) => [key, line[key]])))),
        ),
      );

      const drawn = widgets().flatMap((widget) =>
        (widget.properties.metrics ?? []).map(([ns, name, ...rest]) => {
          const pairs = rest.filter((item) => typeof item === 'string') as string[];
          return identity(ns, name, Object.fromEntries(pairs.flatMap((value, i) => (i % 2 === 0 ? [[value, pairs[i + 1]]] : []))));
        }),
      );

      expect(dashboards()).toHaveLength(1);
      expect(namespace).toBe('ecr-deployer/dev');
      expect(sorted([...new Set(drawn)])).toEqual(sorted(emitted));
      expect(new Set(emitted.map((metric) => (JSON.parse(metric) as [string, string])[1]))).toEqual(new Set(Object.values(DEPLOYMENT_METRICS)));
    });

    it('charts counts as sums and times as p50 and p90, in the stack’s region', () => {
      const stats = (name: string) => sorted(widgets().filter((widget) => widget.properties.metrics?.[0]?.[1] === name).map((widget) => widget.properties.stat));

      expect(stats(DEPLOYMENT_METRICS.deployments)).toEqual(['Sum']);
      expect(stats(DEPLOYMENT_METRICS.rollbacks)).toEqual(['Sum']);
      expect(stats(DEPLOYMENT_METRICS.failures)).toEqual(['Sum']);
      expect(stats(DEPLOYMENT_METRICS.leadTime)).toEqual(['p50', 'p90']);
      expect(stats(DEPLOYMENT_METRICS.rolloutDuration)).toEqual(['p50', 'p90']);
      for (const widget of widgets().filter((w) => w.type === 'metric')) expect(widget.properties.region).toBe('us-east-1');
    });

    it('is named <service>-<stage>, and the stack outputs its console address', () => {
      const [id, dashboard] = dashboards()[0]!;

      expect(dashboard.Properties.DashboardName).toBe('ecr-deployer-dev');
      expect(template.Outputs.DeploymentsDashboardUrl?.Value).toEqual({ 'Fn::Sub': `https://console.aws.amazon.com/cloudwatch/home?region=\${AWS::Region}#dashboards:name=\${${id}}` });
      // One namespace for the stack's metrics: the alarm's is the coordinator's.
      expect(template.Resources.UnpublishedTerminalEventsAlarm?.Properties.Namespace).toBe(coordinator().Environment.Variables.POWERTOOLS_METRICS_NAMESPACE);
    });
  });

  it('lets the state machine invoke exactly its step functions', () => {
    const { RoleArn, DefinitionSubstitutions } = stateMachine().Properties as { RoleArn: { 'Fn::GetAtt': [string, string] }; DefinitionSubstitutions: Record<string, unknown> };

    const role = template.Resources[RoleArn['Fn::GetAtt'][0]]!;
    const statements = (role.Properties.Policies as { PolicyDocument: { Statement: Statement[] } }[]).flatMap((policy) => policy.PolicyDocument.Statement);

    expect(role.Type).toBe('AWS::IAM::Role');
    expect(statements).toHaveLength(1);
    expect(statements[0]!.Action).toBe('lambda:InvokeFunction');
    expect(sorted(asList(statements[0]!.Resource).map((r) => JSON.stringify(r)))).toEqual(sorted(Object.values(DefinitionSubstitutions).map((r) => JSON.stringify(r))));
  });

  it('runs every function on nodejs22.x, arm64, with the event bus and account id, and gives the trigger the state machine', () => {
    const functions = resourcesOfType('AWS::Lambda::Function');
    const stateMachineId = resourcesOfType('AWS::StepFunctions::StateMachine')[0]![0];

    // The trigger, the Slack notifier, the slot recovery and sweep, the reconciler, and one function per step of the state machine.
    expect(functions).toHaveLength(Object.keys(STEP_HANDLERS).length + 5);
    for (const [, fn] of functions) {
      expect(fn.Properties).toMatchObject({
        Runtime: 'nodejs22.x',
        Architectures: ['arm64'],
        Environment: { Variables: { EVENT_BUS_NAME: 'default', AWS_ACCOUNT_ID: { Ref: 'AWS::AccountId' } } },
      });
    }
    expect(template.Resources.TriggerLambdaFunction?.Properties).toMatchObject({
      Handler: 'functions/handlers/trigger.handler',
      Environment: { Variables: { STATE_MACHINE_ARN: { Ref: stateMachineId } } },
    });
  });

  describe('Slack notifier', () => {
    const notifierId = 'SlackDashnotifierLambdaFunction';
    const notifierStatements = (): Statement[] => {
      const role = (template.Resources[notifierId]?.Properties.Role as { 'Fn::GetAtt': [string, string] })['Fn::GetAtt'][0];
      return (template.Resources[role]!.Properties.Policies as { PolicyDocument: { Statement: Statement[] } }[]).flatMap((policy) => policy.PolicyDocument.Statement);
    };

    it('subscribes the notifier to every Deployment State Change event ecr-deployer publishes on the default bus', () => {
      const rules = resourcesOfType('AWS::Events::Rule').filter(([, rule]) => JSON.stringify(rule.Properties.Targets).includes(`"${notifierId}"`));

      expect(rules).toHaveLength(1);
      const rule = rules[0]![1].Properties;
      expect(rule.EventPattern).toEqual({ 'source': [EVENT_SOURCE], 'detail-type': [EVENT_DETAIL_TYPE] });
      expect(rule.EventBusName ?? 'default').toBe('default');
      expect(template.Resources[notifierId]?.Properties).toMatchObject({ Handler: 'functions/handlers/slack-notifier.handler' });
    });

    it('retries a failed notification a bounded number of times, within a short timeout', () => {
      const [invokeConfig] = resourcesOfType('AWS::Lambda::EventInvokeConfig')
        .map(([, resource]) => resource.Properties)
        .filter((properties) => JSON.stringify(properties.FunctionName).includes(notifierId));

      expect(invokeConfig).toMatchObject({ MaximumRetryAttempts: 2, MaximumEventAgeInSeconds: 3600 });
      expect(template.Resources[notifierId]?.Properties.Timeout).toBeLessThanOrEqual(60);
    });

    it('keeps its records in a pay-per-request table whose items expire by TTL', () => {
      const tables = resourcesOfType('AWS::DynamoDB::Table').filter(([id]) => id === 'NotificationsTable');

      expect(tables).toHaveLength(1);
      const [tableId, table] = tables[0]!;
      expect(table.Properties).toMatchObject({
        BillingMode: 'PAY_PER_REQUEST',
        KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }],
        TimeToLiveSpecification: { AttributeName: 'expiresAt', Enabled: true },
      });
      expect(template.Resources[notifierId]?.Properties).toMatchObject({ Environment: { Variables: { NOTIFICATIONS_TABLE: { Ref: tableId } } } });
    });

    it('has a role of its own: its log group and its table, and none of the deployment steps’ permissions', () => {
      const statements = notifierStatements();
      const table = { 'Fn::GetAtt': ['NotificationsTable', 'Arn'] };

      const byAction = (action: string) => statements.filter((statement) => asList(statement.Action).includes(action));

      for (const action of ['dynamodb:PutItem', 'dynamodb:GetItem', 'dynamodb:UpdateItem', 'dynamodb:DeleteItem']) {
        expect(byAction(action).map((statement) => statement.Resource)).toEqual([table]);
      }
      expect(render(byAction('logs:PutLogEvents')[0]?.Resource)).toBe(
        `arn:aws:logs:us-east-1:123456789012:log-group:/aws/lambda/${template.Resources[notifierId]?.Properties.FunctionName as string}:*`,
      );
      const actions = statements.flatMap((statement) => asList(statement.Action));
      expect(actions.filter((action) => !/^(logs|dynamodb|secretsmanager|ssm):/.test(action))).toEqual([]);
      // Nobody else may touch its table or read secrets.
      const elsewhere = allStatements(template).filter((statement) => !statements.includes(statement));
      expect(elsewhere.filter((statement) => JSON.stringify(statement.Resource).includes('NotificationsTable'))).toEqual([]);
      expect(elsewhere.flatMap((statement) => asList(statement.Action)).filter((action) => /^(secretsmanager|ssm):/.test(action))).toEqual([]);
    });

    it('lets the notifier read exactly the Slack secrets deployments.yml names, and nothing when it names none', () => {
      const references = notificationSecretReferences(config);
      const expected = (store: string) => references.filter((reference) => parseSecretReference(reference).store === store).flatMap(secretIamResources).map(render);

      const resources = (action: string) => notifierStatements().filter((statement) => asList(statement.Action).includes(action)).flatMap((statement) => asList(statement.Resource).map(render));

      expect(sorted(resources('secretsmanager:GetSecretValue'))).toEqual(sorted(expected('secretsmanager')));
      expect(sorted(resources('ssm:GetParameter'))).toEqual(sorted(expected('ssm')));
      expect(statementsWith(template, 'kms:Decrypt')).toEqual([]);
    });
  });

  describe('slots', () => {
    const coordinatorFunctions = ['RecoverDashslotLambdaFunction', 'SweepDashslotsLambdaFunction'];
    const slotFunctions = ['TriggerLambdaFunction', 'DeploymentDashcoordinatorLambdaFunction', 'ReconcileLambdaFunction', ...coordinatorFunctions];
    const roleOf = (functionId: string): unknown => template.Resources[functionId]?.Properties.Role;
    const statementsOfRole = (roleId: string): Statement[] =>
      (template.Resources[roleId]!.Properties.Policies as { PolicyDocument: { Statement: Statement[] } }[]).flatMap((policy) => policy.PolicyDocument.Statement);

    it('keeps them in a pay-per-request table keyed by slot, which only the trigger, the coordinator functions and the reconciler are given', () => {
      expect(template.Resources.SlotsTable?.Properties).toMatchObject({ BillingMode: 'PAY_PER_REQUEST', KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }] });
      for (const id of slotFunctions) {
        expect(template.Resources[id]?.Properties).toMatchObject({ Environment: { Variables: { SLOTS_TABLE: { Ref: 'SlotsTable' } } } });
      }
      expect(roleOf('TriggerLambdaFunction')).toEqual({ 'Fn::GetAtt': ['TriggerRole', 'Arn'] });
      expect(roleOf('DeploymentDashcoordinatorLambdaFunction')).toEqual({ 'Fn::GetAtt': ['DeploymentCoordinatorRole', 'Arn'] });
      expect(roleOf('ReconcileLambdaFunction')).toEqual({ 'Fn::GetAtt': ['ReconcilerRole', 'Arn'] });
      for (const id of coordinatorFunctions) expect(roleOf(id)).toEqual({ 'Fn::GetAtt': ['SlotCoordinatorRole', 'Arn'] });
      const others = resourcesOfType('AWS::Lambda::Function').filter(([id]) => !slotFunctions.includes(id));
      for (const [, fn] of others) expect(JSON.stringify(fn.Properties)).not.toContain('SlotsTable');
    });

    it("gives the coordinator role the slot table, writing the ledger, starting its own state machine, reading its executions' history and publishing events, nothing else", () => {
      const statements = statementsOfRole('SlotCoordinatorRole');
      const name = stateMachine().Properties.StateMachineName as string;

      const actions = sorted([...new Set(statements.flatMap((statement) => asList(statement.Action)))]);
      expect(actions).toEqual(['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:Scan', 'events:PutEvents', 'logs:CreateLogStream', 'logs:PutLogEvents', 'states:GetExecutionHistory', 'states:StartExecution']);
      const resourceOf = (action: string) => statements.filter((statement) => asList(statement.Action).includes(action)).map((statement) => render(statement.Resource));
      expect(resourceOf('dynamodb:PutItem')).toEqual([{ 'Fn::GetAtt': ['SlotsTable', 'Arn'] }, { 'Fn::GetAtt': ['LedgerTable', 'Arn'] }]);
      expect(resourceOf('dynamodb:Scan')).toEqual([{ 'Fn::GetAtt': ['SlotsTable', 'Arn'] }]);
      expect(resourceOf('states:StartExecution')).toEqual([`arn:aws:states:us-east-1:123456789012:stateMachine:${name}`]);
      expect(resourceOf('states:GetExecutionHistory')).toEqual([`arn:aws:states:us-east-1:123456789012:execution:${name}:*`]);
    });

    it("gives the deployment coordinator the slot table, the ledger, starting its own state machine, publishing events, the deployment history, the configured repositories' images and the promotions' copies, nothing else", () => {
      const statements = statementsOfRole('DeploymentCoordinatorRole');

      const actions = sorted([...new Set(statements.flatMap((statement) => asList(statement.Action)))]);
      // A promotion across repositories (promote.copyImage) reads the source's manifest and puts it into the target's: only those pairs.
      const resourcesOf = (action: string) => sorted(statements.filter((statement) => asList(statement.Action).includes(action)).flatMap((statement) => render(asList(statement.Resource)) as unknown[]));
      const repositoryArn = (name: string) => `arn:aws:ecr:us-east-1:123456789012:repository/${name}`;
      expect(resourcesOf('ecr:BatchGetImage')).toEqual(sorted(['upscaler-splitter-dev-ecr', 'upscaler-splitter-staging-ecr'].map(repositoryArn)));
      expect(resourcesOf('ecr:PutImage')).toEqual(sorted(['upscaler-splitter-staging-ecr', 'upscaler-splitter-prod-ecr'].map(repositoryArn)));
      // The scan gate reads the findings of the gated targets' repositories only (and Inspector's, for enhanced scanning).
      expect(resourcesOf('ecr:DescribeImageScanFindings')).toEqual([repositoryArn('upscaler-splitter-prod-ecr')]);
      expect(resourcesOf('inspector2:ListFindings')).toEqual(['*']);
      // Each release records its outcome in the ledger; a rollback reads it (Query on the ledger alone).
      expect(render(statements.filter((statement) => asList(statement.Action).includes('dynamodb:Query')).map((statement) => statement.Resource))).toEqual([{ 'Fn::GetAtt': ['LedgerTable', 'Arn'] }]);
      expect(actions).toEqual([
        'dynamodb:GetItem',
        'dynamodb:PutItem',
        'dynamodb:Query',
        'ecr:BatchGetImage',
        'ecr:DescribeImageScanFindings',
        'ecr:DescribeImages',
        'ecr:PutImage',
        'events:PutEvents',
        'inspector2:ListFindings',
        'logs:CreateLogStream',
        'logs:PutLogEvents',
        'states:DescribeExecution',
        'states:ListExecutions',
        'states:StartExecution',
      ]);
    });

    it('gives the trigger reading and writing slots, starting its own state machine, SKIPPED events and its dead-letter queue, nothing else', () => {
      const statements = statementsOfRole('TriggerRole');
      const name = stateMachine().Properties.StateMachineName as string;
      const [invokeConfig] = resourcesOfType('AWS::Lambda::EventInvokeConfig').filter(([, resource]) => JSON.stringify(resource.Properties.FunctionName).includes('"TriggerLambdaFunction"'));

      const actions = sorted([...new Set(statements.flatMap((statement) => asList(statement.Action)))]);
      const resourceOf = (action: string) => statements.filter((statement) => asList(statement.Action).includes(action)).map((statement) => render(statement.Resource));
      expect(actions).toEqual(['dynamodb:GetItem', 'dynamodb:PutItem', 'events:PutEvents', 'logs:CreateLogStream', 'logs:PutLogEvents', 'sqs:SendMessage', 'states:StartExecution']);
      expect(resourceOf('dynamodb:GetItem')).toEqual([{ 'Fn::GetAtt': ['SlotsTable', 'Arn'] }]);
      expect(resourceOf('states:StartExecution')).toEqual([`arn:aws:states:us-east-1:123456789012:stateMachine:${name}`]);
      expect(resourceOf('events:PutEvents')).toEqual(['arn:aws:events:us-east-1:123456789012:event-bus/default']);
      // Lambda delivers to the on-failure destination with the function's role, not the queue's policy.
      expect(resourceOf('sqs:SendMessage')).toEqual([(invokeConfig![1].Properties.DestinationConfig as { OnFailure: { Destination: unknown } }).OnFailure.Destination]);
    });

    it('lets nobody else write slots or start deployments', () => {
      const elsewhere = Object.entries(template.Resources)
        .filter(([id, resource]) => resource.Type === 'AWS::IAM::Role' && !['TriggerRole', 'SlotCoordinatorRole', 'DeploymentCoordinatorRole', 'ReconcilerRole'].includes(id))
        .flatMap(([id]) => statementsOfRole(id));

      expect(elsewhere.length).toBeGreaterThan(0);
      expect(elsewhere.filter((statement) => JSON.stringify(statement.Resource).includes('SlotsTable'))).toEqual([]);
      expect(elsewhere.flatMap((statement) => asList(statement.Action))).not.toContain('states:StartExecution');
    });

    it('releases the slot of an execution of its state machine that ends ABORTED, TIMED_OUT or FAILED', () => {
      const name = stateMachine().Properties.StateMachineName as string;
      const rules = resourcesOfType('AWS::Events::Rule').filter(([, rule]) => JSON.stringify(rule.Properties.Targets).includes('"RecoverDashslotLambdaFunction"'));

      expect(rules).toHaveLength(1);
      const pattern = rules[0]![1].Properties.EventPattern as { detail: { stateMachineArn: unknown[] } } & Record<string, unknown>;
      expect(pattern).toMatchObject({ source: ['aws.states'], 'detail-type': ['Step Functions Execution Status Change'], detail: { status: ['ABORTED', 'TIMED_OUT', 'FAILED'] } });
      expect(pattern.detail.stateMachineArn.map(render)).toEqual([`arn:aws:states:us-east-1:123456789012:stateMachine:${name}`]);
    });

    it('sweeps them every five minutes', () => {
      const rules = resourcesOfType('AWS::Events::Rule').filter(([, rule]) => JSON.stringify(rule.Properties.Targets).includes('"SweepDashslotsLambdaFunction"'));

      expect(rules.map(([, rule]) => rule.Properties.ScheduleExpression)).toEqual(['rate(5 minutes)']);
    });

    it('runs the reconciler on an EventBridge Scheduler schedule as often as the most eager target asks, invoked with a role allowed that call alone', () => {
      const schedule = template.Resources.ReconcileSchedule;
      const every = Math.min(...config.targets.flatMap((target) => (target.reconcile === false ? [] : [target.reconcile.everyMinutes])));

      expect(schedule?.Type).toBe('AWS::Scheduler::Schedule');
      expect(schedule?.Properties).toMatchObject({ ScheduleExpression: `rate(${every} minutes)`, State: 'ENABLED', Target: { Arn: { 'Fn::GetAtt': ['ReconcileLambdaFunction', 'Arn'] }, RoleArn: { 'Fn::GetAtt': ['ReconcileSchedulerRole', 'Arn'] } } });
      expect(template.Resources.ReconcileLambdaFunction?.Properties).toMatchObject({ Environment: { Variables: { RECONCILE_EVERY_MINUTES: String(every) } } });
      const scheduler = template.Resources.ReconcileSchedulerRole!.Properties;
      expect(scheduler.AssumeRolePolicyDocument).toMatchObject({ Statement: [{ Principal: { Service: 'scheduler.amazonaws.com' }, Condition: { StringEquals: { 'aws:SourceAccount': { Ref: 'AWS::AccountId' } } } }] });
      const statements = (scheduler.Policies as { PolicyDocument: { Statement: Statement[] } }[]).flatMap((policy) => policy.PolicyDocument.Statement);
      expect(statements.map((statement) => [statement.Action, statement.Resource])).toEqual([['lambda:InvokeFunction', { 'Fn::GetAtt': ['ReconcileLambdaFunction', 'Arn'] }]]);
    });

    it('lets the reconciler read what the configured targets run, and nothing it could change them with', () => {
      const actions = sorted([...new Set(statementsOfRole('ReconcilerRole').flatMap((statement) => asList(statement.Action)))]);

      expect(actions).toEqual([
        'batch:DescribeJobDefinitions',
        'dynamodb:GetItem',
        'dynamodb:PutItem',
        'dynamodb:Scan',
        'ecr:DescribeImages',
        'ecs:DescribeServices',
        'ecs:DescribeTaskDefinition',
        'events:PutEvents',
        'lambda:GetAlias',
        'lambda:GetFunction',
        'logs:CreateLogStream',
        'logs:PutLogEvents',
        'states:StartExecution',
      ]);
      const functions = [...new Set(config.targets.flatMap((target) => (target.lambda ? [target.lambda.function] : [])))];
      const [getAlias] = statementsOfRole('ReconcilerRole').filter((statement) => asList(statement.Action).includes('lambda:GetAlias'));
      expect(sorted(render(asList(getAlias?.Resource)) as unknown[])).toEqual(sorted(functions.flatMap((name) => [`arn:aws:lambda:us-east-1:123456789012:function:${name}`, `arn:aws:lambda:us-east-1:123456789012:function:${name}:*`])));
    });
  });

  it('exports the state machine ARN', () => {
    const stateMachineId = resourcesOfType('AWS::StepFunctions::StateMachine')[0]![0];

    const outputs = Object.values(template.Outputs).filter((output) => JSON.stringify(output.Value) === JSON.stringify({ Ref: stateMachineId }));

    expect(outputs).toEqual([expect.objectContaining({ Export: { Name: expect.stringContaining('DeployStateMachineArn') } })]);
  });

  /** The statements of the role a function has. */
  const roleIdOf = (functionId: string): string => (template.Resources[functionId]?.Properties.Role as { 'Fn::GetAtt': [string, string] })['Fn::GetAtt'][0];
  const policyStatements = (roleId: string): Statement[] =>
    ((template.Resources[roleId]?.Properties.Policies ?? []) as { PolicyDocument: { Statement: Statement[] } }[]).flatMap((policy) => policy.PolicyDocument.Statement);
  /** Which role holds each statement granting the action. */
  const rolesGranting = (action: string): string[] =>
    resourcesOfType('AWS::IAM::Role').flatMap(([id]) => policyStatements(id).filter((statement) => asList(statement.Action).includes(action)).map(() => id));

  it('lets the ECS steps describe and update only the configured ECS services', () => {
    const expected = [...new Set(config.targets.flatMap((target) => (target.ecs ? [`${ACCOUNT}:service/${target.ecs.cluster}/${target.ecs.service}`] : [])))];

    const statements = [...statementsWith(template, 'ecs:UpdateService'), ...statementsWith(template, 'ecs:DescribeServices')];

    expect(statements.length).toBeGreaterThan(0);
    expect(rolesGranting('ecs:UpdateService')).toEqual(['EcsStepsRole']);
    // The reconciler reads what the services run (drift).
    expect(sorted(rolesGranting('ecs:DescribeServices'))).toEqual(['EcsStepsRole', 'ReconcilerRole']);
    for (const statement of statements) {
      expect(sorted(render(asList(statement.Resource)) as unknown[])).toEqual(sorted(expected));
      expect(statement.Condition).toBeUndefined();
    }
  });

  it('lets the ECS steps list and describe only tasks of the configured clusters', () => {
    const clusters = [...new Set(config.targets.flatMap((target) => (target.ecs ? [target.ecs.cluster] : [])))];

    const [listTasks] = statementsWith(template, 'ecs:ListTasks');
    const [describeTasks] = statementsWith(template, 'ecs:DescribeTasks');

    expect(sorted(render(asList(listTasks?.Condition?.ArnEquals?.['ecs:cluster'])) as unknown[])).toEqual(sorted(clusters.map((c) => `${ACCOUNT}:cluster/${c}`)));
    expect(sorted(render(asList(describeTasks?.Resource)) as unknown[])).toEqual(sorted(clusters.map((c) => `${ACCOUNT}:task/${c}/*`)));
  });

  it('passes only the roles listed in ecs.passRoles, to ECS tasks, and in batch.passRoles, to Batch; never without iam:PassedToService', () => {
    const roleArns = (roles: string[]) => [...new Set(roles)].map((role) => (role.startsWith('arn:') ? role : `arn:aws:iam::123456789012:role/${role}`));
    const ecsRoles = roleArns(config.targets.flatMap((target) => target.ecs?.passRoles ?? []));
    const batchRoles = roleArns(config.targets.flatMap((target) => target.batch?.passRoles ?? []));

    const statements = statementsWith(template, 'iam:PassRole');
    const [toEcs] = policyStatements('EcsStepsRole').filter((statement) => asList(statement.Action).includes('iam:PassRole'));
    const [toBatch] = policyStatements('BatchStepsRole').filter((statement) => asList(statement.Action).includes('iam:PassRole'));

    expect(ecsRoles.length).toBeGreaterThan(0);
    expect(batchRoles.length).toBeGreaterThan(0);
    expect(statements).toHaveLength(2);
    for (const statement of statements) expect(Object.keys(statement.Condition ?? {})).toEqual(['StringEquals']);
    expect(sorted(render(asList(toEcs?.Resource)) as unknown[])).toEqual(sorted(ecsRoles));
    expect(toEcs?.Condition).toEqual({ StringEquals: { 'iam:PassedToService': 'ecs-tasks.amazonaws.com' } });
    expect(sorted(render(asList(toBatch?.Resource)) as unknown[])).toEqual(sorted(batchRoles));
    // Batch takes the roles and passes them on to ECS tasks (AWS Batch user guide, service-linked role).
    expect(toBatch?.Condition).toEqual({ StringEquals: { 'iam:PassedToService': ['batch.amazonaws.com', 'ecs-tasks.amazonaws.com'] } });
  });

  it('lets the Batch steps register, deregister and test only the configured job definitions, in the configured queues', () => {
    const batchArn = ACCOUNT.replace(':ecs', ':batch');
    const names = [...new Set(config.targets.flatMap((target) => (target.batch ? [target.batch.jobDefinition] : [])))];
    const queues = [...new Set(config.targets.flatMap((target) => target.smokeTests.flatMap((test) => ('batchJob' in test ? [test.batchJob.jobQueue] : []))))];
    const revisions = names.flatMap((name) => [`${batchArn}:job-definition/${name}`, `${batchArn}:job-definition/${name}:*`]);

    const [register] = statementsWith(template, 'batch:RegisterJobDefinition');
    const [submit] = statementsWith(template, 'batch:SubmitJob');

    expect(names.length).toBeGreaterThan(0);
    expect(rolesGranting('batch:RegisterJobDefinition')).toEqual(['BatchStepsRole']);
    expect(asList(register?.Action)).toEqual(expect.arrayContaining(['batch:DeregisterJobDefinition', 'batch:TagResource']));
    expect(sorted(render(asList(register?.Resource)) as unknown[])).toEqual(sorted(revisions));
    // SubmitJob is authorized on the job it creates too (Service Authorization Reference, AWS Batch).
    expect(sorted(render(asList(submit?.Resource)) as unknown[])).toEqual(sorted([...revisions, ...queues.map((q) => `${batchArn}:job-queue/${q}`), `${batchArn}:job/*`]));
  });

  it('lets the ECS steps tag task definitions only while registering them', () => {
    const [tagResource] = statementsWith(template, 'ecs:TagResource');

    expect(render(tagResource?.Resource)).toBe(`${ACCOUNT}:task-definition/*`);
    expect(tagResource?.Condition).toEqual({ StringEquals: { 'ecs:CreateAction': 'RegisterTaskDefinition' } });
  });

  it('lets every role start only its state machine and publish only to the default event bus', () => {
    const name = stateMachine().Properties.StateMachineName as string;

    const startExecution = statementsWith(template, 'states:StartExecution');
    const putEvents = statementsWith(template, 'events:PutEvents');

    expect(sorted(rolesGranting('states:StartExecution'))).toEqual(['DeploymentCoordinatorRole', 'ReconcilerRole', 'SlotCoordinatorRole', 'TriggerRole']);
    expect(sorted(rolesGranting('events:PutEvents'))).toEqual(['DeploymentCoordinatorRole', 'ReconcilerRole', 'SlotCoordinatorRole', 'TriggerRole']);
    for (const statement of startExecution) expect(render(statement.Resource)).toBe(`arn:aws:states:us-east-1:123456789012:stateMachine:${name}`);
    for (const statement of putEvents) expect(render(statement.Resource)).toBe('arn:aws:events:us-east-1:123456789012:event-bus/default');
  });

  it('lets a manual deployment read only its own history and look images up only in the configured repositories', () => {
    const name = stateMachine().Properties.StateMachineName as string;
    const repositories = [...new Set(config.targets.map((target) => target.repository))];

    const [listExecutions] = statementsWith(template, 'states:ListExecutions');
    const [describeExecution] = statementsWith(template, 'states:DescribeExecution');
    const describeImages = statementsWith(template, 'ecr:DescribeImages');

    expect(rolesGranting('states:ListExecutions')).toEqual(['DeploymentCoordinatorRole']);
    // The reconciler lists the images of the repositories the push targets follow.
    expect(sorted(rolesGranting('ecr:DescribeImages'))).toEqual(['DeploymentCoordinatorRole', 'ReconcilerRole']);
    expect(render(listExecutions?.Resource)).toBe(`arn:aws:states:us-east-1:123456789012:stateMachine:${name}`);
    expect(render(describeExecution?.Resource)).toBe(`arn:aws:states:us-east-1:123456789012:execution:${name}:*`);
    expect(sorted(render(asList(describeImages[0]?.Resource)) as unknown[])).toEqual(sorted(repositories.map((r) => `arn:aws:ecr:us-east-1:123456789012:repository/${r}`)));
    const pushed = [...new Set(config.targets.filter((target) => target.trigger === 'push').map((target) => target.repository))];
    expect(sorted(render(asList(describeImages[1]?.Resource)) as unknown[])).toEqual(sorted(pushed.map((r) => `arn:aws:ecr:us-east-1:123456789012:repository/${r}`)));
  });

  it('grants Resource "*" only for the actions AWS cannot scope, and never a wildcard action', () => {
    const statements = allStatements(template);

    const unscoped = statements.filter((statement) => asList(statement.Resource).includes('*'));

    expect(sorted([...new Set(unscoped.flatMap((statement) => asList(statement.Action)))])).toEqual(UNSCOPABLE_ACTIONS);
    for (const statement of statements) {
      expect(statement.Effect).toBe('Allow');
      for (const action of asList(statement.Action)) expect(action).not.toContain('*');
    }
  });

  describe('IAM: one role per function group', () => {
    const functions = (): [string, Resource][] => resourcesOfType('AWS::Lambda::Function');
    const handlerOf = (fn: Resource): string => basename((fn.Properties.Handler as string).replace(/\.[^.]+$/, ''));
    const functionsOfRole = (roleId: string): Resource[] => functions().filter(([id]) => roleIdOf(id) === roleId).map(([, fn]) => fn);
    const actionsOf = (roleId: string): string[] => sorted([...new Set(policyStatements(roleId).flatMap((statement) => asList(statement.Action)))]) as string[];
    const functionRoleIds = (): string[] => [...new Set(functions().map(([id]) => roleIdOf(id)))].sort();

    /** What the shipped deployments.yml makes reachable: a role need not grant a call its functions cannot make with it. */
    // Secrets are read by two roles, each only those deployments.yml names for it.
    const secretReferencesOf: Record<string, string[]> = { SlackNotifierRole: notificationSecretReferences(config), SmokeTestsRole: smokeTestSecretReferences(config) };
    const secretStores = (roleId: string) => new Set((secretReferencesOf[roleId] ?? []).map((reference) => parseSecretReference(reference).store));
    const reachable: Record<string, boolean> = {
      ecs: config.targets.some((target) => target.ecs),
      batch: config.targets.some((target) => target.batch),
      lambda: config.targets.some((target) => target.lambda),
      invoke: config.targets.some((target) => target.lambda && target.smokeTests.some((test) => 'invoke' in test)),
      // Checked with a file that has one, below ("scripts/serverless-config.js, ECS pre-deploy tasks").
      preDeployTask: config.targets.some((target) => target.ecs?.preDeployTask),
      // Checked with a file that has them, below ("scripts/serverless-config.js, scheduled tasks").
      scheduledTasks: config.targets.some((target) => target.ecs?.scheduledTasks || target.batch?.scheduledJobs),
      // Checked with a file that has them, below ("scripts/serverless-config.js, alarms").
      cloudwatch: config.targets.some((target) => target.alarms),
      secretsmanager: secretStores('SlackNotifierRole').has('secretsmanager'),
      ssm: secretStores('SlackNotifierRole').has('ssm'),
    };
    const isReachable = (action: string, roleId: string): boolean => {
      const service = action.split(':')[0]!;
      if (service === 'secretsmanager' || service === 'ssm') return secretStores(roleId).has(service);
      if (action === 'ecs:RunTask' || action === 'ecs:StopTask') return reachable.preDeployTask!;
      if (['events:ListTargetsByRule', 'events:PutTargets', 'events:ListRuleNamesByTarget'].includes(action) && roleId !== 'DeploymentCoordinatorRole') return reachable.scheduledTasks!;
      return action === 'lambda:InvokeFunction' ? reachable.invoke! : (reachable[service] ?? true);
    };

    /** The IAM actions of the SDK commands in the bundles of a role's functions, less those NEVER_SENT. */
    const calledActions = (roleId: string): Set<string> => {
      const actions = new Set<string>();
      for (const fn of functionsOfRole(roleId)) {
        const entries = readZip(join(outDir, basename((fn.Properties.Code as { S3Key: string }).S3Key)));
        const js = entries.get(`${(fn.Properties.Handler as string).replace(/\.[^.]+$/, '')}.js`)!().toString('utf8');
        const { commands, declared, found } = bundledCommands(js);
        // Every command class in the bundle was read, and there is at least one.
        expect({ handler: handlerOf(fn), found }).toEqual({ handler: handlerOf(fn), found: declared });
        expect(commands.size).toBeGreaterThan(0);
        for (const command of commands) {
          const [service, operation] = command.split(':') as [string, string];
          const excused = NEVER_SENT.some((entry) => entry.service === service && (!entry.operations || entry.operations.includes(operation)) && (!entry.roles || entry.roles.includes(roleId)));
          if (excused) continue;
          const prefix = IAM_PREFIX[service];
          expect({ handler: handlerOf(fn), command, prefix }).toEqual({ handler: handlerOf(fn), command, prefix: expect.any(String) });
          const action = `${prefix}:${operation}`;
          actions.add(ACTION_OF_OPERATION[action] ?? action);
        }
      }
      return actions;
    };

    it('gives every function the role of its group, and creates no role or policy besides', () => {
      const expectedRoles = ['BatchStepsRole', 'DeploymentCoordinatorRole', 'EcsStepsRole', 'LambdaStepsRole', 'ReconcilerRole', 'SlackNotifierRole', 'SlotCoordinatorRole', 'SmokeTestsRole', 'TriggerRole'];

      const roles = functions().map(([id, fn]) => ({ handler: handlerOf(fn), role: roleIdOf(id) }));
      const stateMachineRole = (stateMachine().Properties.RoleArn as { 'Fn::GetAtt': [string, string] })['Fn::GetAtt'][0];

      expect(roles).toEqual(roles.map(({ handler }) => ({ handler, role: groupRoleOf(handler) })));
      expect(functionRoleIds()).toEqual(expectedRoles);
      // Besides the functions' roles: the state machine's, and the one EventBridge Scheduler invokes the reconciler with.
      expect(sorted(resourcesOfType('AWS::IAM::Role').map(([id]) => id))).toEqual(sorted([...expectedRoles, stateMachineRole, 'ReconcileSchedulerRole']));
      expect(resourcesOfType('AWS::IAM::Policy')).toEqual([]);
      expect(resourcesOfType('AWS::IAM::ManagedPolicy')).toEqual([]);
      expect(template.Resources.IamRoleLambdaExecution).toBeUndefined();
    });

    it('lets only Lambda assume a function role, with nothing attached from outside', () => {
      for (const roleId of functionRoleIds()) {
        const { AssumeRolePolicyDocument, ManagedPolicyArns, PermissionsBoundary } = template.Resources[roleId]!.Properties;

        expect({ roleId, AssumeRolePolicyDocument }).toEqual({
          roleId,
          AssumeRolePolicyDocument: { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Principal: { Service: 'lambda.amazonaws.com' }, Action: 'sts:AssumeRole' }] },
        });
        expect(ManagedPolicyArns).toBeUndefined();
        expect(PermissionsBoundary).toBeUndefined();
      }
    });

    it("lets each role write the log groups of its own functions, and no other log group", () => {
      for (const roleId of functionRoleIds()) {
        const logStatements = policyStatements(roleId).filter((statement) => asList(statement.Action).some((action) => action.startsWith('logs:')));
        const ownLogGroups = functionsOfRole(roleId).map((fn) => `arn:aws:logs:us-east-1:123456789012:log-group:/aws/lambda/${fn.Properties.FunctionName as string}:*`);

        expect({ roleId, statements: logStatements.length }).toEqual({ roleId, statements: 1 });
        expect(sorted(asList(logStatements[0]!.Action))).toEqual(['logs:CreateLogStream', 'logs:PutLogEvents']);
        expect({ roleId, logGroups: sorted(render(asList(logStatements[0]!.Resource)) as unknown[]) }).toEqual({ roleId, logGroups: sorted(ownLogGroups) });
      }
    });

    it("grants each role exactly the calls its functions' bundles make, and the few that Lambda and the services make with it", () => {
      // The shipped deployments.yml uses every target kind: every call is checked (a pre-deploy task, which no seed has, by the builder's own test below).
      expect(Object.entries(reachable).filter(([, used]) => !used).map(([kind]) => kind)).toEqual(['preDeployTask', 'scheduledTasks', 'cloudwatch', 'ssm']);
      // DescribeEndpoints stays unsent only while nothing turns endpoint discovery on.
      for (const [, fn] of functions()) expect(Object.keys((fn.Properties.Environment as { Variables: object }).Variables)).not.toContain('AWS_ENABLE_ENDPOINT_DISCOVERY');

      const differences = functionRoleIds().map((roleId) => {
        const called = calledActions(roleId);
        const granted = new Set(actionsOf(roleId));
        const implied = [...IMPLIED_ACTIONS['*']!, ...(IMPLIED_ACTIONS[roleId] ?? [])].flatMap((entry) => entry.actions);
        // Called but not granted, and granted but neither called nor implied.
        const missing = [...called].filter((action) => isReachable(action, roleId) && !granted.has(action)).sort();
        const extra = [...granted].filter((action) => !called.has(action) && !implied.includes(action)).sort();
        return { roleId, missing, extra };
      });

      expect(differences).toEqual(functionRoleIds().map((roleId) => ({ roleId, missing: [], extra: [] })));
    });

    it('lets the smoke tests invoke the functions of the targets with invoke tests, and change nothing', () => {
      const invoked = [...new Set(config.targets.flatMap((target) => (target.lambda && target.smokeTests.some((test) => 'invoke' in test) ? [target.lambda.function] : [])))];
      const functionArns = invoked.flatMap((fn) => [`arn:aws:lambda:us-east-1:123456789012:function:${fn}`, `arn:aws:lambda:us-east-1:123456789012:function:${fn}:*`]);

      const statements = policyStatements('SmokeTestsRole').filter((statement) => !asList(statement.Action).every((action) => action.startsWith('logs:')));

      expect(invoked.length).toBeGreaterThan(0);
      expect(statements.flatMap((statement) => asList(statement.Action))).toEqual(['lambda:InvokeFunction']);
      expect(sorted(render(asList(statements[0]!.Resource)) as unknown[])).toEqual(sorted(functionArns));
      // The state machine's own role invokes the step functions; of the function roles, only this one invokes anything.
      expect(rolesGranting('lambda:InvokeFunction').filter((roleId) => functionRoleIds().includes(roleId))).toEqual(['SmokeTestsRole']);
    });

    it('lets Lambda read the images of the Lambda targets as the caller of UpdateFunctionCode, and nobody change a repository policy', () => {
      const repositories = [...new Set(config.targets.flatMap((target) => (target.lambda ? [target.repository] : [])))];

      const ecrStatements = policyStatements('LambdaStepsRole').filter((statement) => asList(statement.Action).some((action) => action.startsWith('ecr:')));
      const everyAction = allStatements(template).flatMap((statement) => asList(statement.Action));

      expect(ecrStatements).toHaveLength(1);
      expect(sorted(asList(ecrStatements[0]!.Action))).toEqual(['ecr:BatchGetImage', 'ecr:GetDownloadUrlForLayer']);
      expect(sorted(render(asList(ecrStatements[0]!.Resource)) as unknown[])).toEqual(sorted(repositories.map((r) => `arn:aws:ecr:us-east-1:123456789012:repository/${r}`)));
      expect(everyAction.filter((action) => /^ecr:(Get|Set|Delete)RepositoryPolicy$/.test(action))).toEqual([]);
    });
  });

  it('refers only to resources the template defines', () => {
    const missing: string[] = [];
    const visit = (value: unknown): void => {
      if (Array.isArray(value)) return value.forEach(visit);
      if (!value || typeof value !== 'object') return;
      const node = value as Record<string, unknown>;
      if (typeof node.Ref === 'string' && !node.Ref.startsWith('AWS::') && !template.Resources[node.Ref]) missing.push(`Ref ${node.Ref}`);
      const getAtt = node['Fn::GetAtt'];
      if (Array.isArray(getAtt) && !template.Resources[getAtt[0] as string]) missing.push(`GetAtt ${String(getAtt[0])}`);
      Object.values(node).forEach(visit);
    };

    visit(template);

    expect(missing).toEqual([]);
  });

  it('packages deployments.yml compiled (validated, defaults applied, tag globs as patterns) in the zip of every function that reads it, beside a bundled handler without YAML parser, schema library or glob matcher', () => {
    const expected = compileDeployments(config, 'deployments.yml');

    const functions = resourcesOfType('AWS::Lambda::Function');

    for (const [, fn] of functions) {
      const zipPath = join(outDir, basename((fn.Properties.Code as { S3Key: string }).S3Key));
      const entries = readZip(zipPath);
      const handlerFile = `${(fn.Properties.Handler as string).replace(/\.[^.]+$/, '')}.js`;
      expect(entries.has('deployments.yml')).toBe(false);
      expect(entries.has(handlerFile)).toBe(true);
      const js = entries.get(handlerFile)!().toString('utf8');
      // Only a function that reads the compiled file carries it (the kind steps and smoke tests find their target in the state).
      const readsConfig = js.includes('// functions/config/packaged.ts');
      const compiled = JSON.parse(entries.get(COMPILED_FILE)?.().toString('utf8') ?? 'null') as CompiledDeployments | null;
      expect({ handlerFile, compiled }).toEqual({ handlerFile, compiled: readsConfig ? expected : null });
      // esbuild marks each bundled file with its path (not minified): no YAML parser, no classic zod (zod/mini at most), no glob matcher.
      const bundles = (pkg: string) => js.includes(`// node_modules/${pkg}/`);
      expect({ handlerFile, yaml: bundles('yaml'), zod: bundles('zod/v4/classic'), picomatch: bundles('picomatch') }).toEqual({ handlerFile, yaml: false, zod: false, picomatch: false });
      // Clients are built only where they are used: only the ECS steps and the reconciler (reading what services run) carry the ECS client.
      expect({ handlerFile, ecsClient: bundles('@aws-sdk/client-ecs') }).toEqual({ handlerFile, ecsClient: handlerFile.endsWith('/ecs-steps.js') || handlerFile.endsWith('/reconcile.js') });
      expect([...entries.keys()].some((name) => name.startsWith('node_modules/'))).toBe(false);
      expect(statSync(zipPath).size).toBeLessThan(1024 * 1024);
    }
  });

  it('fails, naming the field, when deployments.yml is invalid', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'ecr-deployer-invalid-'));
    try {
      const invalid = join(dir, 'deployments.yml');
      writeFileSync(invalid, 'targets:\n  - name: web\n    repository: web\n    ecs:\n      service: web-1\n');

      const failed = await runServerlessPackage(join(dir, 'out'), { DEPLOYMENTS_FILE: invalid });

      expect(failed.code).not.toBe(0);
      expect(failed.output).toContain('ConfigError');
      expect(failed.output).toContain('targets[0].ecs.cluster');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, PACKAGE_TIMEOUT_MS);
});

jest.mock('tsx/cjs/api', () => ({
  require: (id: string, from: string): unknown => {
    const path = jest.requireActual<typeof import('node:path')>('node:path');
    return jest.requireActual(path.resolve(path.dirname(from), id));
  },
}));

describe('scripts/serverless-config.js, Slack secrets', () => {
  interface ServerlessConfigScript {
    slackSecretStatements: (config: unknown) => Statement[];
    smokeTestStatements: (config: unknown) => Statement[];
    notifierIamStatements: (context: { resolveConfigurationProperty: (path: string[]) => Promise<unknown> }) => Promise<Statement[]>;
  }
  // The script the framework runs (CommonJS). It loads the project's TypeScript through tsx,
  // which cannot run inside jest's module system: there, jest loads it (see jest.mock below).
  const script = require('../../scripts/serverless-config.js') as ServerlessConfigScript;

  const fileWith = (notifications: unknown, webDev: unknown) => ({
    targets: [
      { name: 'web', repository: 'web', ecs: { cluster: 'c', service: 'web' } },
      { name: 'web-dev', repository: 'web', ecs: { cluster: 'c', service: 'web-dev' }, notifications: webDev },
    ],
    notifications,
  });

  it('scopes each secret to its ARN: Secrets Manager names with the six-character suffix, SSM parameters by name', async () => {
    const config = fileWith(
      { slack: { webhookSecret: 'ecr-deployer/slack-webhook' } },
      { slack: { botTokenSecret: 'ssm:/ecr-deployer/slack-bot', channel: '#dev' } },
    );
    const custom: Record<string, unknown> = { notifierIamStatements: [{ Sid: 'Own', Effect: 'Allow', Action: 'logs:PutLogEvents', Resource: 'x' }], deployments: { slackSecretStatements: script.slackSecretStatements(config) } };
    const resolveConfigurationProperty = async ([, key, sub]: string[]) => (sub ? (custom[key!] as Record<string, unknown>)[sub] : custom[key!]);

    const statements = await script.notifierIamStatements({ resolveConfigurationProperty });

    expect(statements.map((statement) => [statement.Action, render(statement.Resource)])).toEqual([
      ['logs:PutLogEvents', 'x'],
      ['secretsmanager:GetSecretValue', ['arn:aws:secretsmanager:us-east-1:123456789012:secret:ecr-deployer/slack-webhook-??????']],
      ['ssm:GetParameter', ['arn:aws:ssm:us-east-1:123456789012:parameter/ecr-deployer/slack-bot']],
    ]);
  });

  it('adds no secret statement when deployments.yml names no secret', async () => {
    const custom: Record<string, unknown> = { notifierIamStatements: [], deployments: { slackSecretStatements: script.slackSecretStatements(fileWith(undefined, undefined)) } };
    const resolveConfigurationProperty = async ([, key, sub]: string[]) => (sub ? (custom[key!] as Record<string, unknown>)[sub] : custom[key!]);

    await expect(script.notifierIamStatements({ resolveConfigurationProperty })).resolves.toEqual([]);
  });

  it('stops packaging with a ConfigError on Slack settings the notifier could not use', () => {
    const config = fileWith(undefined, { slack: { botTokenSecret: 'slack/bot' } });

    expect(() => script.slackSecretStatements(config)).toThrow(expect.objectContaining({ name: 'ConfigError', message: expect.stringContaining('a bot token needs a channel') }));
  });
});

describe('scripts/serverless-config.js, the trigger rule', () => {
  const script = require('../../scripts/serverless-config.js') as { triggerDetailPattern: (repositories: string[]) => Record<string, unknown> };
  /** The whole pattern as the rule would have it, with the longest account and region. */
  const patternLength = (detail: Record<string, unknown>) =>
    JSON.stringify({ source: ['aws.ecr'], 'detail-type': ['ECR Image Action'], account: ['123456789012'], region: ['ap-southeast-5'], detail }).length;
  const repositories = (count: number) => Array.from({ length: count }, (_, i) => `team-${String(i).padStart(3, '0')}/service-repository`);

  it('lists the repositories while the event pattern stays within EventBridge’s 2048 characters', () => {
    const detail = script.triggerDetailPattern(repositories(40));

    expect(detail).toEqual({ 'action-type': ['PUSH'], result: ['SUCCESS'], 'repository-name': repositories(40) });
    expect(patternLength(detail)).toBeLessThanOrEqual(2048);
  });

  it('matches every successful push of the account instead when listing them would pass it (the trigger ignores the others)', () => {
    const many = repositories(80);
    expect(patternLength({ 'action-type': ['PUSH'], result: ['SUCCESS'], 'repository-name': many })).toBeGreaterThan(2048);

    expect(script.triggerDetailPattern(many)).toEqual({ 'action-type': ['PUSH'], result: ['SUCCESS'] });
  });
});

describe('scripts/serverless-config.js, smoke-test header secrets', () => {
  const script = require('../../scripts/serverless-config.js') as { smokeTestStatements: (config: unknown) => Statement[] };
  const { parseDeploymentsFile } = jest.requireActual<typeof import('../../functions/config/load')>('../../functions/config/load');

  it('lets the smoke tests read exactly the header secrets deployments.yml names, and invoke only functions with invoke tests', () => {
    const config = parseDeploymentsFile({
      targets: [
        { name: 'web', repository: 'web', ecs: { cluster: 'c', service: 'web' }, smokeTests: [{ http: { url: 'https://api.internal/health', headers: { Authorization: { secret: 'web/token' }, 'X-Trace': 'on' } } }] },
        { name: 'api', repository: 'api', lambda: { function: 'api' }, smokeTests: [{ invoke: {} }, { http: { url: 'https://api.internal/', headers: { Cookie: { secret: 'ssm:/api/cookie' } } } }] },
      ],
    });

    const statements = script.smokeTestStatements(config);

    expect(statements.map((statement) => [statement.Action, render(statement.Resource)])).toEqual([
      ['lambda:InvokeFunction', ['arn:aws:lambda:us-east-1:123456789012:function:api', 'arn:aws:lambda:us-east-1:123456789012:function:api:*']],
      ['secretsmanager:GetSecretValue', ['arn:aws:secretsmanager:us-east-1:123456789012:secret:web/token-??????']],
      ['ssm:GetParameter', ['arn:aws:ssm:us-east-1:123456789012:parameter/api/cookie']],
    ]);
  });

  it('grants nothing when no smoke test reads a secret or invokes a function', () => {
    const config = parseDeploymentsFile({ targets: [{ name: 'web', repository: 'web', ecs: { cluster: 'c', service: 'web' }, smokeTests: [{ http: { url: 'http://10.0.0.8/health' } }] }] });

    expect(script.smokeTestStatements(config)).toEqual([]);
  });
});

describe('scripts/serverless-config.js, function roles', () => {
  interface RoleResource {
    Type: string;
    Properties: { AssumeRolePolicyDocument: unknown; Policies: { PolicyDocument: { Statement: Statement[] } }[] };
  }
  const script = require('../../scripts/serverless-config.js') as {
    functionRoles: (context: { resolveConfigurationProperty: (path: string[]) => Promise<unknown>; resolveVariable: (variable: string) => Promise<unknown> }) => Promise<Record<string, RoleResource>>;
  };
  const groups = ['TriggerRole', 'SlotCoordinatorRole', 'DeploymentCoordinatorRole', 'EcsStepsRole', 'BatchStepsRole', 'LambdaStepsRole', 'SmokeTestsRole', 'ReconcilerRole'];

  /** One function per group (`<role>-fn`), as serverless.yml would declare them. */
  const contextWith = (functions: Record<string, { role?: string; name?: string }>) => {
    const config: Record<string, unknown> = { functions, service: 'svc', custom: { stateMachineName: 'svc-dev-deploy', deployments: { roleStatements: {} } } };
    return {
      resolveConfigurationProperty: async (path: string[]) => path.reduce<unknown>((value, key) => (value as Record<string, unknown> | undefined)?.[key], config),
      resolveVariable: async (variable: string) => (variable === 'sls:stage' ? 'dev' : undefined),
    };
  };
  const oneEach = (): Record<string, { role?: string; name?: string }> => Object.fromEntries(groups.map((role) => [`${role.toLowerCase()}-fn`, { role }]));

  it('lets a role whose target kind deployments.yml does not use write its own logs, and nothing else', async () => {
    const functions = { ...oneEach(), 'ecs-a': { role: 'EcsStepsRole' }, 'ecs-b': { role: 'EcsStepsRole', name: 'custom-name' } };

    const roles = await script.functionRoles(contextWith(functions));

    const statements = roles.EcsStepsRole!.Properties.Policies.flatMap((policy) => policy.PolicyDocument.Statement);
    expect(Object.keys(roles).sort()).toEqual([...groups].sort());
    expect(statements.map((statement) => [statement.Action, render(statement.Resource)])).toEqual([
      [
        ['logs:CreateLogStream', 'logs:PutLogEvents'],
        ['svc-dev-ecsstepsrole-fn', 'svc-dev-ecs-a', 'custom-name'].map((name) => `arn:aws:logs:us-east-1:123456789012:log-group:/aws/lambda/${name}:*`),
      ],
    ]);
  });

  it.each([
    ['names no role', { role: undefined }, 'function stray names no role'],
    ['names a role no group has', { role: 'DeployerRole' }, 'function stray names the role DeployerRole'],
  ])('stops packaging with a ConfigError when a function %s', async (_, stray, message) => {
    const functions = { ...oneEach(), stray };

    const roles = script.functionRoles(contextWith(functions));

    await expect(roles).rejects.toThrow(expect.objectContaining({ name: 'ConfigError', message: expect.stringContaining(message) }));
  });

  it('stops packaging with a ConfigError when no function names a role', async () => {
    const { 'deploymentcoordinatorrole-fn': _unused, ...functions } = oneEach();

    const roles = script.functionRoles(contextWith(functions));

    await expect(roles).rejects.toThrow(expect.objectContaining({ name: 'ConfigError', message: expect.stringContaining('no function names the role DeploymentCoordinatorRole') }));
  });
});

describe('scripts/serverless-config.js, ECS pre-deploy tasks', () => {
  const script = require('../../scripts/serverless-config.js') as { ecsStatements: (targets: unknown[]) => Statement[] };
  const ecsTarget = (name: string, cluster: string, preDeployTask?: object) => ({ name, repository: name, ecs: { cluster, service: name, ...(preDeployTask ? { preDeployTask } : {}) } });

  it('lets the ECS steps run and stop one-off tasks only in the clusters of targets with a pre-deploy task', () => {
    const statements = script.ecsStatements([ecsTarget('api', 'prod', { command: ['migrate'] }), ecsTarget('web', 'edge')]);
    const of = (action: string) => statements.filter((statement) => asList(statement.Action).includes(action));

    expect(of('ecs:RunTask')).toHaveLength(1);
    expect(render(of('ecs:RunTask')[0]!.Condition?.ArnEquals?.['ecs:cluster'])).toEqual(['arn:aws:ecs:us-east-1:123456789012:cluster/prod']);
    expect(render(of('ecs:RunTask')[0]!.Resource)).toMatch(/:task-definition\/\*$/);
    expect(render(asList(of('ecs:StopTask')[0]!.Resource))).toEqual([expect.stringMatching(/:task\/prod\/\*$/)]);
  });

  it('grants neither without one', () => {
    const actions = script.ecsStatements([ecsTarget('web', 'edge')]).flatMap((statement) => asList(statement.Action));

    expect(actions).not.toContain('ecs:RunTask');
    expect(actions).not.toContain('ecs:StopTask');
  });
});

describe('scripts/serverless-config.js, scheduled tasks', () => {
  const script = require('../../scripts/serverless-config.js') as { ecsStatements: (targets: unknown[]) => Statement[]; batchStatements: (targets: unknown[]) => Statement[] };
  const ecsTarget = (name: string, scheduledTasks?: unknown) => ({ name, repository: name, smokeTests: [], ecs: { cluster: 'prod', service: name, ...(scheduledTasks ? { scheduledTasks } : {}) } });
  const of = (statements: Statement[], action: string) => statements.filter((statement) => asList(statement.Action).includes(action));

  it('lets the ECS steps read and re-point only the named rules, and pass only the named roles, to EventBridge only', () => {
    const statements = script.ecsStatements([ecsTarget('api', { rules: ['api-nightly', 'api-hourly'], eventsRoles: ['service-role/api-events'] }), ecsTarget('web', ['web-nightly']), ecsTarget('batchless')]);

    expect(render(asList(of(statements, 'events:PutTargets')[0]!.Resource))).toEqual(['api-nightly', 'api-hourly', 'web-nightly'].map((rule) => `arn:aws:events:us-east-1:123456789012:rule/${rule}`));
    expect(of(statements, 'events:ListTargetsByRule')).toEqual(of(statements, 'events:PutTargets'));
    expect(of(statements, 'events:ListRuleNamesByTarget')).toEqual([]);
    const passToEvents = statements.filter((statement) => statement.Condition?.StringEquals?.['iam:PassedToService'] === 'events.amazonaws.com');
    expect(passToEvents).toHaveLength(1);
    expect(render(asList(passToEvents[0]!.Resource))).toEqual(['arn:aws:iam::123456789012:role/service-role/api-events', 'arn:aws:iam::123456789012:role/ecsEventsRole']);
  });

  it('auto reaches every rule of the default bus, found by the cluster', () => {
    const statements = script.ecsStatements([ecsTarget('api', 'auto')]);

    expect(render(asList(of(statements, 'events:ListRuleNamesByTarget')[0]!.Resource))).toEqual(['arn:aws:events:us-east-1:123456789012:rule/*']);
    expect(render(asList(of(statements, 'events:PutTargets')[0]!.Resource))).toEqual(['arn:aws:events:us-east-1:123456789012:rule/*']);
  });

  it('lets the Batch steps re-point their named rules', () => {
    const statements = script.batchStatements([{ name: 'etl', repository: 'etl', smokeTests: [], batch: { jobDefinition: 'etl', scheduledJobs: { rules: ['etl-0300'], eventsRoles: ['etl-submit'] } } }]);

    expect(render(asList(of(statements, 'events:PutTargets')[0]!.Resource))).toEqual(['arn:aws:events:us-east-1:123456789012:rule/etl-0300']);
    expect(render(asList(statements.find((statement) => statement.Condition?.StringEquals?.['iam:PassedToService'] === 'events.amazonaws.com')!.Resource))).toEqual(['arn:aws:iam::123456789012:role/etl-submit']);
  });

  it('grants no EventBridge rule or role without scheduled tasks', () => {
    const actions = [...script.ecsStatements([ecsTarget('web')]), ...script.batchStatements([{ name: 'etl', repository: 'etl', smokeTests: [], batch: { jobDefinition: 'etl' } }])].flatMap((statement) => asList(statement.Action));

    expect(actions.filter((action) => action.startsWith('events:'))).toEqual([]);
  });
});

describe('scripts/serverless-config.js, alarms', () => {
  const script = require('../../scripts/serverless-config.js') as { smokeTestStatements: (config: unknown) => Statement[] };
  const target = (name: string, alarms?: string[]) => ({ name, repository: name, smokeTests: [], ecs: { cluster: 'prod', service: name }, ...(alarms ? { alarms: { names: alarms } } : {}) });

  it('lets the smoke-test steps read the named alarms only', () => {
    const statements = script.smokeTestStatements({ targets: [target('api', ['api-p99 latency', 'api-5xx']), target('web', ['api-5xx']), target('quiet')] });
    const read = statements.filter((statement) => asList(statement.Action).includes('cloudwatch:DescribeAlarms'));

    expect(read).toHaveLength(1);
    expect(sorted(asList(read[0]!.Action))).toEqual(['cloudwatch:DescribeAlarmHistory', 'cloudwatch:DescribeAlarms']);
    expect(render(asList(read[0]!.Resource))).toEqual(['arn:aws:cloudwatch:us-east-1:123456789012:alarm:api-p99 latency', 'arn:aws:cloudwatch:us-east-1:123456789012:alarm:api-5xx']);
  });

  it('grants no CloudWatch action without alarms', () => {
    const actions = script.smokeTestStatements({ targets: [target('quiet')] }).flatMap((statement) => asList(statement.Action));

    expect(actions.filter((action) => action.startsWith('cloudwatch:'))).toEqual([]);
  });
});
