import type { Context } from 'aws-lambda';

/**
 * One Lambda function per group serves several Task states (README, "Performance":
 * a deployment meets at most three functions, so at most three cold starts). The
 * state machine names the step and hands it its input: `{ step, payload }`.
 */
interface StepInvocation {
  step: string;
  payload: unknown;
}

/** A step (functions/shared/step.ts): it adds the Lambda context to its logs. */
type StepHandler = (payload: never, context?: Context) => Promise<unknown>;

/** The handler of a function group: runs the step the invocation names, with its payload and the invocation's Lambda context. */
function dispatchSteps(group: string, steps: Record<string, StepHandler>): (invocation: StepInvocation, context?: Context) => Promise<unknown> {
  return async ({ step, payload }, context) => {
    const run = typeof step === 'string' && Object.hasOwn(steps, step) ? steps[step] : undefined;
    // A wiring bug (a state machine and functions of different versions), never user input.
    if (!run) throw new Error(`the ${group} function has no step "${String(step)}"; it has ${Object.keys(steps).join(', ')}`);
    return run(payload as never, context);
  };
}

export { dispatchSteps };
export type { StepInvocation };
