import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { RegisterJobDefinitionCommandInput } from '@aws-sdk/client-batch';
import type { ContainerDefinition, RegisterTaskDefinitionCommandInput } from '@aws-sdk/client-ecs';
import { GetParameterCommand, SSMClient } from '@aws-sdk/client-ssm';
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { mockClient } from 'aws-sdk-client-mock';
import { compileDeployments, tagPattern } from '../functions/config/compile';
import { findImageSlots } from '../functions/batch/job-definition';
import { loadDeploymentsFile } from '../functions/config/load';
import { parseImageReference } from '../functions/shared/image';
import type { DeploymentsFile, HttpSmokeTest, TargetConfig } from '../functions/config/schema';
import { SimulatedAwsAccount } from './simulated-account';
import { deployPush } from './deploy-push';
import { fakeDigest } from './simulated-ecr';
import { inRegistry, readSnapshot, type TargetSnapshot } from './snapshots';
import { approvingApprover, startLocalStack } from './stack';
import type { LocalRunOptions } from './state-machine';

/**
 * `--local -f FILE` (and `npm start -- -f FILE`): a person's own deployments.yml,
 * rehearsed. The simulated account is built from the file: per target, a service,
 * job definition or function with plausible definitions (containers named as
 * configured, images from the configured repositories, the passRoles as its roles),
 * each running a first image of its repository. Any tag looked up exists, pushed on
 * first use. Smoke tests are answered by a stand-in on 127.0.0.1 that gives each what
 * it expects, or fails it for the targets in `failSmoke`. The real trigger, state
 * machine and handlers run on it; nothing leaves this machine.
 */

/** The tag of the image every target runs when the rehearsal begins. */
const FIRST_TAG = 'rehearsal-start';

interface RehearsalOptions {
  /** The person's deployments.yml. */
  file: string;
  /** Targets whose smoke tests fail (HTTP 500, a failed test job, an invoke error), to rehearse a rollback. */
  failSmoke?: string[];
  waitMs?: LocalRunOptions['waitMs'];
  /** Deploy each target once first, through a push (smoke tests passing): there is then a deployment to show and to roll back to. */
  firstDeployments?: boolean;
  /** Approvals asked during the rehearsal are given at once, as this (without: rejected, since nobody can approve meanwhile). */
  approveAs?: string;
}

interface Rehearsal {
  account: SimulatedAwsAccount;
  /** The person's file, its smoke-test URLs pointed at the stand-in. */
  deploymentsFile: string;
  /** The same, compiled as packaging compiles it: what the stack's functions read (DEPLOYMENTS_FILE). */
  compiledFile: string;
  config: DeploymentsFile;
  /** What is simulated, in words, for the output. */
  simulated: string[];
  /** An ECR push event of `tag` to the target's repository (the image pushed first), or why no tag is at hand. */
  pushOf: (target: TargetConfig) => { event: EcrPushEvent; tag: string } | { none: string };
  close: () => Promise<void>;
}

interface EcrPushEvent {
  version: '0';
  id: string;
  'detail-type': 'ECR Image Action';
  source: 'aws.ecr';
  account: string;
  time: string;
  region: string;
  resources: string[];
  detail: { result: 'SUCCESS'; 'repository-name': string; 'image-digest': string; 'action-type': 'PUSH'; 'image-tag': string };
}

/** Tags tried, in order, for a rehearsed push: the first a target's globs match is pushed. */
const CANDIDATE_TAGS = ['v1.0.0', '1.0.0', 'v1', 'rehearsal', 'latest', 'main', 'release-1.0.0', 'prod', 'staging', 'dev', 'test', 'sha-0a1b2c3'];

const matcherOf = (target: TargetConfig) => {
  const patterns = target.tags.map((glob) => new RegExp(tagPattern(glob)));
  return (tag: string) => patterns.some((pattern) => pattern.test(tag));
};

/**
 * A tag the target's globs match (a candidate, or a glob with its wildcards filled
 * in), preferably one no other target of the repository takes: each push then
 * rehearses its own target where the globs allow it.
 */
