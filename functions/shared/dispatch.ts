/**
 * One Lambda function per group serves several Task states (README, "Performance":
 * a deployment meets at most three functions, so at most three cold starts). The
 * state machine names the step and hands it its input: `{ step, payload }`.
 */
interface StepInvocation {
  step: string;
  payload: unknown;
}

type StepHandler = (payload: never) => Promise<unknown>;

/** The handler of a function group: runs the step the invocation names, with its payload. */
function dispatchSteps(group: string, steps: Record<string, StepHandler>): (invocation: StepInvocation) => Promise<unknown> {
  return async ({ step, payload }) => {
    const run = typeof step === 'string' && Object.hasOwn(steps, step) ? steps[step] : undefined;
    // A wiring bug (a state machine and functions of different versions), never user input.
    if (!run) throw new Error(`the ${group} function has no step "${String(step)}"; it has ${Object.keys(steps).join(', ')}`);
    return run(payload as never);
  };
}

export { dispatchSteps };
export type { StepInvocation };
