import { parseDeploymentsFile } from '../../functions/config/load';
import { buildRehearsalWorld } from '../../local/rehearsal';
import type { SimulatedAwsAccount } from '../../local/simulated-account';
import { digest, push, settle, SPLITTER_CHAIN, splitterOf, startExecution, statesEntered, useDeploymentsFile, type TargetSpec } from '../support/world';

/**
 * Promotion on the real state machine and slot table, in seed 004's layout: one
 * Batch job per environment, each with its own repository. dev deploys on push;
 * staging is promoted from dev automatically (the image copied across); prod is
 * promoted by hand. A promotion deploys exactly the digest the source runs and
 * last SUCCEEDED with, and nothing else.
 */

const REPOSITORY = SPLITTER_CHAIN.repository;
const JOB = SPLITTER_CHAIN.job;
const RELEASE = digest('splitter-v2.0.0');
const splitter = splitterOf;

const chain = (prod: TargetSpec = {}, staging: TargetSpec = {}): TargetSpec[] => [
  splitter('dev'),
  splitter('staging', { trigger: 'manual', promote: { from: 'splitter-dev', automatically: true, copyImage: true }, ...staging }),
  splitter('prod', { trigger: 'manual', promote: { from: 'splitter-staging', copyImage: true }, ...prod }),
];

let account: SimulatedAwsAccount;

function useChain(targets: TargetSpec[]): void {
  const file = useDeploymentsFile(targets);
  account = buildRehearsalWorld(parseDeploymentsFile({ targets }, file));
}

afterEach(() => account.restore());

/** The image the latest ACTIVE revision of a job definition runs. */
const jobImage = (environment: 'dev' | 'staging' | 'prod') => account.batch.latestActive(JOB[environment])?.containerProperties?.image;
const eventsOf = (target: string) => account.events.filter((event) => event.target === target);

async function pushToDev(tag = 'v2.0.0', image = RELEASE): Promise<void> {
  account.ecr.pushImage(REPOSITORY.dev, image, [tag]);
  await push(account, REPOSITORY.dev, image, { tag });
  await settle(account);
}

describe('a push to dev, promoted to staging automatically, to prod by hand', () => {
  it('deploys the very digest dev tested to staging, copying it into staging\'s repository, then to prod', async () => {
    useChain(chain());

    await pushToDev();

    expect(jobImage('dev')).toBe(`${account.registry}/${REPOSITORY.dev}@${RELEASE}`);
    expect(jobImage('staging')).toBe(`${account.registry}/${REPOSITORY.staging}@${RELEASE}`);
    expect(account.ecr.digestOf(REPOSITORY.staging, 'v2.0.0')).toBe(RELEASE);
    const [devSucceeded] = eventsOf('splitter-dev').filter((event) => event.status === 'SUCCEEDED');
    expect(eventsOf('splitter-staging').map((event) => event.status)).toEqual(['STARTED', 'SUCCEEDED']);
    expect(eventsOf('splitter-staging').at(-1)).toMatchObject({
      promotedFrom: { target: 'splitter-dev', deploymentId: devSucceeded?.deploymentId },
      trigger: { kind: 'promotion' },
      image: { repository: REPOSITORY.staging, tag: 'v2.0.0', digest: RELEASE },
    });
    // prod is promoted by hand only.
    expect(eventsOf('splitter-prod')).toEqual([]);
    expect(jobImage('prod')).not.toContain(RELEASE);

    const toProd = await startExecution(account, { target: 'splitter-prod', promoteFrom: 'splitter-staging' });

    expect(toProd.status).toBe('SUCCEEDED');
    expect(jobImage('prod')).toBe(`${account.registry}/${REPOSITORY.prod}@${RELEASE}`);
    expect(eventsOf('splitter-prod').at(-1)).toMatchObject({ status: 'SUCCEEDED', promotedFrom: { target: 'splitter-staging' }, trigger: { kind: 'manual' } });
  });

  it('ignores a push to a manual-only target: nothing deploys it but a person or a promotion', async () => {
    useChain(chain());
    account.ecr.pushImage(REPOSITORY.prod, RELEASE, ['v2.0.0']);
    const before = jobImage('prod');

    const result = await push(account, REPOSITORY.prod, RELEASE, { tag: 'v2.0.0' });
    await settle(account);

    expect(result.ignored).toContain('splitter-prod is deployed by hand or by promotion only (trigger: manual)');
    expect(account.executions.size).toBe(0);
    expect(jobImage('prod')).toBe(before);
  });
});

