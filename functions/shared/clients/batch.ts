import { BatchClient } from '@aws-sdk/client-batch';

/** One client per cold start; tests and the local simulation intercept it by class. */
const batch = new BatchClient({});

export { batch };
