import { SSMClient } from '@aws-sdk/client-ssm';

/** One client per cold start; tests and the local simulation intercept it by class. Pure: a bundle that never sends with it leaves it out. */
const ssm = /* @__PURE__ */ new SSMClient({});

export { ssm };
