/**
 * ECS API throttling as AWS does it: a token bucket per category of actions, per
 * account and region ("Request throttling for the Amazon ECS API"). A call takes a
 * token; an empty bucket refuses with ThrottlingException; buckets refill at their
 * sustained rate. Time is Date.now(), so a virtual clock drives it in the benchmark.
 */

interface BucketSpec {
  burst: number;
  perSecond: number;
  actions: string[];
}

/** The categories the deployer's ECS calls fall in (../shared/reference/aws-facts.md §3.5). */
const ECS_BUCKETS: Record<string, BucketSpec> = {
  'task definition modify': { burst: 20, perSecond: 1, actions: ['RegisterTaskDefinition', 'DeregisterTaskDefinition'] },
  'task definition read': { burst: 50, perSecond: 20, actions: ['DescribeTaskDefinition'] },
  'service modify': { burst: 50, perSecond: 5, actions: ['UpdateService'] },
  'service read': { burst: 100, perSecond: 20, actions: ['DescribeServices'] },
  'cluster resource read': { burst: 100, perSecond: 20, actions: ['DescribeTasks', 'ListTasks'] },
};

class TokenBuckets {
  private readonly buckets = new Map<string, { spec: BucketSpec; tokens: number; at: number }>();
  /** Calls refused, by action. */
  public readonly throttled = new Map<string, number>();

  public constructor(specs: Record<string, BucketSpec> = ECS_BUCKETS) {
    for (const spec of Object.values(specs)) {
      const bucket = { spec, tokens: spec.burst, at: Date.now() };
      for (const action of spec.actions) this.buckets.set(action, bucket);
    }
  }

  /** Takes a token for `action`; false when its bucket is empty (the call is throttled). Actions without a bucket always pass. */
  public take(action: string): boolean {
    const bucket = this.buckets.get(action);
    if (!bucket) return true;
    const now = Date.now();
    bucket.tokens = Math.min(bucket.spec.burst, bucket.tokens + ((now - bucket.at) / 1000) * bucket.spec.perSecond);
    bucket.at = now;
    if (bucket.tokens >= 1) {
      bucket.tokens -= 1;
      return true;
    }
    this.throttled.set(action, (this.throttled.get(action) ?? 0) + 1);
    return false;
  }
}

export { TokenBuckets, ECS_BUCKETS };
export type { BucketSpec };
