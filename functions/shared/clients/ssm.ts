import { SSMClient } from '@aws-sdk/client-ssm';

/** One client per cold start; tests and the local simulation intercept it by class. */
const ssm = new SSMClient({});

export { ssm };
