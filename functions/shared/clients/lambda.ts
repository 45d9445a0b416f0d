import { LambdaClient } from '@aws-sdk/client-lambda';

/** One client per cold start; tests and the local simulation intercept it by class. */
const lambda = new LambdaClient({});

export { lambda };
