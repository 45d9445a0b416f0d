import { SFNClient } from '@aws-sdk/client-sfn';

/** One client per cold start; tests and the local simulation intercept it by class. Pure: a bundle that never sends with it leaves it out. */
const sfn = /* @__PURE__ */ new SFNClient({});

export { sfn };
