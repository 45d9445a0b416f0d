import { decideApproval } from '../../functions/approval/coordinator';
import { parseDeploymentsFile } from '../../functions/config/load';
import type { DeploymentState } from '../../functions/shared/deployment';
import { readSlot } from '../../functions/slots/store';
import { buildRehearsalWorld } from '../../local/rehearsal';
import type { SimulatedAwsAccount } from '../../local/simulated-account';
import { digest, push, settle, SPLITTER_CHAIN, splitterOf, startExecution, statesEntered, useDeploymentsFile, withStack, type TargetSpec } from '../support/world';

/**
 * Approval before change, on the real state machine and slot table: seed 004's
 * chain (dev on push, staging promoted automatically, prod promoted by hand) with
 * `approval.required` on prod. The deployment holds prod's slot while it waits and
 * changes nothing until a person approves; rejected, timed out or superseded, it
 * is SKIPPED. Here the "person" is the approver the test gives the local stack,
 * called once the deployment has asked.
 */

const REPOSITORY = SPLITTER_CHAIN.repository;
const JOB = SPLITTER_CHAIN.job;
const RELEASE = digest('splitter-v2.0.0');
const ALICE = 'arn:aws:sts::123456789012:assumed-role/release-manager/alice';
const splitter = splitterOf;

const CHAIN: TargetSpec[] = [
  splitter('dev'),
  splitter('staging', { trigger: 'manual', promote: { from: 'splitter-dev', automatically: true, copyImage: true } }),
  splitter('prod', { trigger: 'manual', promote: { from: 'splitter-staging', copyImage: true }, approval: { required: true, timeoutSeconds: 3600 } }),
];

let account: SimulatedAwsAccount;
/** What the person does once a deployment asks for approval (the test sets it). */
let person: (state: DeploymentState) => Promise<void>;
const asked: string[] = [];

const decide = (state: DeploymentState, decision: 'approved' | 'rejected', reason?: string) =>
  decideApproval(state.deployment.slot, state.deployment.id, { decision, by: ALICE, at: new Date().toISOString(), ...(reason ? { reason } : {}) });

async function useWorld(targets: TargetSpec[] = CHAIN): Promise<void> {
  const file = useDeploymentsFile(targets);
  account = buildRehearsalWorld(parseDeploymentsFile({ targets }, file));
  await withStack(account, {
    approver: async (state) => {
      asked.push(state.deployment.id);
      await person(state);
    },
  });
}

beforeEach(() => {
  asked.length = 0;
  person = async (state) => {
    await decide(state, 'approved');
  };
});

afterEach(() => {
  jest.restoreAllMocks();
  account.restore();
});

const jobImage = (environment: 'dev' | 'staging' | 'prod') => account.batch.latestActive(JOB[environment])?.containerProperties?.image;
const statusesOf = (target: string) => account.events.filter((event) => event.target === target).map((event) => event.status);
const lastEventOf = (target: string) => account.events.filter((event) => event.target === target).at(-1);

async function releaseToStaging(image = RELEASE, tag = 'v2.0.0'): Promise<void> {
  account.ecr.pushImage(REPOSITORY.dev, image, [tag]);
  await push(account, REPOSITORY.dev, image, { tag });
  await settle(account);
}

const promoteToProd = () => startExecution(account, { target: 'splitter-prod', promoteFrom: 'splitter-staging' });

describe('the whole chain: dev on push, staging automatically, prod by promotion with approval', () => {
  it('waits for approval with nothing changed, then deploys the digest dev tested, recording who approved', async () => {
    await useWorld();
    await releaseToStaging();
    let prodWhenAsked: string | undefined;
    person = async (state) => {
      prodWhenAsked = jobImage('prod');
      await decide(state, 'approved');
    };
    const before = jobImage('prod');

    const run = await promoteToProd();

    expect(run.status).toBe('SUCCEEDED');
    expect(asked).toEqual([run.name]);
    expect(prodWhenAsked).toBe(before);
    expect(jobImage('prod')).toBe(`${account.registry}/${REPOSITORY.prod}@${RELEASE}`);
    expect(statusesOf('splitter-prod')).toEqual(['AWAITING_APPROVAL', 'STARTED', 'SUCCEEDED']);
    expect(account.events.find((e) => e.target === 'splitter-prod' && e.status === 'AWAITING_APPROVAL')?.reason).toContain(`npx ecr-deployer approve ${run.name}`);
    expect(lastEventOf('splitter-prod')).toMatchObject({ approvedBy: { by: ALICE }, promotedFrom: { target: 'splitter-staging' } });
    const states = statesEntered(run);
    expect(states.indexOf('CheckApproval')).toBeLessThan(states.indexOf('BatchRegisterJobDefinition'));
  });
});

