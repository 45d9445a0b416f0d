import { existsSync } from 'node:fs';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { SSMClient } from '@aws-sdk/client-ssm';
import { join, resolve } from 'node:path';
import { BatchClient } from '@aws-sdk/client-batch';
import { ECRClient } from '@aws-sdk/client-ecr';
import { ECSClient } from '@aws-sdk/client-ecs';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { STSClient } from '@aws-sdk/client-sts';
import { LambdaClient } from '@aws-sdk/client-lambda';
import { paginateListStateMachines, SFNClient, type SFNClientConfig } from '@aws-sdk/client-sfn';
import { loadDeploymentsFile } from '../functions/config/load';
import type { DeploymentsFile } from '../functions/config/schema';
import type { LedgerTable } from '../functions/ledger/store';
import type { SlotTable } from '../functions/slots/store';
import { CliError, type ErrorContext } from './errors';
import { Output, type Writer } from './output';

/** The options every command takes (before or after the command name). */
interface GlobalOptions {
  region?: string;
  profile?: string;
  endpointUrl?: string;
  stateMachineArn?: string;
  stage?: string;
  file?: string;
  local?: boolean;
  /** With --local and --file: targets whose smoke tests fail in the rehearsal. */
  failSmoke?: string[];
  /** With --local: approvals asked during this run are given at once. */
  approve?: boolean;
}

/** What the CLI gets from its surroundings; tests replace them. */
interface CliDeps {
  stdout: Writer;
  stderr: Writer;
  env: NodeJS.ProcessEnv;
  now: () => Date;
  sleep: (ms: number) => Promise<void>;
  /** Between two looks at a running execution (default 2000 ms; 20 ms with --local). */
  pollMs?: number;
  /** Credentials for every client instead of the SDK's default chain (tests). */
  credentials?: SFNClientConfig['credentials'];
  /** How long Wait states and retry pauses last with --local (default 100 ms). */
  localWaitMs?: number;
}

interface AwsClients {
  sfn: SFNClient;
  ecr: ECRClient;
  ecs: ECSClient;
  batch: BatchClient;
  lambda: LambdaClient;
  /** `verify` only: DescribeSecret and DescribeParameters, never a value. */
  secrets: SecretsManagerClient;
  ssm: SSMClient;
  /** `approve` and `reject`: who the caller is, and the slot table they write the decision to. */
  sts: STSClient;
  dynamodb: DynamoDBClient;
}

/** The embedded simulated account of --local (cli/local.ts). */
interface LocalSession {
  stateMachineArn: string;
  deploymentsFile: string;
  region: string;
  /** What is simulated, in words (said on stderr before the command's output). */
  simulated: string[];
  close(): Promise<void>;
}

interface CliContext {
  out: Output;
  deps: CliDeps;
  options: GlobalOptions;
  clients: AwsClients;
  local?: LocalSession;
  /** What errors are told with. */
  errorContext: ErrorContext;
  region(): Promise<string>;
  stateMachineArn(): Promise<string>;
  deploymentsFile(): string;
  loadConfig(): DeploymentsFile;
  /** The stack's slot table (ECR_DEPLOYER_SLOTS_TABLE, else ecr-deployer-<stage>-slots); with --local, the local stack's own (undefined). */
  slotTable(): SlotTable | undefined;
  /** The stack's deployment ledger (ECR_DEPLOYER_LEDGER_TABLE, else ecr-deployer-<stage>-ledger); with --local, the local stack's own (undefined). */
  ledgerTable(): LedgerTable | undefined;
  close(): Promise<void>;
}

/** The repository root, where deployments.yml is. */
const PROJECT_ROOT = resolve(__dirname, '..');

interface ClientConfig {
  region?: string;
  profile?: string;
  endpoint?: string;
  credentials?: SFNClientConfig['credentials'];
  maxAttempts: number;
}

function createClients(config: ClientConfig): AwsClients {
  const defined = Object.fromEntries(Object.entries(config).filter(([, value]) => value !== undefined)) as ClientConfig;
  return {
    sfn: new SFNClient(defined),
    ecr: new ECRClient(defined),
    ecs: new ECSClient(defined),
    batch: new BatchClient(defined),
    lambda: new LambdaClient(defined),
    secrets: new SecretsManagerClient(defined),
    ssm: new SSMClient(defined),
    sts: new STSClient(defined),
    dynamodb: new DynamoDBClient(defined),
  };
}

/**
 * The deploy state machine: --state-machine-arn, else ECR_DEPLOYER_STATE_MACHINE_ARN,
 * else the state machine the stack of `stage` created, `ecr-deployer-<stage>-deploy`
 * (found with ListStateMachines).
 */
