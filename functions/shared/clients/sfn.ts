import { SFNClient } from '@aws-sdk/client-sfn';

/** One client per cold start; tests and the local simulation intercept it by class. */
const sfn = new SFNClient({});

export { sfn };
