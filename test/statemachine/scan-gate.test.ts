import { parseDeploymentsFile } from '../../functions/config/load';
import { buildRehearsalWorld } from '../../local/rehearsal';
import type { SimulatedAwsAccount } from '../../local/simulated-account';
import type { SimulatedScan } from '../../local/simulated-ecr';
import type { LocalRunResult } from '../../local/state-machine';
import { digest, push, settle, SPLITTER_CHAIN, splitterOf, startExecution, statesEntered, useDeploymentsFile, withStack, type TargetSpec } from '../support/world';

/**
 * The scan gate (`gates.scanFindings`) on the real state machine and slot table:
 * with the slot held and before anything changes, ECR's findings for the pushed
 * digest decide. Seed 004's CI failed on CRITICAL/HIGH findings; here the gate
 * covers every path to the target, a push and a person's request alike.
 */

const IMAGE = digest('splitter-v2.0.0');
const realNow = Date.now.bind(Date);
let account: SimulatedAwsAccount;
let asked = 0;

async function useWorld(gate: Record<string, unknown> = { failOn: 'HIGH' }, extra: TargetSpec = {}): Promise<void> {
  const targets = [splitterOf('dev', { gates: { scanFindings: gate }, ...extra })];
  const file = useDeploymentsFile(targets);
  account = buildRehearsalWorld(parseDeploymentsFile({ targets }, file));
  asked = 0;
  await withStack(account, { approver: async () => { asked += 1; } });
}

afterEach(() => {
  jest.restoreAllMocks();
  account.restore();
});

async function pushWith(scan: SimulatedScan | undefined, tag = 'v2.0.0'): Promise<LocalRunResult> {
  account.ecr.pushImage(SPLITTER_CHAIN.repository.dev, IMAGE, [tag]);
  if (scan) account.ecr.scans.set(IMAGE, scan);
  const before = new Set(account.executions.keys());
  await push(account, SPLITTER_CHAIN.repository.dev, IMAGE, { tag });
  await settle(account);
  const name = [...account.executions.keys()].find((key) => !before.has(key));
  const run = name ? await account.stepFunctions.result(name) : undefined;
  if (!run) throw new Error('the push started no deployment');
  return run;
}

const registered = () => account.calls.filter((call) => call === 'Batch.RegisterJobDefinition').length;
const lastEvent = () => account.events.at(-1);

describe('the scan gate refuses, before anything changes', () => {
  it('findings at or above failOn: FAILED, naming the worst findings; nothing registered', async () => {
    await useWorld();

    const run = await pushWith({
      status: 'COMPLETE',
      findings: [
        { id: 'CVE-2024-6387', severity: 'HIGH', pkg: 'openssh' },
        { id: 'CVE-2024-3094', severity: 'CRITICAL', pkg: 'xz-utils' },
        { id: 'CVE-2023-0001', severity: 'LOW' },
      ],
    });

    expect(run).toMatchObject({ status: 'FAILED', error: 'ScanGateRefused' });
    expect(registered()).toBe(0);
    expect(lastEvent()).toMatchObject({ status: 'FAILED', reason: expect.stringContaining('ScanGateRefused: refused by the scan gate: splitter-dev v2.0.0 has 1 CRITICAL, 1 HIGH, 1 LOW findings (failOn HIGH): CVE-2024-3094 (CRITICAL, xz-utils), CVE-2024-6387 (HIGH, openssh).') });
  });

  it('with enhanced scanning (Inspector) as with basic', async () => {
    await useWorld({ failOn: 'CRITICAL' });

    const run = await pushWith({ status: 'ACTIVE', enhanced: true, findings: [{ id: 'CVE-2024-3094', severity: 'CRITICAL', pkg: 'xz-utils' }] });

    expect(run.error).toBe('ScanGateRefused');
    expect(lastEvent()?.reason).toContain('1 CRITICAL findings (failOn CRITICAL): CVE-2024-3094 (CRITICAL, xz-utils)');
  });

  it('no scan at all: refused, saying how to turn scanning on', async () => {
    await useWorld();

    const run = await pushWith({ status: 'none' });

    expect(run.error).toBe('ScanGateRefused');
    expect(registered()).toBe(0);
    expect(lastEvent()?.reason).toContain('ECR has no scan results for splitter-dev v2.0.0 (no scan). Turn on scan on push (aws ecr put-image-scanning-configuration');
  });

  it('a scan still running after waitSeconds: refused', async () => {
    await useWorld({ failOn: 'HIGH', waitSeconds: 60 });
    account.ecr.scans.set(IMAGE, { status: 'COMPLETE', runningLooks: 1000 });
    // Once the scan has been looked at, two minutes have passed.
    jest.spyOn(Date, 'now').mockImplementation(() => (account.calls.includes('ECR.DescribeImageScanFindings') ? realNow() + 120_000 : realNow()));

    const run = await pushWith(undefined);

    expect(run.error).toBe('ScanGateRefused');
    expect(lastEvent()?.reason).toContain('the scan of splitter-dev v2.0.0 was still in progress after 60 s');
  });

  it('is checked before a person is asked to approve', async () => {
    await useWorld({ failOn: 'HIGH' }, { approval: { required: true } });

    const run = await pushWith({ status: 'COMPLETE', findings: [{ id: 'CVE-2024-6387', severity: 'HIGH' }] });

    expect(run.error).toBe('ScanGateRefused');
    expect(asked).toBe(0);
    expect(account.events.map((event) => event.status)).toEqual(['FAILED']);
  });

  it('covers a deployment asked for by hand too', async () => {
    await useWorld();
    account.ecr.pushImage(SPLITTER_CHAIN.repository.dev, IMAGE, ['v2.0.0']);
    account.ecr.scans.set(IMAGE, { status: 'COMPLETE', findings: [{ id: 'CVE-2024-6387', severity: 'HIGH' }] });

    const run = await startExecution(account, { target: 'splitter-dev', tag: 'v2.0.0' });

    expect(run.error).toBe('ScanGateRefused');
    expect(registered()).toBe(0);
  });
});

describe('the scan gate lets through', () => {
  it('findings below failOn, and deploys', async () => {
    await useWorld();

    const run = await pushWith({ status: 'COMPLETE', findings: [{ id: 'CVE-2023-0001', severity: 'MEDIUM' }] });

    expect(run.status).toBe('SUCCEEDED');
    expect(registered()).toBe(1);
  });

  it('a scan in progress, once it completes: waited for in the state machine', async () => {
    await useWorld();

    const run = await pushWith({ status: 'COMPLETE', findings: [], runningLooks: 3 });

    expect(run.status).toBe('SUCCEEDED');
    expect(statesEntered(run).filter((state) => state === 'CheckScanFindings')).toHaveLength(4);
    expect(statesEntered(run).filter((state) => state === 'WaitForScan')).toHaveLength(3);
  });

  it('an image without a scan, with onMissingScan: allow', async () => {
    await useWorld({ failOn: 'HIGH', onMissingScan: 'allow' });

    const run = await pushWith({ status: 'none' });

    expect(run.status).toBe('SUCCEEDED');
  });
});