function tagFor(target: TargetConfig, targets: TargetConfig[]): string | undefined {
  const matches = matcherOf(target);
  const others = targets.filter((other) => other.name !== target.name && other.repository === target.repository).map(matcherOf);
  const candidates = [...CANDIDATE_TAGS, ...target.tags.map((glob) => glob.replace(/\*+/g, 'rehearsal').replace(/\?/g, 'x'))].filter(matches);
  return candidates.find((tag) => !others.some((other) => other(tag))) ?? candidates[0];
}

/** A container name from a repository name (`team/web-app` → `web-app`). */
function containerNameOf(repository: string): string {
  return (repository.split('/').pop() ?? repository).replace(/[^A-Za-z0-9_-]/g, '-').slice(0, 255);
}

function roleArn(account: SimulatedAwsAccount, role: string | undefined, fallback: string): string {
  return `arn:aws:iam::${account.accountId}:role/${role ?? fallback}`;
}

function firstImage(account: SimulatedAwsAccount, repository: string): string {
  const digest = fakeDigest(`${repository}:${FIRST_TAG}`);
  account.ecr.pushImage(repository, digest, [FIRST_TAG]);
  return account.imageUri(repository, digest);
}

/** One service per cluster/service, its containers those of every target that deploys to it. */
function buildServices(account: SimulatedAwsAccount, targets: TargetConfig[], snapshotOf: SnapshotLookup): void {
  const byService = new Map<string, TargetConfig[]>();
  for (const target of targets) {
    if (!target.ecs) continue;
    const key = `${target.ecs.cluster}/${target.ecs.service}`;
    byService.set(key, [...(byService.get(key) ?? []), target]);
  }
  for (const sharing of byService.values()) {
    const { cluster, service } = sharing[0]!.ecs!;
    const snapshot = sharing.map((target) => snapshotOf(target)).find((found) => found?.kind === 'ecs');
    if (snapshot?.kind === 'ecs') {
      const { taskDefinition, tags } = inRegistry(snapshot, account.registry);
      for (const target of sharing) for (const container of taskDefinition.containerDefinitions ?? []) pushRunningImage(account, target.repository, container.image);
      const registered = account.registerTaskDefinition({ ...(taskDefinition as RegisterTaskDefinitionCommandInput), tags });
      account.createService({ cluster, name: service, taskDefinitionArn: registered.taskDefinitionArn ?? '', desiredCount: 2 });
      continue;
    }
    const containers: ContainerDefinition[] = sharing.flatMap((target) =>
      (target.ecs?.containers ?? [containerNameOf(target.repository)]).map((name) => ({
        name,
        image: firstImage(account, target.repository),
        essential: true,
        portMappings: [{ containerPort: 8080, protocol: 'tcp' as const }],
      })),
    );
    const roles = sharing.flatMap((target) => target.ecs?.passRoles ?? []);
    const taskDefinition = account.registerTaskDefinition({
      family: service,
      networkMode: 'awsvpc',
      requiresCompatibilities: ['FARGATE'],
      cpu: '512',
      memory: '1024',
      executionRoleArn: roleArn(account, roles[0], 'ecsTaskExecutionRole'),
      ...(roles[1] ? { taskRoleArn: roleArn(account, roles[1], 'ecsTaskRole') } : {}),
      containerDefinitions: containers,
    });
    account.createService({ cluster, name: service, taskDefinitionArn: taskDefinition.taskDefinitionArn ?? '', desiredCount: 2 });
  }
}

