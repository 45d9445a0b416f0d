import { ECRClient } from '@aws-sdk/client-ecr';

/** One client per cold start; tests and the local simulation intercept it by class. */
const ecr = new ECRClient({});

export { ecr };