describe('a promotion with nothing tested to promote changes nothing', () => {
  async function refused(input: { target: string; promoteFrom: string }): Promise<string> {
    const before = { prod: jobImage('prod'), staging: jobImage('staging'), calls: account.calls.length };
    const run = await startExecution(account, input);
    expect(run.status).toBe('FAILED');
    expect(statesEntered(run)).toContain('PublishRejected');
    expect({ prod: jobImage('prod'), staging: jobImage('staging') }).toEqual({ prod: before.prod, staging: before.staging });
    const writes = account.calls.slice(before.calls).filter((call) => /Register|PutImage|Submit/.test(call));
    expect(writes).toEqual([]);
    const failed = eventsOf(input.target).at(-1);
    expect(failed).toMatchObject({ status: 'FAILED', phase: 'resolve' });
    return failed?.reason ?? '';
  }

  it('refuses a source that never SUCCEEDED', async () => {
    useChain(chain());

    expect(await refused({ target: 'splitter-prod', promoteFrom: 'splitter-staging' })).toMatch(/^NothingToPromote: splitter-staging has no successful deployment to promote/);
  });

  it('refuses a source whose last deployment rolled back, and starts no automatic promotion from it', async () => {
    useChain(chain());
    await pushToDev('v2.0.0', RELEASE);
    const broken = digest('splitter-v2.0.1-broken');
    account.batch.failingJobDefinitions.add(JOB.dev);

    await pushToDev('v2.0.1', broken);

    expect(eventsOf('splitter-dev').at(-1)?.status).toBe('ROLLED_BACK');
    expect(eventsOf('splitter-staging').filter((event) => event.image.digest === broken)).toEqual([]);
    expect(await refused({ target: 'splitter-staging', promoteFrom: 'splitter-dev' })).toMatch(/^NothingToPromote: splitter-dev's last deployment \(.+\) ended ROLLED_BACK/);
  });

  it('refuses a source whose last deployment FAILED before it changed anything', async () => {
    useChain(chain());
    await pushToDev('v2.0.0', RELEASE);
    account.failNext('RegisterJobDefinition', 1, 'ClientException');

    await pushToDev('v2.0.1', digest('splitter-v2.0.1'));

    expect(eventsOf('splitter-dev').at(-1)?.status).toBe('FAILED');
    expect(await refused({ target: 'splitter-staging', promoteFrom: 'splitter-dev' })).toMatch(/^NothingToPromote: splitter-dev's last deployment \(.+\) ended FAILED/);
  });

  it('refuses to cross into another repository unless the target allows the copy', async () => {
    useChain(chain({ promote: { from: 'splitter-staging' } }));
    await pushToDev();

    expect(await refused({ target: 'splitter-prod', promoteFrom: 'splitter-staging' })).toContain(
      `NothingToPromote: splitter-staging's v2.0.0 (sha256:${RELEASE.slice(7, 19)}) is in repository ${REPOSITORY.staging}, not in splitter-prod's ${REPOSITORY.prod}. Push it there too, or let the deployer copy it: promote: { from: splitter-staging, copyImage: true }`,
    );
  });

  it('refuses a promotion that also names an image', async () => {
    useChain(chain());

    const run = await startExecution(account, { target: 'splitter-prod', promoteFrom: 'splitter-staging', tag: 'v2.0.0' });

    expect(run.status).toBe('FAILED');
    expect(eventsOf('splitter-prod').at(-1)?.reason).toContain('give "promoteFrom" alone');
  });
});

describe('a copy ECR refuses', () => {
  it('fails before anything changed, says how to copy it with its layers, and frees the slot', async () => {
    useChain(chain());
    await pushToDev();
    account.ecr.missingLayersIn.add(REPOSITORY.prod);
    const before = jobImage('prod');

    const run = await startExecution(account, { target: 'splitter-prod', promoteFrom: 'splitter-staging' });

    expect(run.status).toBe('FAILED');
    expect(jobImage('prod')).toBe(before);
    const failed = eventsOf('splitter-prod').at(-1);
    expect(failed?.status).toBe('FAILED');
    expect(failed?.reason).toContain(`PromotionCopyFailed: ECR refused to copy ${REPOSITORY.staging}@sha256:`);
    expect(failed?.reason).toContain(`docker buildx imagetools create --tag ${account.registry}/${REPOSITORY.prod}:v2.0.0 ${account.registry}/${REPOSITORY.staging}@${RELEASE}`);

    // Copied by hand, the promotion goes through: the slot was given up.
    account.ecr.missingLayersIn.delete(REPOSITORY.prod);
    const again = await startExecution(account, { target: 'splitter-prod', promoteFrom: 'splitter-staging' });
    expect(again.status).toBe('SUCCEEDED');
    expect(jobImage('prod')).toBe(`${account.registry}/${REPOSITORY.prod}@${RELEASE}`);
  });
});
