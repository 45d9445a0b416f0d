import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';

/** One client per cold start; tests and the local simulation intercept it by class. */
const secretsManager = new SecretsManagerClient({});

export { secretsManager };
