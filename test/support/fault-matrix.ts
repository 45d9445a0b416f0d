import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { TargetKind } from '../../functions/config/schema';
import type { DeploymentEventDetail } from '../../functions/events/deployment-events';
import { ledgerEntries } from '../../functions/ledger/store';
import { readSlot } from '../../functions/slots/store';
import type { SimulatedAwsAccount } from '../../local/simulated-account';
import { loadDeployDefinition, type LocalRunResult, type TaskInterceptor } from '../../local/state-machine';
import { approvingApprover, rejectingApprover, type LocalApprover } from '../../local/stack';
import { createTestWorld, startExecution, statesEntered, useDeploymentsFile, type TargetSpec } from './world';

/**
 * The fault matrix: every Task state of the deployed state machine × every fault,
 * executed on the real ASL with the real handlers, for each scenario of a target
 * kind that enters the state. A cell passes when the run ends as the same
 * scenario ends without the fault: same execution status and error, the target
 * on the same revision (so never an unknown one), as many revisions or versions
 * as without the fault (so never a second new one), one terminal event per
 * target with the same status and phase, the same ledger entries, and the slot free.
 */

/** What goes wrong at a Task state. */
type Fault = 'dies-after-success' | 'throttled' | 'States.Timeout' | 'Sandbox.Timedout';

const FAULTS: Fault[] = ['dies-after-success', 'throttled', 'States.Timeout', 'Sandbox.Timedout'];

/** Invocations of the state during which every AWS call is throttled. */
const THROTTLED_INVOCATIONS = 3;

/**
 * The error Step Functions reports, and when the step stopped. The process died
 * after its AWS calls went through (Lambda.Unknown: out of memory, a crash), or
 * Lambda's own timeout stopped it just after (Sandbox.Timedout): a retry meets
 * the side effect already done. The state's TimeoutSeconds passed before the
 * step got anywhere (States.Timeout: a cold start, a call that hung): nothing
 * happened, and only a retry makes it happen.
 */
const ERROR_OF_FAULT: Record<Exclude<Fault, 'throttled'>, { error: string; afterTheStep: boolean }> = {
  'dies-after-success': { error: 'Lambda.Unknown', afterTheStep: true },
  'States.Timeout': { error: 'States.Timeout', afterTheStep: false },
  'Sandbox.Timedout': { error: 'Sandbox.Timedout', afterTheStep: true },
};

const TERMINAL_STATUSES = new Set(['SUCCEEDED', 'FAILED', 'ROLLED_BACK', 'ROLLBACK_FAILED', 'SKIPPED']);

interface InjectedFault {
  intercept: TaskInterceptor;
  /** Times the fault hit: failed answers, or calls throttled. */
  hits: () => number;
}

/**
 * Injects `fault` at `stateName`, once. A failure after the step is injected on
 * the first invocation whose handler succeeded (a handler that fails by itself
 * keeps its own error); one before the step, on the first invocation. Throttling
 * covers the first invocations, every AWS call they make.
 */
function injectFault(account: SimulatedAwsAccount, stateName: string, fault: Fault): InjectedFault {
  let injected = 0;
  const intercept: TaskInterceptor = async (state, invoke) => {
    if (state !== stateName) return invoke();
    if (fault === 'throttled') {
      if (injected >= THROTTLED_INVOCATIONS) return invoke();
      injected += 1;
      account.throttleEverything = true;
      try {
        return await invoke();
      } finally {
        account.throttleEverything = false;
      }
    }
    const { error: name, afterTheStep } = ERROR_OF_FAULT[fault];
    const failure = (when: string) => Object.assign(new Error(`injected by the fault matrix ${when}`), { name });
    if (injected > 0) return invoke();
    if (!afterTheStep) {
      injected += 1;
      throw failure(`before ${stateName} ran`);
    }
    const output = await invoke();
    injected += 1;
    throw failure(`after ${stateName} succeeded`);
  };
  return { intercept, hits: () => (fault === 'throttled' ? account.throttledCalls : injected) };
}

