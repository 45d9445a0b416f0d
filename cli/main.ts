import '../local/quiet';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Command, CommanderError, InvalidArgumentError } from 'commander';
import { approveCommand, rejectCommand } from './commands/approve';
import { deployCommand } from './commands/deploy';
import { promoteCommand } from './commands/promote';
import { initCommand } from './commands/init';
import { snapshotCommand } from './commands/snapshot';
import { verifyCommand } from './commands/verify';
import { planCommand } from './commands/plan';
import { rollbackCommand } from './commands/rollback';
import { historyCommand, statusCommand } from './commands/status';
import { validateCommand } from './commands/validate';
import { watchCommand } from './commands/watch';
import { openContext, type CliContext, type CliDeps, type GlobalOptions } from './context';
import { CliError, explainError } from './errors';
import { Output } from './output';

/**
 * `npx ecr-deployer …`: deploy, roll back, watch, status, plan and validate, from
 * a terminal. Uses the AWS SDK's default credential chain and region (or --profile
 * and --region); --local runs every command against the simulated account of
 * `npm start`.
 */

const EXAMPLES = `
Examples:
  npx ecr-deployer deploy stream-ml-service --tag v1.4.0              (follows it to the end)
  npx ecr-deployer deploy stream-ml-service --tag v1.4.0 --no-wait    (starts it and returns)
  npx ecr-deployer rollback stream-ml-service
  npx ecr-deployer rollback stream-ml-service --to v1.3.0
  npx ecr-deployer promote splitter-prod                     (what splitter-staging runs and last passed)
  npx ecr-deployer approve promote-splitter-prod-20261201T101500Z
  npx ecr-deployer reject promote-splitter-prod-20261201T101500Z --reason "freeze until Monday"
  npx ecr-deployer status stream-ml-service
  npx ecr-deployer history stream-ml-service --json
  npx ecr-deployer history --environment prod --since 2026-03-01 --until 2026-04-01
  npx ecr-deployer watch stream-ml-service-7f5b2640fe6fb4f46592dfd3410c4a79
  npx ecr-deployer plan canvas-service --tag v2.1.0
  npx ecr-deployer validate
  npx ecr-deployer init --cluster prod --service api      (prints a target for deployments.yml)
  npx ecr-deployer verify stream-ml-service                (read-only checks before the first push)
  npx ecr-deployer --local deploy stream-ml-service --tag v1.4.0   (no AWS needed)
  npx ecr-deployer --local -f my.yml deploy web --tag v1.2.3        (rehearse your own file)
  npx ecr-deployer --local -f my.yml --fail-smoke web deploy web --tag v1.2.4

The state machine: --state-machine-arn, else ECR_DEPLOYER_STATE_MACHINE_ARN, else
ecr-deployer-<stage>-deploy in the region (--stage, ECR_DEPLOYER_STAGE, default dev).
Exit codes: 0 done (a followed deployment SUCCEEDED; with --no-wait, started), 1 failed, refused
or still running at --timeout, 2 usage.`;

function version(): string {
  const pkg = JSON.parse(readFileSync(join(__dirname, '..', 'package.json'), 'utf8')) as { version?: string };
  return pkg.version ?? '0.0.0';
}

function positiveInteger(value: string): number {
  const parsed = Number(value);
  if (!Number.isInteger(parsed) || parsed < 1) throw new InvalidArgumentError('must be a whole number of at least 1');
  return parsed;
}

/** A date or a time, ISO 8601; a bare date is midnight UTC. */
function isoTime(value: string): Date {
  const parsed = /^\d{4}-\d{2}(-\d{2})?([T ][\d:.]+(Z|[+-]\d{2}:?\d{2})?)?$/.test(value) ? new Date(/[T ]/.test(value) && !/(Z|[+-]\d{2}:?\d{2})$/.test(value) ? `${value}Z` : value) : new Date(Number.NaN);
  if (Number.isNaN(parsed.getTime())) throw new InvalidArgumentError('must be an ISO 8601 date or time, such as 2026-03-01 or 2026-03-01T12:00:00Z');
  return parsed;
}

/** The options of a command that starts an execution and follows it: --wait/--no-wait, --timeout, --json. */
function withFollowOptions(command: Command, what: string): Command {
  return command
    .option('--wait', `follow the ${what} until it ends; exit 0 only if it SUCCEEDED (the default)`)
    .option('--no-wait', 'start it and return: exit 0 once started')
    .option('--timeout <seconds>', `stop following after this long (the ${what} goes on); exit 1`, positiveInteger)
    .option('--json', 'at the end, one JSON document on stdout (execution, outcome, target, image, times); the progress goes to stderr');
}

function defaultDeps(overrides: Partial<CliDeps>): CliDeps {
  return {
    stdout: process.stdout,
    stderr: process.stderr,
    env: process.env,
    now: () => new Date(),
    sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
    ...overrides,
  };
}

