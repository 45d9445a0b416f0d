import { dispatchSteps } from '../shared/dispatch';
import { handler as checkAlarms } from './check-alarms';
import { handler as checkCanary } from './lambda-check-canary';
import { handler as recordAlarmBaseline } from './record-alarm-baseline';
import { handler as runSmokeTests } from './run-smoke-tests';
import { handler as runTestTrafficSmokeTests } from './ecs-run-test-traffic-smoke-tests';

/** The steps that judge what was deployed: the smoke tests, the Lambda canary's bake checks, and the CloudWatch alarms. */
export const handler = dispatchSteps('smoke-tests', { runSmokeTests, runTestTrafficSmokeTests, checkCanary, recordAlarmBaseline, checkAlarms });