interface FaultScenario {
  name: string;
  world?: Parameters<typeof createTestWorld>[0];
  /** Who decides approvals (default: the local stack's, which rejects). */
  approver?: LocalApprover;
  /** Arranges the world (image behaviours, refusals) and runs the deployment to its end. */
  run: (account: SimulatedAwsAccount) => Promise<LocalRunResult>;
}

/**
 * The scenarios of a request by hand, for any kind: a tag ECR does not have
 * (rejected, with an event for the target), a lookup ECR keeps failing
 * (FAILED after retrying at length, never taken for a rejection), the scan gate,
 * approvals, CloudWatch alarms (the states every kind shares), and an event bus
 * that refuses the STARTED event HoldSlot publishes (AnnounceStarted does).
 */
function requestsByHand(request: { target: () => TargetSpec; digest: string; tag: string }): FaultScenario[] {
  const byHand = (account: SimulatedAwsAccount, tag: string, extra: TargetSpec = {}) => {
    const target = { ...request.target(), ...extra };
    useDeploymentsFile([target]);
    account.ecr.pushImage(String(target.repository), request.digest, [request.tag]);
    return startExecution(account, { target: target.name, tag }, 'by-hand');
  };
  return [
    { name: 'a person asks for a tag ECR does not have', run: (account) => byHand(account, 'no-such-tag') },
    {
      name: 'ECR keeps failing while a tag is looked up',
      run: (account) => {
        account.failNext('DescribeImages', 1000, 'ServerException');
        return byHand(account, request.tag);
      },
    },
    {
      name: 'the scan gate waits for a scan, then lets the image through',
      run: (account) => {
        account.ecr.scans.set(request.digest, { status: 'COMPLETE', findings: [{ id: 'CVE-2023-0001', severity: 'LOW' }], runningLooks: 1 });
        return byHand(account, request.tag, { gates: { scanFindings: { failOn: 'HIGH' } } });
      },
    },
    {
      name: 'the scan gate refuses a HIGH finding',
      run: (account) => {
        account.ecr.scans.set(request.digest, { status: 'COMPLETE', findings: [{ id: 'CVE-2024-6387', severity: 'HIGH', pkg: 'openssh' }] });
        return byHand(account, request.tag, { gates: { scanFindings: { failOn: 'HIGH' } } });
      },
    },
    {
      name: 'the target requires approval, and a person approves',
      approver: approvingApprover('arn:aws:sts::123456789012:assumed-role/release-manager/alice'),
      run: (account) => byHand(account, request.tag, { approval: { required: true } }),
    },
    {
      name: 'the event bus refuses AWAITING_APPROVAL once, and the approved deployment goes on',
      approver: approvingApprover('arn:aws:sts::123456789012:assumed-role/release-manager/alice'),
      run: (account) => {
        account.failNext('PutEvents', 1, 'InternalException');
        return byHand(account, request.tag, { approval: { required: true } });
      },
    },
    {
      name: 'the target requires approval, and a person rejects it',
      approver: rejectingApprover('not this week'),
      run: (account) => byHand(account, request.tag, { approval: { required: true } }),
    },
    {
      name: 'its alarms stay OK through the bake',
      run: (account) => {
        account.cloudWatch.createAlarm('deploy-gate');
        return byHand(account, request.tag, { alarms: { names: ['deploy-gate'], bakeSeconds: 60, pollSeconds: 30 } });
      },
    },
    {
      name: 'an alarm goes to ALARM after the change, and the deployment rolls back',
      run: (account) => {
        account.cloudWatch.createAlarm('deploy-gate');
        account.beforeNext('DescribeAlarmHistory', () => account.cloudWatch.setAlarmState('deploy-gate', 'ALARM', 'Threshold Crossed: 1 datapoint [9.0] was greater than the threshold (1.0).'));
        return byHand(account, request.tag, { alarms: { names: ['deploy-gate'], bakeSeconds: 60, pollSeconds: 30 } });
      },
    },
    {
      name: 'the event bus refuses STARTED once, and the deployment goes on',
      run: (account) => {
        account.failNext('PutEvents', 1, 'InternalException');
        return byHand(account, request.tag);
      },
    },
  ];
}

