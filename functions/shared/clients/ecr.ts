import { ECRClient } from '@aws-sdk/client-ecr';

/** One client per cold start; tests and the local simulation intercept it by class. Pure: a bundle that never sends with it leaves it out. */
const ecr = /* @__PURE__ */ new ECRClient({});

export { ecr };