function jobDefinitionOf(account: SimulatedAwsAccount, target: TargetConfig): RegisterJobDefinitionCommandInput {
  const batch = target.batch!;
  const roles = batch.passRoles ?? [];
  const image = firstImage(account, target.repository);
  const executionRoleArn = roleArn(account, roles[0], 'ecsTaskExecutionRole');
  const base = { jobDefinitionName: batch.jobDefinition, type: 'container', platformCapabilities: ['FARGATE'] };
  if (batch.containers) {
    return {
      ...base,
      ecsProperties: { taskProperties: [{ executionRoleArn, containers: batch.containers.map((name) => ({ name, image, essential: true })) }] },
    } as RegisterJobDefinitionCommandInput;
  }
  return {
    ...base,
    containerProperties: {
      image,
      command: ['run'],
      executionRoleArn,
      ...(roles[1] ? { jobRoleArn: roleArn(account, roles[1], 'batchJobRole') } : {}),
      resourceRequirements: [
        { type: 'VCPU', value: '1' },
        { type: 'MEMORY', value: '2048' },
      ],
    },
  } as RegisterJobDefinitionCommandInput;
}

type SnapshotLookup = (target: TargetConfig) => TargetSnapshot | undefined;

/** A snapshot's image of the repository, in the simulated ECR: by its digest, or pushed under its tag. */
function pushRunningImage(account: SimulatedAwsAccount, repository: string, image: string | undefined): void {
  if (!image) return;
  const parsed = parseImageReference(image);
  if (parsed.registry !== account.registry || parsed.repository !== repository) return;
  account.ecr.pushImage(repository, parsed.digest ?? fakeDigest(`${repository}:${parsed.tag ?? 'latest'}`), parsed.digest ? [] : [parsed.tag ?? 'latest']);
}

/**
 * The account a file describes: its services, job definitions and functions, each
 * from its snapshot when one was saved (`ecr-deployer snapshot`), else plausible and
 * on a first image.
 */
function buildRehearsalWorld(config: DeploymentsFile, snapshotOf: SnapshotLookup = () => undefined): SimulatedAwsAccount {
  const account = new SimulatedAwsAccount();
  buildServices(account, config.targets, snapshotOf);
  const jobDefinitions = new Set<string>();
  for (const target of config.targets) {
    const snapshot = snapshotOf(target);
    if (target.batch && !jobDefinitions.has(target.batch.jobDefinition)) {
      jobDefinitions.add(target.batch.jobDefinition);
      if (snapshot?.kind === 'batch') {
        const { jobDefinition } = inRegistry(snapshot, account.registry);
        for (const slot of findImageSlots(jobDefinition)) pushRunningImage(account, target.repository, slot.image);
        account.batch.registerJobDefinition(jobDefinition as RegisterJobDefinitionCommandInput);
      } else {
        account.batch.registerJobDefinition(jobDefinitionOf(account, target));
      }
    }
    if (target.lambda && !account.lambda.functions.has(target.lambda.function)) {
      const imageUri = snapshot?.kind === 'lambda' ? inRegistry(snapshot, account.registry).imageUri : firstImage(account, target.repository);
      if (snapshot?.kind === 'lambda') pushRunningImage(account, target.repository, imageUri);
      account.lambda.createFunction({ name: target.lambda.function, imageUri, version: '1', alias: target.lambda.alias });
      // What its invoke smoke tests expect, so that a healthy rehearsal passes them.
      const expected = target.smokeTests.flatMap((test) => ('invoke' in test && test.invoke.expectPayloadContains ? [test.invoke.expectPayloadContains] : []));
      account.lambda.answers.set(target.lambda.function, { statusCode: 200, body: expected.join(' ') || 'ok', rehearsal: true });
    }
    account.ecr.createRepository(target.repository);
  }
  return account;
}

interface StandInAnswer {
  target: string;
  status: number;
  body: string;
}