interface FaultMatrixSpec {
  kind: TargetKind;
  title: string;
  /** The slot the scenarios' target holds; it must be free at the end. */
  slot: string;
  /** What the target runs and what exists of it (revisions, versions, jobs), comparable between runs. */
  snapshot: (account: SimulatedAwsAccount) => unknown;
  scenarios: FaultScenario[];
}

/** What a run left behind, to compare with the run of the same scenario without a fault. */
interface Observation {
  status: string;
  error?: string;
  /** Per target: the distinct terminal events (status, phase, whether clean-up is reported). */
  terminal: Record<string, string[]>;
  /** Terminal events published more than once (a publish retried after it went through). */
  republished: number;
  target: unknown;
  slotFree: boolean;
  /** Per target: the outcomes its ledger entries record (one per deployment that ended). */
  ledger: Record<string, string[]>;
}

function terminalEvents(events: DeploymentEventDetail[]): { terminal: Record<string, string[]>; republished: number } {
  const seen = new Set<string>();
  const terminal: Record<string, string[]> = {};
  let republished = 0;
  for (const event of events.filter((e) => TERMINAL_STATUSES.has(e.status))) {
    const identity = `${event.deploymentId} ${event.target} ${event.status}`;
    if (seen.has(identity)) {
      republished += 1;
      continue;
    }
    seen.add(identity);
    (terminal[event.target] ??= []).push(`${event.status} (${event.phase}${event.cleanup ? ', clean-up failed' : ''})`);
  }
  return { terminal, republished };
}

async function ledgerOutcomes(targets: string[]): Promise<Record<string, string[]>> {
  const outcomes: Record<string, string[]> = {};
  for (const target of targets) for await (const entry of ledgerEntries({ target })) (outcomes[target] ??= []).push(entry.status);
  return outcomes;
}

async function observe(spec: FaultMatrixSpec, account: SimulatedAwsAccount, result: LocalRunResult): Promise<Observation> {
  const slot = await readSlot(spec.slot, spec.kind);
  const events = terminalEvents(account.events);
  return {
    ledger: await ledgerOutcomes(Object.keys(events.terminal)),
    status: result.status,
    ...(result.error ? { error: result.error } : {}),
    ...events,
    target: spec.snapshot(account),
    slotFree: !slot.lease && !(slot.waiting?.length ?? 0),
  };
}

interface ScenarioRun {
  observation: Observation;
  /** Task states the run entered, each once, in order. */
  taskStates: string[];
  hits: number;
}

const TASK_STATES = Object.entries(loadDeployDefinition().States as Record<string, { Type: string }>)
  .filter(([, state]) => state.Type === 'Task')
  .map(([name]) => name);

const KIND_PREFIXES: Record<TargetKind, string> = { ecs: 'Ecs', batch: 'Batch', lambda: 'Lambda' };

/** The Task states a deployment of `kind` may enter: all but the other kinds' own. */
function taskStatesOfKind(kind: TargetKind): string[] {
  const others = Object.entries(KIND_PREFIXES).filter(([k]) => k !== kind).map(([, prefix]) => prefix);
  return TASK_STATES.filter((state) => !others.some((prefix) => state.startsWith(prefix)));
}

/** Step invocations after which a run is taken for a loop and stopped (a deployment here takes a few dozen). */
const RUNAWAY_INVOCATIONS = 400;

