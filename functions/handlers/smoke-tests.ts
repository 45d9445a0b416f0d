import { dispatchSteps } from '../shared/dispatch';
import { handler as checkCanary } from './lambda-check-canary';
import { handler as runSmokeTests } from './run-smoke-tests';

/** The steps that send requests to what was deployed: the smoke tests, and the Lambda canary's bake checks. */
export const handler = dispatchSteps('smoke-tests', { runSmokeTests, checkCanary });