async function findStateMachineArn(sfn: SFNClient, stage: string, region: string): Promise<string> {
  const name = `ecr-deployer-${stage}-deploy`;
  const others: string[] = [];
  for await (const page of paginateListStateMachines({ client: sfn }, {})) {
    const found = page.stateMachines?.find((machine) => machine.name === name);
    if (found?.stateMachineArn) return found.stateMachineArn;
    others.push(...(page.stateMachines ?? []).map((machine) => machine.name ?? '').filter((other) => /^ecr-deployer-.+-deploy$/.test(other)));
  }
  const stages = others.map((other) => other.slice('ecr-deployer-'.length, -'-deploy'.length));
  throw new CliError(
    [
      `no state machine named ${name} in ${region}: ecr-deployer's stack for stage "${stage}" is not deployed here.`,
      stages.length > 0
        ? `This region has ${others.join(', ')}: pass ${stages.map((other) => `--stage ${other}`).join(' or ')} (or set ECR_DEPLOYER_STAGE).`
        : 'Wrong region? Pass --region. Another stage? Pass --stage or set ECR_DEPLOYER_STAGE.',
      'Or give the ARN with --state-machine-arn / ECR_DEPLOYER_STATE_MACHINE_ARN (the stack output DeployStateMachineArn).',
    ].join('\n'),
  );
}

/** --file, else DEPLOYMENTS_FILE, else ./deployments.yml, else the repository's. */
function deploymentsFileOf(options: GlobalOptions, env: NodeJS.ProcessEnv): string {
  if (options.file) return resolve(options.file);
  if (env.DEPLOYMENTS_FILE) return resolve(env.DEPLOYMENTS_FILE);
  const here = resolve('deployments.yml');
  return existsSync(here) ? here : join(PROJECT_ROOT, 'deployments.yml');
}

/**
 * Clients and settings for one command. With --local, everything runs against
 * the embedded simulated account (nothing leaves 127.0.0.1).
 */
async function openContext(options: GlobalOptions, deps: CliDeps): Promise<CliContext> {
  const out = new Output(deps.stdout, deps.stderr, deps.env);
  let local: LocalSession | undefined;
  let clients: AwsClients;
  const endpoint = options.endpointUrl ?? deps.env.AWS_ENDPOINT_URL;
  if (options.local) {
    // Loaded only for --local: the simulated account and the real state machine with every step handler.
    const { openLocalSession } = require('./local') as typeof import('./local');
    // With --file, the person's own deployments.yml is rehearsed; without, the sample world of `npm start`.
    local = await openLocalSession({
      waitMs: deps.localWaitMs ?? 100,
      file: options.file ? resolve(options.file) : undefined,
      failSmoke: options.failSmoke,
      approveAs: options.approve ? `local:${deps.env.USER ?? deps.env.USERNAME ?? 'you'}` : undefined,
    });
    for (const line of local.simulated) out.error(`local: ${line}`);
    // Intercepted by the simulated account; were anything not, it would go to 127.0.0.1, never to AWS.
    clients = createClients({ region: local.region, endpoint: 'http://127.0.0.1:9', credentials: { accessKeyId: 'local', secretAccessKey: 'local' }, maxAttempts: 1 });
  } else {
    clients = createClients({ region: options.region, profile: options.profile, endpoint, credentials: deps.credentials, maxAttempts: 5 });
  }
  const errorContext: ErrorContext = { endpoint };
  let arn: string | undefined;
  const context: CliContext = {
    out,
    deps,
    options,
    clients,
    local,
    errorContext,
    async region() {
      const region = await clients.sfn.config.region();
      errorContext.region = region;
      return region;
    },
    async stateMachineArn() {
      if (arn) return arn;
      const stage = options.stage ?? deps.env.ECR_DEPLOYER_STAGE ?? 'dev';
      arn = local?.stateMachineArn ?? options.stateMachineArn ?? deps.env.ECR_DEPLOYER_STATE_MACHINE_ARN ?? (await findStateMachineArn(clients.sfn, stage, await context.region()));
      errorContext.stateMachineArn = arn;
      errorContext.region ??= arn.split(':')[3];
      return arn;
    },
    deploymentsFile() {
      return local?.deploymentsFile ?? deploymentsFileOf(options, deps.env);
    },
    loadConfig() {
      return loadDeploymentsFile(context.deploymentsFile());
    },
    slotTable() {
      if (local) return undefined;
      const stage = options.stage ?? deps.env.ECR_DEPLOYER_STAGE ?? 'dev';
      return { client: clients.dynamodb, name: deps.env.ECR_DEPLOYER_SLOTS_TABLE ?? `ecr-deployer-${stage}-slots` };
    },
    ledgerTable() {
      if (local) return undefined;
      const stage = options.stage ?? deps.env.ECR_DEPLOYER_STAGE ?? 'dev';
      return { client: clients.dynamodb, name: deps.env.ECR_DEPLOYER_LEDGER_TABLE ?? `ecr-deployer-${stage}-ledger` };
    },
    async close() {
      for (const client of Object.values(clients)) client.destroy();
      await local?.close();
    },
  };
  return context;
}

/** The Step Functions console page of an execution (none for --local or a custom endpoint). */
function consoleUrl(context: CliContext, executionArn: string, region: string): string | undefined {
  if (context.local || context.errorContext.endpoint) return undefined;
  return `https://${region}.console.aws.amazon.com/states/home?region=${region}#/v2/executions/details/${executionArn}`;
}

export { openContext, consoleUrl, createClients, findStateMachineArn, PROJECT_ROOT };
export type { CliContext, CliDeps, GlobalOptions, AwsClients, LocalSession };