async function runScenario(spec: FaultMatrixSpec, scenario: FaultScenario, fault?: { state: string; fault: Fault }): Promise<ScenarioRun> {
  let injected: InjectedFault | undefined;
  let invocations = 0;
  const account: SimulatedAwsAccount = await createTestWorld(scenario.world, {
    approver: scenario.approver,
    intercept: (state, invoke, input) => {
      invocations += 1;
      if (invocations > RUNAWAY_INVOCATIONS) {
        for (const name of account.executions.keys()) account.stepFunctions.stop(name);
        throw new Error(`more than ${RUNAWAY_INVOCATIONS} step invocations: stopped at ${state}`);
      }
      return injected ? injected.intercept(state, invoke, input) : invoke();
    },
  });
  if (fault) injected = injectFault(account, fault.state, fault.fault);
  try {
    const result = await scenario.run(account);
    await account.stepFunctions.settle();
    const taskStates = [...new Set(statesEntered(result))].filter((s) => TASK_STATES.includes(s));
    return { observation: await observe(spec, account, result), taskStates, hits: injected?.hits() ?? 0 };
  } finally {
    account.restore();
  }
}

/** Differences between a run with a fault and the run without, in words (none: the cell passes). */
function differences(clean: Observation, faulty: Observation): string[] {
  const found: string[] = [];
  const same = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b);
  if (faulty.status !== clean.status || faulty.error !== clean.error) found.push(`ended ${faulty.status} ${faulty.error ?? ''}, not ${clean.status} ${clean.error ?? ''}`.trim());
  if (!same(faulty.terminal, clean.terminal)) found.push(`terminal events ${JSON.stringify(faulty.terminal)}, not ${JSON.stringify(clean.terminal)}`);
  if (!same(faulty.target, clean.target)) found.push(`target ${JSON.stringify(faulty.target)}, not ${JSON.stringify(clean.target)}`);
  if (!faulty.slotFree) found.push('slot still held or waited for');
  if (!same(faulty.ledger, clean.ledger)) found.push(`ledger ${JSON.stringify(faulty.ledger)}, not ${JSON.stringify(clean.ledger)}`);
  return found;
}

interface Cell {
  state: string;
  fault: Fault;
  scenarios: { name: string; outcome: string; problems: string[]; hits: number; republished: number }[];
}

const SHORT_STATUS: Record<string, string> = { SUCCEEDED: 'S', ROLLED_BACK: 'R', FAILED: 'F', ROLLBACK_FAILED: 'X', SKIPPED: 'K' };

function outcomeOf(observation: Observation): string {
  const statuses = Object.values(observation.terminal).flat().map((t) => t.split(' ')[0] ?? '');
  return statuses.map((s) => SHORT_STATUS[s] ?? s).join('') || '–';
}

/** The matrix as text: one row per Task state, one column per fault. */
function renderMatrix(spec: FaultMatrixSpec, cells: Cell[], clean: Map<string, ScenarioRun>): string {
  const states = taskStatesOfKind(spec.kind);
  const text = (state: string, fault: Fault): string => {
    const cell = cells.find((c) => c.state === state && c.fault === fault);
    if (!cell || cell.scenarios.length === 0) return 'not reached';
    const failed = cell.scenarios.some((s) => s.problems.length > 0);
    return `${failed ? '✗' : '✓'} ${cell.scenarios.map((s) => `${s.outcome}${s.hits === 0 ? '·' : ''}`).join(' ')}`;
  };
  const rows = states.map((state) => [state, ...FAULTS.map((fault) => text(state, fault))]);
  const header = ['', ...FAULTS];
  const widths = header.map((_, i) => Math.max(...[header, ...rows].map((row) => (row[i] ?? '').length)) + 2);
  const line = (row: string[]) => row.map((field, i) => field.padEnd(widths[i] ?? 0)).join('').trimEnd();
  const runs = cells.reduce((n, c) => n + c.scenarios.length, 0);
  const covered = cells.filter((c) => c.scenarios.length > 0).length;
  const republished = cells.reduce((n, c) => n + c.scenarios.filter((s) => s.republished > 0).length, 0);
  return [
    `Fault matrix, ${spec.title}: ${states.length} Task states × ${FAULTS.length} faults = ${covered} cells, ${runs} runs (${spec.scenarios.length} scenarios)`,
    line(header),
    ...rows.map(line),
    'Each cell: the outcome of every scenario that enters the state (S SUCCEEDED, R ROLLED_BACK, F FAILED, X ROLLBACK_FAILED, K SKIPPED);',
    '✓ every one as without the fault; · the fault found nothing to hit there (the step never succeeded, or made no AWS call).',
    `${republished} runs published a terminal event twice (same deployment id and status: the Slack notifier posts it once).`,
    ...spec.scenarios.map((scenario) => {
      const run = clean.get(scenario.name);
      return `  ${scenario.name}: ${run ? outcomeOf(run.observation) : '?'} without a fault, enters ${run?.taskStates.length ?? 0} Task states`;
    }),
  ].join('\n');
}

