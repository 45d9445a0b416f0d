import { ECSClient } from '@aws-sdk/client-ecs';

/** One client per cold start; tests and the local simulation intercept it by class. Pure: a bundle that never sends with it leaves it out. */
const ecs = /* @__PURE__ */ new ECSClient({});

export { ecs };
