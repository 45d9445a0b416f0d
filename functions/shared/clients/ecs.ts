import { ECSClient } from '@aws-sdk/client-ecs';

/** One client per cold start; tests and the local simulation intercept it by class. */
const ecs = new ECSClient({});

export { ecs };
