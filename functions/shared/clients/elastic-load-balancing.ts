import { ElasticLoadBalancingV2Client } from '@aws-sdk/client-elastic-load-balancing-v2';

/** One client per cold start; tests and the local simulation intercept it by class. Pure: a bundle that never sends with it leaves it out. */
const elasticLoadBalancing = /* @__PURE__ */ new ElasticLoadBalancingV2Client({});

export { elasticLoadBalancing };