/** Opens the context for a command, runs it, tells any error with what to do, and closes. */
async function execute(command: Command, deps: CliDeps, work: (context: CliContext) => Promise<number> | number): Promise<number> {
  let context: CliContext | undefined;
  let code: number;
  try {
    context = await openContext(command.optsWithGlobals<GlobalOptions>(), deps);
    code = await work(context);
  } catch (error) {
    const out = context?.out ?? new Output(deps.stdout, deps.stderr, deps.env);
    out.error(`error: ${explainError(error, context?.errorContext)}`);
    code = error instanceof CliError ? error.exitCode : 1;
  }
  try {
    await context?.close();
  } catch (error) {
    deps.stderr.write(`error: ${explainError(error)}\n`);
    code = code || 1;
  }
  return code;
}

function buildProgram(deps: CliDeps, setExitCode: (code: number) => void): Command {
  const program = new Command('ecr-deployer');
  program
    .description('Deploy, roll back and watch ecr-deployer targets; plan and validate.')
    .version(version())
    .option('--region <region>', 'AWS region (default: AWS_REGION or your profile)')
    .option('--profile <profile>', 'AWS profile (default: AWS_PROFILE, else the default credential chain)')
    .option('--endpoint-url <url>', 'send every AWS call to this endpoint (default: AWS_ENDPOINT_URL)')
    .option('--state-machine-arn <arn>', 'the deploy state machine (default: ECR_DEPLOYER_STATE_MACHINE_ARN, else found by stage)')
    .option('--stage <stage>', 'the stage ecr-deployer was deployed with, to find its state machine (default: ECR_DEPLOYER_STAGE or dev)')
    .option('-f, --file <path>', 'deployments.yml to read targets from (default: DEPLOYMENTS_FILE, ./deployments.yml, the repository\'s)')
    .option('--local', 'run against a simulated AWS account in this process: with --file, built from your deployments.yml (a rehearsal); without, the sample world of `npm start`. Nothing leaves 127.0.0.1')
    .option('--fail-smoke <targets>', 'with --local --file: these targets\' smoke tests fail (comma-separated), to rehearse a rollback', (value: string, previous: string[] = []) => [...previous, ...value.split(',').map((name) => name.trim()).filter(Boolean)])
    .option('--approve', 'with --local: approvals asked during this run are given at once, as local:<you> (without, they are rejected: nobody can approve while a local run waits)')
    .addHelpText('after', EXAMPLES)
    .showHelpAfterError('(add --help for usage)')
    .exitOverride()
    .configureOutput({ writeOut: (text) => deps.stdout.write(text), writeErr: (text) => deps.stderr.write(text) });

  const run = (command: Command, work: (context: CliContext) => Promise<number> | number) => execute(command, deps, work).then(setExitCode);

  withFollowOptions(program.command('deploy'), 'deployment')
    .description('deploy an image (by tag or digest) to a target through the state machine')
    .argument('<target>', 'a target of deployments.yml')
    .option('--tag <tag>', 'the image tag (looked up in ECR now; the digest is deployed)')
    .option('--digest <digest>', 'the image digest, sha256:…')
    .action((target: string, options: { tag?: string; digest?: string; wait: boolean; timeout?: number; json?: boolean }, command: Command) => run(command, (context) => deployCommand(context, target, options)));

  withFollowOptions(program.command('rollback'), 'rollback')
    .description('go back to the image the target ran before its last successful deployment (or to --to TAG)')
    .argument('<target>', 'a target of deployments.yml')
    .option('--to <tag>', 'deploy this tag instead')
    .action((target: string, options: { to?: string; wait: boolean; timeout?: number; json?: boolean }, command: Command) => run(command, (context) => rollbackCommand(context, target, options)));

  withFollowOptions(program.command('promote'), 'deployment')
    .description('deploy to a target exactly the image another target runs and last SUCCEEDED with (default: its promote.from)')
    .argument('<target>', 'a target of deployments.yml')
    .option('--from <source>', 'the target to promote from (default: promote.from of <target>)')
    .action((target: string, options: { from?: string; wait: boolean; timeout?: number; json?: boolean }, command: Command) => run(command, (context) => promoteCommand(context, target, options)));

  program
    .command('approve')
    .description('approve a deployment that waits for approval (approval.required), as you (STS GetCallerIdentity)')
    .argument('<deployment-id>', 'the execution name (in the AWAITING_APPROVAL event and Slack message)')
    .action((deploymentId: string, _options: object, command: Command) => run(command, (context) => approveCommand(context, deploymentId)));

  program
    .command('reject')
    .description('reject a deployment that waits for approval: it ends SKIPPED, nothing changed')
    .argument('<deployment-id>', 'the execution name (in the AWAITING_APPROVAL event and Slack message)')
    .requiredOption('--reason <text>', 'why, for the SKIPPED event and Slack')
    .action((deploymentId: string, options: { reason: string }, command: Command) => run(command, (context) => rejectCommand(context, deploymentId, options)));

  program
    .command('watch')
    .description('follow a deployment (an execution name or ARN, from a push, the console or the CLI) until it ends')
    .argument('<execution>', 'execution name or ARN')
    .action((execution: string, _options: object, command: Command) => run(command, (context) => watchCommand(context, execution)));

  program
    .command('status')
    .description('recent deployments, newest first: when, image, outcome, duration')
    .argument('[target]', 'only this target')
    .option('-n, --limit <n>', 'how many', positiveInteger, 10)
    .option('--json', 'one JSON document on stdout ({ stateMachineArn, deployments: [...] }), for scripts')
    .action((target: string | undefined, options: { limit: number; json?: boolean }, command: Command) => run(command, (context) => statusCommand(context, target, options)));

  program
    .command('history')
    .description("a target's deployments, newest first: when, image, outcome, duration, who (from the deployment ledger, kept ledger.retentionDays)")
    .argument('[target]', 'a target of deployments.yml')
    .option('-e, --environment <name>', "without a target: every target of this environment (deployments.yml's environment)")
    .option('-n, --limit <n>', 'how many', positiveInteger, 20)
    .option('--since <time>', 'only deployments started at or after this time (ISO 8601: 2026-03-01 or 2026-03-01T12:00:00Z)', isoTime)
    .option('--until <time>', 'only deployments started before this time', isoTime)
    .option('--json', 'one JSON document on stdout ({ stateMachineArn, source, deployments: [...] }, as status --json), for scripts')
    .action((target: string | undefined, options: { limit: number; json?: boolean; since?: Date; until?: Date; environment?: string }, command: Command) => run(command, (context) => historyCommand(context, target, options)));

  program
    .command('plan')
    .description('dry run: what deploying an image would change in the live definition (changes nothing)')
    .argument('<target>', 'a target of deployments.yml')
    .option('--tag <tag>', 'the image tag')
    .option('--digest <digest>', 'the image digest, sha256:…')
    .option('--json', 'one JSON document on stdout ({ target, kind, image, live, images: [{ name, before, after, changes }], otherChanges, then, wouldFail }), for scripts')
    .action((target: string, options: { tag?: string; digest?: string; json?: boolean }, command: Command) => run(command, (context) => planCommand(context, target, options)));

  program
    .command('init')
    .description("print the targets for deployments.yml of a service, job definition or function, read from AWS (read-only)")
    .option('--cluster <cluster>', 'the ECS cluster (with --service)')
    .option('--service <service>', 'the ECS service')
    .option('--job-definition <name>', 'the AWS Batch job definition')
    .option('--function <name>', 'the container-image Lambda function')
    .option('--environment <environment>', 'the targets\' environment label', 'default')
    .action((options: { cluster?: string; service?: string; jobDefinition?: string; function?: string; environment: string }, command: Command) => run(command, (context) => initCommand(context, options)));

  program
    .command('snapshot')
    .description('save what the targets run (task definition, job definition, function image) beside deployments.yml, for --local -f to rehearse on (read-only)')
    .argument('[targets...]', 'targets of deployments.yml (default: all)')
    .action((targets: string[], _options: object, command: Command) => run(command, (context) => snapshotCommand(context, targets)));

  program
    .command('verify')
    .description('check against AWS, read-only, what a deployment of the target needs: the resource, its roles in passRoles, the repository, the secrets it references, the image\'s platform')
    .argument('<target>', 'a target of deployments.yml')
    .option('--tag <tag>', "check this image's platform (default: the newest image with a tag the target deploys)")
    .action((target: string, options: { tag?: string }, command: Command) => run(command, (context) => verifyCommand(context, target, options)));

  program
    .command('validate')
    .description('check deployments.yml and list its targets')
    .action((_options: object, command: Command) => run(command, (context) => validateCommand(context)));

  return program;
}

/**
 * Runs the CLI with `argv` (the arguments after the program name) and returns the
 * exit code. `overrides` replace the process's streams, environment and clock (tests).
 *
 * @example
 * process.exitCode = await main(['status', 'stream-ml-service']);
 */
async function main(argv: string[], overrides: Partial<CliDeps> = {}): Promise<number> {
  const deps = defaultDeps(overrides);
  let exitCode = 0;
  const program = buildProgram(deps, (code) => {
    exitCode = code;
  });
  if (argv.length === 0) {
    program.outputHelp();
    return 2;
  }
  try {
    await program.parseAsync(argv, { from: 'user' });
  } catch (error) {
    if (error instanceof CommanderError) return error.exitCode === 0 ? 0 : 2;
    throw error;
  }
  return exitCode;
}

export { main };
