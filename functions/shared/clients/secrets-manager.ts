import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';

/** One client per cold start; tests and the local simulation intercept it by class. Pure: a bundle that never sends with it leaves it out. */
const secretsManager = /* @__PURE__ */ new SecretsManagerClient({});

export { secretsManager };
