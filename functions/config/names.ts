import { z } from 'zod';

/**
 * Names of AWS resources in deployments.yml. Each becomes an IAM resource of the
 * deployer's roles, so a wildcard would silently widen them (`role/*`, every
 * secret, every service), and an ARN could name another account's or partition's
 * resource. The deployer acts in its own account and region, where the name says
 * everything: names only, in each service's own grammar.
 */

interface NameGrammar {
  /** What it names, for messages: "ECS cluster". */
  what: string;
  pattern: RegExp;
  /** The grammar in words. */
  rule: string;
  maxLength: number;
}

const GRAMMARS = {
  ecsCluster: { what: 'ECS cluster', pattern: /^[A-Za-z0-9_-]+$/, rule: 'letters, digits, - and _', maxLength: 255 },
  ecsService: { what: 'ECS service', pattern: /^[A-Za-z0-9_-]+$/, rule: 'letters, digits, - and _', maxLength: 255 },
  container: { what: 'container', pattern: /^[A-Za-z0-9_-]+$/, rule: 'letters, digits, - and _', maxLength: 255 },
  jobDefinition: { what: 'Batch job definition', pattern: /^[A-Za-z0-9_-]+$/, rule: 'letters, digits, - and _ (no :revision: its latest ACTIVE revision is used)', maxLength: 128 },
  jobQueue: { what: 'Batch job queue', pattern: /^[A-Za-z0-9_-]+$/, rule: 'letters, digits, - and _', maxLength: 128 },
  lambdaFunction: { what: 'Lambda function', pattern: /^[A-Za-z0-9_-]+$/, rule: 'letters, digits, - and _ (no :qualifier: use alias)', maxLength: 64 },
  lambdaAlias: { what: 'Lambda alias', pattern: /^(?!\d+$)[A-Za-z0-9_-]+$/, rule: 'letters, digits, - and _, not only digits', maxLength: 128 },
  // IAM: a name of [\w+=,.@-], optionally under a path (`service-role/my-role`).
  iamRole: { what: 'IAM role', pattern: /^(?:[\w+=,.@-]+\/)*[\w+=,.@-]{1,64}$/, rule: 'a role name ([A-Za-z0-9+=,.@_-], up to 64), optionally after its path: service-role/my-role', maxLength: 512 },
  // EventBridge: a rule of the default event bus.
  eventRule: { what: 'EventBridge rule', pattern: /^[A-Za-z0-9._-]+$/, rule: 'letters, digits, ., - and _ (a rule of the default event bus)', maxLength: 64 },
  // CloudWatch: an alarm name is any printable text (PutMetricAlarm, AlarmName); `$` would read as a CloudFormation substitution in its ARN.
  cloudwatchAlarm: { what: 'CloudWatch alarm', pattern: /^[^\u0000-\u001f\u007f$]+$/, rule: 'printable characters but $', maxLength: 255 },
  secretsManagerSecret: { what: 'Secrets Manager secret', pattern: /^[A-Za-z0-9/_+=.@-]+$/, rule: 'letters, digits and /_+=.@-', maxLength: 512 },
  ssmParameter: { what: 'SSM parameter', pattern: /^[A-Za-z0-9_./-]+$/, rule: 'letters, digits and _.-/', maxLength: 1011 },
  ecrRepository: {
    what: 'ECR repository',
    pattern: /^(?:[a-z0-9]+(?:[._-][a-z0-9]+)*\/)*[a-z0-9]+(?:[._-][a-z0-9]+)*$/,
    rule: 'lowercase letters and digits, separated by single ., _, - or /',
    maxLength: 256,
  },
} satisfies Record<string, NameGrammar>;

/** Why `value` is not a name of `grammar`, or undefined when it is one. */
function nameProblem(value: string, grammar: NameGrammar): string | undefined {
  if (/[*?]/.test(value)) {
    return `wildcards are not allowed: name one ${grammar.what}. A wildcard would widen the deployer's IAM permissions to every ${grammar.what} it matches.`;
  }
  if (value.startsWith('arn:')) {
    return `give the ${grammar.what}'s name, not an ARN: the deployer acts in its own account and region only, and an ARN may name another account's or partition's.`;
  }
  if (value.length > grammar.maxLength) return `${grammar.what} names have at most ${grammar.maxLength} characters (this one has ${value.length})`;
  if (!grammar.pattern.test(value)) return `not a valid ${grammar.what} name: ${grammar.rule}`;
  return undefined;
}

/** A zod string that must be a name of `grammar` (see `nameProblem`). */
function awsName(grammar: NameGrammar): z.ZodString {
  return z
    .string()
    .min(1)
    .superRefine((value, ctx) => {
      const problem = nameProblem(value, grammar);
      if (problem) ctx.addIssue({ code: 'custom', message: problem });
    });
}

/**
 * Where a secret lives: a Secrets Manager secret name, or `ssm:<parameter name>` for an
 * SSM SecureString parameter. Names only, like every resource (see above).
 */
const secretReferenceSchema = z
  .string()
  .min(1)
  .superRefine((reference, ctx) => {
    const problem = reference.startsWith('ssm:') ? nameProblem(reference.slice('ssm:'.length), GRAMMARS.ssmParameter) : nameProblem(reference, GRAMMARS.secretsManagerSecret);
    if (problem) ctx.addIssue({ code: 'custom', message: problem });
  })
  .describe('Secrets Manager secret name, or ssm:/parameter/name for an SSM SecureString (names only: no ARN, no wildcard)');

export { GRAMMARS, awsName, nameProblem, secretReferenceSchema };
export type { NameGrammar };