describe('an event bus that refuses AWAITING_APPROVAL', () => {
  it('once: the state machine publishes it again, and the deployment goes on', async () => {
    await useWorld();
    await releaseToStaging();
    account.failNext('PutEvents', 1, 'InternalException');

    const run = await promoteToProd();

    expect(run.status).toBe('SUCCEEDED');
    expect(statesEntered(run)).toContain('AnnounceAwaitingApproval');
    expect(statusesOf('splitter-prod')).toEqual(['AWAITING_APPROVAL', 'STARTED', 'SUCCEEDED']);
  });
});

describe('a deployment that is not approved changes nothing and frees the slot', () => {
  async function notApproved(): Promise<{ reason: string; run: Awaited<ReturnType<typeof promoteToProd>> }> {
    const before = jobImage('prod');
    const run = await promoteToProd();
    expect({ status: run.status, error: run.error }).toEqual({ status: 'FAILED', error: 'NotApproved' });
    expect(jobImage('prod')).toBe(before);
    expect(account.calls.filter((call) => call === 'Batch.RegisterJobDefinition')).toHaveLength(2); // dev and staging only
    expect(statusesOf('splitter-prod')).toEqual(['AWAITING_APPROVAL', 'SKIPPED']);
    const slot = await readSlot(`batch:${JOB.prod}`, 'batch');
    expect(slot.lease).toBeUndefined();
    return { reason: lastEventOf('splitter-prod')?.reason ?? '', run };
  }

  it('rejected: SKIPPED, saying who rejected it and why', async () => {
    await useWorld();
    await releaseToStaging();
    person = async (state) => {
      await decide(state, 'rejected', 'freeze until Monday');
    };

    const { reason } = await notApproved();

    expect(reason).toMatch(new RegExp(`^not approved: rejected by ${ALICE.replace(/[/.]/g, '\\$&')} at \\S+: freeze until Monday$`));
  });

  it('timed out: SKIPPED once approval.timeoutSeconds passed without a decision', async () => {
    await useWorld();
    await releaseToStaging();
    const realNow = Date.now.bind(Date);
    person = async () => {
      // Nobody answers; two hours pass before the deployment looks again.
      jest.spyOn(Date, 'now').mockImplementation(() => realNow() + 7_200_000);
    };

    const { reason } = await notApproved();

    expect(reason).toMatch(/^not approved: no decision by \S+ \(approval\.timeoutSeconds\)$/);
  });

  it('superseded: a newer push replaces the waiting one, and approving the old one afterwards does nothing', async () => {
    const dev = { ...splitter('dev'), approval: { required: true } };
    await useWorld([dev]);
    const newer = digest('splitter-v2.0.1');
    let first: DeploymentState | undefined;
    person = async (state) => {
      if (first) {
        await decide(state, 'approved');
        return;
      }
      first = state;
      // While the first waits, v2.0.1 is pushed: it waits for the slot, and the first one is superseded.
      account.ecr.pushImage(REPOSITORY.dev, newer, ['v2.0.1']);
      await push(account, REPOSITORY.dev, newer, { tag: 'v2.0.1' });
    };

    account.ecr.pushImage(REPOSITORY.dev, RELEASE, ['v2.0.0']);
    await push(account, REPOSITORY.dev, RELEASE, { tag: 'v2.0.0' });
    await settle(account);

    expect(asked).toHaveLength(2);
    expect(statusesOf('splitter-dev')).toEqual(['AWAITING_APPROVAL', 'SKIPPED', 'AWAITING_APPROVAL', 'STARTED', 'SUCCEEDED']);
    expect(account.events.find((e) => e.status === 'SKIPPED')).toMatchObject({ image: { digest: RELEASE }, reason: expect.stringMatching(/^not approved: superseded while it waited for approval by splitter-dev sha256:\w{12} \(v2\.0\.1\)/) });
    expect(jobImage('dev')).toBe(`${account.registry}/${REPOSITORY.dev}@${newer}`);
    const late = await decide(first!, 'approved');
    expect(late).toMatchObject({ recorded: false, refused: expect.stringContaining(`${first!.deployment.id} does not hold batch:${JOB.dev}`) });
    expect(jobImage('dev')).toBe(`${account.registry}/${REPOSITORY.dev}@${newer}`);
  });
});

describe('a rollback of a target that requires approval', () => {
  it('does not wait for a person: it goes back to what ran, and was approved, before', async () => {
    await useWorld();
    await releaseToStaging();
    const before = jobImage('prod');
    await promoteToProd();
    asked.length = 0;

    const rollback = await startExecution(account, { target: 'splitter-prod', rollback: true });

    expect(rollback.status).toBe('SUCCEEDED');
    expect(asked).toEqual([]);
    expect(statesEntered(rollback)).not.toContain('RequestApproval');
    expect(jobImage('prod')).not.toContain(RELEASE);
    expect(jobImage('prod')?.split('/').pop()?.split(/[@:]/)[0]).toBe(before?.split('/').pop()?.split(/[@:]/)[0]);
    expect(lastEventOf('splitter-prod')).toMatchObject({ status: 'SUCCEEDED', rollbackOf: expect.any(String) });
  });
});
