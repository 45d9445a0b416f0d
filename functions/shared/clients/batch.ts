import { BatchClient } from '@aws-sdk/client-batch';

/** One client per cold start; tests and the local simulation intercept it by class. Pure: a bundle that never sends with it leaves it out. */
const batch = /* @__PURE__ */ new BatchClient({});

export { batch };
