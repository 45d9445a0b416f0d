import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import aslValidator = require('asl-validator');
import { diagramBlock, readmeBlock } from '../../scripts/state-machine-diagram';
import { loadDeployDefinition, STEP_HANDLERS } from '../../local/state-machine';

const STATEMACHINES = join(__dirname, '..', '..', 'statemachines');
const files = readdirSync(STATEMACHINES).filter((f) => f.endsWith('.asl.json'));

describe('state machine definitions', () => {
  it.each(files)('%s is valid ASL (JSONPath) once CloudFormation fills in the function ARNs', (file) => {
    const text = readFileSync(join(STATEMACHINES, file), 'utf8').replace(/\$\{([A-Za-z0-9]+)\}/g, 'arn:aws:lambda:us-east-1:123456789012:function:$1');
    const definition = JSON.parse(text) as object;

    const { isValid, errorsText } = aslValidator(definition, { checkPaths: true, checkArn: true });

    expect(errorsText()).toBe('');
    expect(isValid).toBe(true);
  });

  it('names only step handlers that exist, and uses every one', () => {
    const text = readFileSync(join(STATEMACHINES, 'deploy.asl.json'), 'utf8');
    const placeholders = new Set([...text.matchAll(/\$\{([A-Za-z0-9]+)FunctionArn\}/g)].map((m) => m[1]));

    expect([...placeholders].sort()).toEqual(Object.keys(STEP_HANDLERS).sort());
    expect(() => loadDeployDefinition()).not.toThrow();
  });

  it('retries transient errors with backoff and jitter on every Task, and never retries named errors', () => {
    const definition = loadDeployDefinition() as unknown as { States: Record<string, { Type: string; Retry?: { ErrorEquals: string[]; JitterStrategy?: string; BackoffRate?: number }[] }> };
    const tasks = Object.entries(definition.States).filter(([, s]) => s.Type === 'Task');

    for (const [, state] of tasks) {
      expect(state.Retry).toEqual([expect.objectContaining({ ErrorEquals: expect.arrayContaining(['AwsTransientError', 'Lambda.ServiceException', 'Lambda.TooManyRequestsException']), JitterStrategy: 'FULL', BackoffRate: 2 })]);
      expect(state.Retry?.flatMap((r) => r.ErrorEquals)).not.toContain('States.ALL');
    }
  });

  it('is drawn in README.md as it is (run `npm run diagram` after changing it)', () => {
    expect(readmeBlock()).toBe(diagramBlock());
  });
});