/** Where the matrices are written; the test reporter prints them after the run. */
const MATRIX_DIR = join(__dirname, '..', '..', 'reports', 'fault-matrix');

function writeMatrix(kind: TargetKind, text: string): void {
  mkdirSync(MATRIX_DIR, { recursive: true });
  writeFileSync(join(MATRIX_DIR, `${kind}.txt`), `${text}\n`);
}

/**
 * Declares the matrix for one target kind: the scenarios without a fault first,
 * then one test per scenario and fault, running it once for each Task state the
 * scenario enters.
 */
function describeFaultMatrix(spec: FaultMatrixSpec): void {
  const clean = new Map<string, ScenarioRun>();
  const cells: Cell[] = taskStatesOfKind(spec.kind).flatMap((state) => FAULTS.map((fault) => ({ state, fault, scenarios: [] })));

  describe(`fault matrix: ${spec.title}`, () => {
    describe('without a fault', () => {
      it.each(spec.scenarios.map((s) => [s.name, s] as const))('%s: ends with one terminal event per target, on a known revision, the slot free', async (_, scenario) => {
        const run = await runScenario(spec, scenario);
        clean.set(scenario.name, run);
        expect(Object.values(run.observation.terminal).map((events) => events.length)).toEqual(Object.keys(run.observation.terminal).map(() => 1));
        expect(Object.keys(run.observation.terminal).length).toBeGreaterThan(0);
        expect(run.observation.republished).toBe(0);
        expect(run.observation.slotFree).toBe(true);
      });

      it(`enter every Task state a ${spec.kind} deployment may enter`, () => {
        const entered = new Set([...clean.values()].flatMap((run) => run.taskStates));
        expect(taskStatesOfKind(spec.kind).filter((state) => !entered.has(state))).toEqual([]);
      });
    });

    for (const fault of FAULTS) {
      describe(`with ${fault}`, () => {
        it.each(spec.scenarios.map((s) => [s.name, s] as const))('%s: every Task state it enters, as without the fault', async (_, scenario) => {
          const baseline = clean.get(scenario.name);
          if (!baseline) throw new Error(`${scenario.name} did not run without a fault`);
          const problems: string[] = [];
          for (const state of baseline.taskStates) {
            const run = await runScenario(spec, scenario, { state, fault });
            const found = differences(baseline.observation, run.observation);
            const cell = cells.find((c) => c.state === state && c.fault === fault);
            cell?.scenarios.push({ name: scenario.name, outcome: outcomeOf(run.observation), problems: found, hits: run.hits, republished: run.observation.republished });
            problems.push(...found.map((p) => `${state}: ${p}`));
          }
          expect(problems).toEqual([]);
        }, 120_000);
      });
    }
  });

  afterAll(() => {
    writeMatrix(spec.kind, renderMatrix(spec, cells, clean));
  });
}

export { describeFaultMatrix, requestsByHand, FAULTS, TASK_STATES, taskStatesOfKind, MATRIX_DIR };
export type { FaultScenario, FaultMatrixSpec, Fault };
