/** What ECS task definitions and Batch job definitions have in common when we copy them. */

/** The tag that marks a revision as registered by a given deployment: a retried register step finds it and reuses the revision. */
const DEPLOYMENT_TAG_KEY = 'ecr-deployer:deployment-id';
/** On a task-definition revision the deployer registered: the revision of the family the service ran before (the rollback target). */
const PREVIOUS_REVISION_TAG_KEY = 'ecr-deployer:previous-revision';

/**
 * Removes explicit nulls, recursively. Describe outputs (notably older console
 * exports) write every unset field as null; null and absent mean the same to ECS.
 */
function withoutNulls<T>(value: T): T {
  if (Array.isArray(value)) return value.map((item) => withoutNulls(item)) as T;
  if (value !== null && typeof value === 'object') {
    const copy: Record<string, unknown> = {};
    for (const [key, item] of Object.entries(value as Record<string, unknown>)) {
      if (item !== null) copy[key] = withoutNulls(item);
    }
    return copy as T;
  }
  return value;
}

/**
 * Tags a copy may carry: not the marker of an earlier deployment, and not `aws:`
 * tags (set by AWS, e.g. CloudFormation's; registering with them is refused).
 */
function isCopiedTagKey(key: string | undefined): boolean {
  return key !== undefined && key !== DEPLOYMENT_TAG_KEY && key !== PREVIOUS_REVISION_TAG_KEY && !key.toLowerCase().startsWith('aws:');
}

export { DEPLOYMENT_TAG_KEY, PREVIOUS_REVISION_TAG_KEY, withoutNulls, isCopiedTagKey };
