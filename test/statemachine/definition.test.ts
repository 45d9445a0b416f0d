import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import aslValidator = require('asl-validator');
import { diagramBlock, readmeBlock } from '../../scripts/state-machine-diagram';
import { loadDeployDefinition, STEP_HANDLERS } from '../../local/state-machine';
import { deployDefinitionJson } from '../../statemachines/definition';
import { STATES_THAT_CHANGE_THE_TARGET, TERMINAL_PUBLISH_STATES } from '../../functions/deployment/stopped';

const STATEMACHINES = join(__dirname, '..', '..', 'statemachines');
const files = readdirSync(STATEMACHINES).filter((f) => f.endsWith('.asl.yaml'));

describe('state machine definitions', () => {
  it.each(files)('%s is valid ASL (JSONPath) once CloudFormation fills in the function ARNs', (file) => {
    const text = deployDefinitionJson(join(STATEMACHINES, file)).replace(/\$\{([A-Za-z0-9]+)\}/g, 'arn:aws:lambda:us-east-1:123456789012:function:$1');
    const definition = JSON.parse(text) as object;

    const { isValid, errorsText } = aslValidator(definition, { checkPaths: true, checkArn: true });

    expect(errorsText()).toBe('');
    expect(isValid).toBe(true);
  });

  it('names only step handlers that exist, and uses every one', () => {
    const text = deployDefinitionJson();
    const placeholders = new Set([...text.matchAll(/\$\{([A-Za-z0-9]+)FunctionArn\}/g)].map((m) => m[1]));

    expect([...placeholders].sort()).toEqual(Object.keys(STEP_HANDLERS).sort());
    expect(() => loadDeployDefinition()).not.toThrow();
  });

  type Retrier = { ErrorEquals: string[]; JitterStrategy?: string; BackoffRate?: number; IntervalSeconds?: number; MaxAttempts?: number; MaxDelaySeconds?: number };
  const definition = () => loadDeployDefinition() as unknown as { States: Record<string, { Type: string; Retry?: Retrier[] }> };

  it('retries transient errors and throttling with backoff and jitter on every Task, and never retries named errors', () => {
    const tasks = Object.entries(definition().States).filter(([, s]) => s.Type === 'Task');

    for (const [, state] of tasks) {
      expect(state.Retry).toEqual(
        expect.arrayContaining([
          expect.objectContaining({ ErrorEquals: expect.arrayContaining(['AwsTransientError', 'AwsThrottled', 'Lambda.ServiceException', 'Lambda.TooManyRequestsException']), JitterStrategy: 'FULL', BackoffRate: 2 }),
        ]),
      );
      expect(state.Retry?.flatMap((r) => r.ErrorEquals)).not.toContain('States.ALL');
    }
  });

  /** The longest a retrier can keep trying: every pause at its ceiling (full jitter draws each pause at or below it). */
  function longestRetrySeconds(retrier: Retrier): number {
    let total = 0;
    for (let attempt = 0; attempt < (retrier.MaxAttempts ?? 3); attempt += 1) {
      total += Math.min((retrier.IntervalSeconds ?? 1) * (retrier.BackoffRate ?? 2) ** attempt, retrier.MaxDelaySeconds ?? Infinity);
    }
    return total;
  }

  it.each(['EcsDeployNewRevision', 'EcsDeregisterOrphan', 'EcsRollBackService', 'BatchRegisterJobDefinition', 'BatchRollBackJobDefinition'])(
    '%s retries throttling for more than 15 minutes on average, in pauses of at most 30 s, before any other retrier',
    (name) => {
      const [first] = definition().States[name]?.Retry ?? [];

      expect(first).toMatchObject({ ErrorEquals: ['AwsThrottled'], JitterStrategy: 'FULL', MaxDelaySeconds: 30 });
      // Full jitter waits half the ceiling on average: the budget is twice 15 minutes of ceilings.
      expect(longestRetrySeconds(first!)).toBeGreaterThanOrEqual(2 * 15 * 60);
    },
  );

  it('names, for the recovery of a stopped deployment, the states that publish a last event and those that may change a target', () => {
    type PublishState = { Type: string; Parameters?: { step?: string; payload?: { status?: string } } };
    const states = Object.entries(definition().States as Record<string, PublishState>);
    const terminal = states
      .filter(([, s]) => s.Parameters?.step === 'publishDeploymentEvent' && !['AWAITING_APPROVAL', 'STARTED', 'ROLLING_BACK'].includes(s.Parameters.payload?.status ?? ''))
      .map(([name]) => name);

    expect([...TERMINAL_PUBLISH_STATES].sort()).toEqual(terminal.sort());
    const changing = states.filter(([name]) => STATES_THAT_CHANGE_THE_TARGET.includes(name));
    expect(changing.map(([name, state]) => [name, state.Type])).toEqual(STATES_THAT_CHANGE_THE_TARGET.map((name) => [name, 'Task']));
  });

  it('is drawn in README.md as it is (run `npm run diagram` after changing it)', () => {
    expect(readmeBlock()).toBe(diagramBlock());
  });
});