/** The HTTP stand-in: `/smoke/<target>/<n>` answers what that smoke test expects. */
async function startStandIn(answers: Map<string, StandInAnswer>, failing: Set<string>): Promise<{ url: string; close: () => Promise<void> }> {
  const server: Server = createServer((request, response) => {
    const found = answers.get(new URL(request.url ?? '/', 'http://stand-in').pathname);
    const answer = !found ? { status: 404, body: 'no such smoke test in this rehearsal' } : failing.has(found.target) ? { status: 500, body: 'rehearsed failure (--fail-smoke)' } : found;
    response.writeHead(answer.status, { 'content-type': 'text/plain' });
    response.end(request.method === 'HEAD' ? undefined : answer.body);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}`, close: () => new Promise<void>((resolve) => server.close(() => resolve())) };
}

/** A body that passes the test: its expectJson paths with their values (and its bodyContains), else its bodyContains. */
function expectedBody(test: HttpSmokeTest): string {
  if (!test.expectJson) return test.bodyContains ?? 'ok';
  const document: Record<string, unknown> = {};
  for (const [path, value] of Object.entries(test.expectJson)) {
    const keys = path.split('.');
    let holder = document;
    for (const key of keys.slice(0, -1)) holder = (holder[key] ??= {}) as Record<string, unknown>;
    holder[keys.at(-1) ?? path] = value;
  }
  return JSON.stringify(test.bodyContains ? { ...document, rehearsal: test.bodyContains } : document);
}

/**
 * The file as the stack's functions read it in the rehearsal: every HTTP smoke test
 * sent to the stand-in, which answers it as the test expects (or 500 for a failing target).
 */
function pointSmokeTestsAtStandIn(config: DeploymentsFile, standInUrl: string, answers: Map<string, StandInAnswer>): DeploymentsFile {
  const targets = config.targets.map((target) => ({
    ...target,
    smokeTests: target.smokeTests.map((test, index) => {
      if (!('http' in test)) return test;
      const path = `/smoke/${target.name}/${index}`;
      answers.set(path, { target: target.name, status: test.http.expectStatus, body: expectedBody(test.http) });
      return { http: { ...test.http, url: `${standInUrl}${path}` } };
    }),
  }));
  return { ...config, targets };
}

/** Secrets and parameters the smoke tests and notifier read: a placeholder value, never a real one. */
function simulateSecrets(): () => void {
  const secrets = mockClient(SecretsManagerClient);
  secrets.on(GetSecretValueCommand).callsFake((input: { SecretId?: string }) => ({ Name: input.SecretId, SecretString: 'rehearsal-placeholder' }));
  const parameters = mockClient(SSMClient);
  parameters.on(GetParameterCommand).callsFake((input: { Name?: string }) => ({ Parameter: { Name: input.Name, Value: 'rehearsal-placeholder', Type: 'SecureString' } }));
  return () => {
    secrets.restore();
    parameters.restore();
  };
}

async function startRehearsal(options: RehearsalOptions): Promise<Rehearsal> {
  const config = loadDeploymentsFile(options.file);
  const failSmoke = new Set(options.failSmoke ?? []);
  const unknown = [...failSmoke].filter((name) => !config.targets.some((target) => target.name === name));
  if (unknown.length > 0) throw new Error(`--fail-smoke names ${unknown.join(', ')}, not a target of ${options.file}`);
  const untested = config.targets.filter((target) => failSmoke.has(target.name) && target.smokeTests.length === 0).map((target) => target.name);
  if (untested.length > 0) throw new Error(`--fail-smoke names ${untested.join(', ')}, which has no smokeTests in ${options.file}: nothing to fail. Add a smoke test to rehearse its rollback.`);

  const snapshots = new Map(config.targets.flatMap((target) => {
    const snapshot = readSnapshot(options.file, target.name);
    return snapshot ? [[target.name, snapshot] as const] : [];
  }));
  const account = buildRehearsalWorld(config, (target) => snapshots.get(target.name));
  // Failing only once the first deployments are in, if any: they are the known-good state a rollback returns to.
  // HTTP tests fail at the stand-in; test jobs and invocations fail for the target's job definition or function.
  const failingNow = new Set<string>();
  const armFailures = () => {
    for (const target of config.targets.filter((t) => failSmoke.has(t.name))) {
      failingNow.add(target.name);
      if (target.batch) account.batch.failingJobDefinitions.add(target.batch.jobDefinition);
      if (target.lambda) account.lambda.failingFunctions.add(target.lambda.function);
    }
  };
  account.ecr.createsTagsOnFirstUse = true;
  const restoreSecrets = simulateSecrets();
  const stack = await startLocalStack(account, { waitMs: options.waitMs, ...(options.approveAs ? { approver: approvingApprover(options.approveAs) } : {}) });
  const answers = new Map<string, StandInAnswer>();
  const served = await startStandIn(answers, failingNow);
  const rewritten = pointSmokeTestsAtStandIn(config, served.url, answers);
  const dir = mkdtempSync(join(tmpdir(), 'ecr-deployer-rehearsal-'));
  const deploymentsFile = join(dir, 'deployments.yml');
  // JSON is YAML: the functions read the file as they read any deployments.yml.
  writeFileSync(deploymentsFile, JSON.stringify(rewritten, null, 2));
  const compiledFile = join(dir, 'deployments.json');
  writeFileSync(compiledFile, JSON.stringify(compileDeployments(rewritten, options.file)));

  const kinds = (kind: 'ecs' | 'batch' | 'lambda') => config.targets.filter((t) => t[kind]).length;
  const simulated = [
    `AWS is simulated in this process, built from ${options.file}: ${kinds('ecs')} ECS target(s), ${kinds('batch')} Batch, ${kinds('lambda')} Lambda, ${
      snapshots.size > 0 ? `from the snapshots of ${[...snapshots.keys()].join(', ')} (ecr-deployer snapshot), the others ` : 'each '
    }running ${FIRST_TAG} of its repository`,
    'any tag you name exists in the simulated ECR (pushed on first use)',
    `HTTP smoke tests are answered by a stand-in on ${served.url}${failSmoke.size > 0 ? `, failing for ${[...failSmoke].join(', ')}` : ''}; secrets read as placeholders`,
    'real: the trigger, the state machine and every step handler, the slot table (DynamoDB in memory)',
  ];
  let pushes = 0;
  const pushOf = (target: TargetConfig) => {
    const tag = tagFor(target, config.targets);
    if (!tag) return { none: `no tag of mine matches its globs (${target.tags.join(', ')}): deploy it by hand, \`npx ecr-deployer --local -f ${options.file} deploy ${target.name} --tag …\`` };
    const digest = fakeDigest(`${target.repository}:${tag}`);
    account.ecr.pushImage(target.repository, digest, [tag]);
    pushes += 1;
    const event: EcrPushEvent = {
      version: '0',
      id: `rehearsal-push-${pushes}`,
      'detail-type': 'ECR Image Action',
      source: 'aws.ecr',
      account: account.accountId,
      time: new Date().toISOString(),
      region: account.region,
      resources: [],
      detail: { result: 'SUCCESS', 'repository-name': target.repository, 'image-digest': digest, 'action-type': 'PUSH', 'image-tag': tag },
    };
    return { event, tag };
  };
  const close = async () => {
    try {
      await account.stepFunctions.settle();
      await served.close();
    } finally {
      restoreSecrets();
      account.restore();
      await stack.close();
      rmSync(dir, { recursive: true, force: true });
    }
  };
  if (options.firstDeployments) {
    process.env.DEPLOYMENTS_FILE = compiledFile;
    try {
      // A manual target takes no push: it is deployed by hand, or by a promotion the first pushes start.
      for (const target of config.targets.filter((t) => t.trigger !== 'manual')) {
        const push = pushOf(target);
        if ('event' in push) await deployPush(account, push.event);
      }
    } catch (error) {
      await close();
      throw error;
    }
    simulated.splice(1, 0, 'each target deployed once already, from a push of a tag its globs match: what `status` shows and `rollback` returns to');
  }
  armFailures();
  return {
    account,
    deploymentsFile,
    compiledFile,
    config,
    simulated,
    pushOf,
    close,
  };
}

export { startRehearsal, buildRehearsalWorld, FIRST_TAG };
export type { Rehearsal, RehearsalOptions };
