/**
 * Where a secret lives, as written in deployments.yml (a Slack webhook or token,
 * notifications-schema.ts; a smoke-test header, schema.ts):
 * `ssm:<parameter name or ARN>` is an SSM SecureString parameter; anything else is a
 * Secrets Manager secret name or ARN.
 */

type SecretReference = { store: 'ssm'; name: string } | { store: 'secretsmanager'; secretId: string };

const SSM_PREFIX = 'ssm:';

/**
 * @example parseSecretReference('ssm:/ecr-deployer/slack-webhook') // { store: 'ssm', name: '/ecr-deployer/slack-webhook' }
 * @example parseSecretReference('ecr-deployer/slack-webhook') // { store: 'secretsmanager', secretId: 'ecr-deployer/slack-webhook' }
 */
function parseSecretReference(reference: string): SecretReference {
  if (reference.startsWith(SSM_PREFIX)) return { store: 'ssm', name: reference.slice(SSM_PREFIX.length) };
  return { store: 'secretsmanager', secretId: reference };
}

/** An IAM resource: a literal ARN, or an `Fn::Sub` template over the stack's partition, region and account. */
type IamResource = string | { 'Fn::Sub': string };

const inThisAccount = (service: string, resource: string): IamResource => ({
  'Fn::Sub': `arn:\${AWS::Partition}:${service}:\${AWS::Region}:\${AWS::AccountId}:${resource}`,
});

/**
 * The IAM resources that let a role read one secret, and only it. References are
 * names (deployments.yml refuses ARNs and wildcards: functions/config/names.ts).
 *
 * - Secrets Manager appends six random characters to a secret's ARN (`…:secret:name-AbCdEf`),
 *   so a name becomes `secret:name-??????` (exactly six, so `name` does not also match
 *   `name-other`).
 * - An SSM parameter's ARN is `parameter/<name without its leading slash>`.
 *
 * @example secretIamResources('ecr-deployer/slack') // [{ 'Fn::Sub': 'arn:${AWS::Partition}:secretsmanager:${AWS::Region}:${AWS::AccountId}:secret:ecr-deployer/slack-??????' }]
 */
function secretIamResources(reference: string): IamResource[] {
  const parsed = parseSecretReference(reference);
  if (parsed.store === 'ssm') return [inThisAccount('ssm', `parameter/${parsed.name.replace(/^\//, '')}`)];
  return [inThisAccount('secretsmanager', `secret:${parsed.secretId}-??????`)];
}

export { parseSecretReference, secretIamResources };
export type { SecretReference, IamResource };
