import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { logger } from '../../../functions/shared/logger';
import { deployDefinitionJson } from '../../../statemachines/definition';
import { lambdaContext } from '../../support/lambda-context';

/**
 * Every function's logs carry the invocation's Lambda context (request id, cold start):
 * each entry point serverless.yml deploys hands it to Powertools Logger, once per invocation.
 */

const ROOT = join(__dirname, '..', '..', '..');
type Handler = (event: unknown, context?: ReturnType<typeof lambdaContext>) => Promise<unknown>;

/** The handler modules serverless.yml deploys (`handler: functions/handlers/<name>.handler`). */
const deployed = [...readFileSync(join(ROOT, 'serverless.yml'), 'utf8').matchAll(/^\s+handler: functions\/handlers\/([a-z-]+)\.handler$/gm)].map((match) => match[1]!);

/** A step each function group serves, from the state machine (its first Task state naming the group's function): `${EcsStepsFunctionArn}` → ecs-steps. */
function stepsByGroup(): Record<string, string> {
  const states = Object.values((JSON.parse(deployDefinitionJson()) as { States: Record<string, { Type: string; Resource?: string; Parameters?: { step?: string } }> }).States);
  const steps: Record<string, string> = {};
  for (const state of states) {
    const group = /^\$\{(.+)FunctionArn\}$/.exec(state.Resource ?? '')?.[1]?.replace(/(?<!^)([A-Z])/g, '-$1').toLowerCase();
    if (state.Type === 'Task' && group && state.Parameters?.step) steps[group] ??= state.Parameters.step;
  }
  return steps;
}

describe('the Lambda context', () => {
  it.each(deployed)('reaches the logger once per invocation of %s, whatever the event', async (name) => {
    const { handler } = require(`../../../functions/handlers/${name}`) as { handler: Handler };
    const step = stepsByGroup()[name];
    // A group's function runs a step (with a payload it refuses); the others get an event they refuse.
    const event = step ? { step, payload: {} } : {};
    const context = lambdaContext({ awsRequestId: `request-of-${name}`, functionName: `ecr-deployer-dev-${name}` });
    const addContext = jest.spyOn(logger, 'addContext');

    await handler(event, context).catch(() => undefined);

    expect(addContext.mock.calls).toEqual([[context]]);
  });

  it('is optional: tests and local runs call a handler with its event alone', async () => {
    const { handler } = require('../../../functions/handlers/deployment-coordinator') as { handler: Handler };
    const addContext = jest.spyOn(logger, 'addContext');

    await expect(handler({ step: 'releaseSlot', payload: { status: 'REJECTED', execution: { name: 'x', arn: 'y' }, state: {} } })).resolves.toEqual({ released: false });
    expect(addContext).not.toHaveBeenCalled();
  });

  it('puts the request id in every line of the invocation, and cold_start on the first invocation of the process only', async () => {
    // Powertools reads how the environment was initialised when the logger is created: a fresh one, as in a new Lambda environment.
    process.env.AWS_LAMBDA_INITIALIZATION_TYPE = 'on-demand';
    const written: string[] = [];
    try {
      let fresh: { handler: Handler; logger: typeof logger } | undefined;
      jest.isolateModules(() => {
        fresh = {
          handler: (require('../../../functions/handlers/deployment-coordinator') as { handler: Handler }).handler,
          logger: (require('../../../functions/shared/logger') as { logger: typeof logger }).logger,
        };
      });
      fresh!.logger.setLogLevel('INFO');
      jest.spyOn(process.stdout, 'write').mockImplementation((chunk: unknown): boolean => {
        written.push(String(chunk));
        return true;
      });
      const release = { step: 'releaseSlot', payload: { status: 'REJECTED', execution: { name: 'x', arn: 'y' }, state: {} } };

      await fresh!.handler(release, lambdaContext({ awsRequestId: 'request-1', functionName: 'ecr-deployer-dev-deployment-coordinator' }));
      await fresh!.handler(release, lambdaContext({ awsRequestId: 'request-2', functionName: 'ecr-deployer-dev-deployment-coordinator' }));
    } finally {
      delete process.env.AWS_LAMBDA_INITIALIZATION_TYPE;
    }

    const lines = written.map((line) => JSON.parse(line) as Record<string, unknown>);
    expect(lines.map(({ message, step, function_request_id, cold_start, function_name }) => ({ message, step, function_request_id, cold_start, function_name }))).toEqual([
      { message: 'step finished', step: 'ReleaseSlot', function_request_id: 'request-1', cold_start: true, function_name: 'ecr-deployer-dev-deployment-coordinator' },
      { message: 'step finished', step: 'ReleaseSlot', function_request_id: 'request-2', cold_start: false, function_name: 'ecr-deployer-dev-deployment-coordinator' },
    ]);
  });
});
