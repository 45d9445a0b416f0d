/**
 * Errors as the CLI tells them: what went wrong and what to do about it.
 */

/** An error whose message is already meant for the person at the terminal. */
class CliError extends Error {
  public override readonly name: string = 'CliError';

  public constructor(
    message: string,
    public readonly exitCode = 1,
  ) {
    super(message);
  }
}

/** Wrong use of the command line (exit code 2). */
class UsageError extends CliError {
  public override readonly name: string = 'UsageError';

  public constructor(message: string) {
    super(message, 2);
  }
}

/** What the CLI knows when an error happens, to say what to do. */
interface ErrorContext {
  region?: string;
  stateMachineArn?: string;
  endpoint?: string;
  /** The AWS call that failed, e.g. `StartExecution`. */
  action?: string;
}

const CREDENTIAL_ERRORS = new Set(['CredentialsProviderError', 'TokenProviderError']);
const REJECTED_CREDENTIAL_ERRORS = new Set([
  'ExpiredToken',
  'ExpiredTokenException',
  'UnrecognizedClientException',
  'InvalidClientTokenId',
  'InvalidSignatureException',
  'SignatureDoesNotMatch',
  'TokenRefreshRequired',
]);
const ACCESS_DENIED = new Set(['AccessDeniedException', 'AccessDenied', 'UnauthorizedOperation', 'AuthorizationError']);
/** Errors of ecr-deployer's own (functions/shared/errors.ts): their message says what to do. */
const DEPLOYER_ERRORS = new Set(['ConfigError', 'TargetNotFound', 'ImageNotFound', 'NoRollbackTarget', 'InvalidInput', 'DefinitionNotFound', 'ContainerNotFound']);
const NETWORK_ERRORS = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'ECONNRESET', 'ETIMEDOUT', 'TimeoutError']);

interface ErrorShape {
  name?: string;
  code?: string;
  message?: string;
  cause?: unknown;
}

function where(context: ErrorContext): string {
  return context.region ? ` in ${context.region}` : '';
}

/**
 * One paragraph for stderr: the problem and the fix.
 *
 * @example
 * explainError(credentialsError, { region: 'us-east-1' });
 * // 'no AWS credentials found (…). Configure credentials: …'
 */
function explainError(error: unknown, context: ErrorContext = {}): string {
  if (error instanceof CliError) return error.message;
  const shape: ErrorShape = error instanceof Error ? (error as ErrorShape) : { message: String(error) };
  const name = shape.name ?? 'Error';
  const message = shape.message ?? '';
  const code = shape.code ?? (shape.cause as ErrorShape | undefined)?.code;

  if (CREDENTIAL_ERRORS.has(name)) {
    return [
      `no AWS credentials found (${message}).`,
      'Configure credentials: set AWS_PROFILE to a profile from `aws configure` (or `aws configure sso`, then `aws sso login`),',
      'or export AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or run where a role provides them.',
      'To try the CLI without AWS, add --local.',
    ].join('\n');
  }
  if (REJECTED_CREDENTIAL_ERRORS.has(name)) {
    return `AWS rejected your credentials (${name}: ${message}). They may have expired: refresh them (e.g. \`aws sso login\`) or pick another profile with AWS_PROFILE / --profile.`;
  }
  if (/region is missing/i.test(message)) {
    return 'no AWS region: pass --region, set AWS_REGION, or set a region in your profile (`aws configure`).';
  }
  if (name === 'StateMachineDoesNotExist') {
    return [
      `the state machine ${context.stateMachineArn ?? ''} does not exist${where(context)}.`,
      'Wrong region or account? Pass --region, or give the ARN with --state-machine-arn / ECR_DEPLOYER_STATE_MACHINE_ARN',
      '(the stack output DeployStateMachineArn: aws cloudformation describe-stacks --stack-name ecr-deployer-<stage> --query "Stacks[0].Outputs").',
    ].join('\n');
  }
  if (name === 'ExecutionDoesNotExist') {
    return `execution not found${where(context)} (${message}). List recent deployments with \`ecr-deployer status\`; wrong region? Pass --region.`;
  }
  if (name === 'ExecutionAlreadyExists') {
    return `an execution with this name exists already (${message}). Names carry the time to the second: run the command again.`;
  }
  if (ACCESS_DENIED.has(name)) {
    return `not allowed${context.action ? ` to call ${context.action}` : ''}: ${message}\nYour identity needs the operator permissions listed in README, "Operating".`;
  }
  if (DEPLOYER_ERRORS.has(name)) return `${name}: ${message}`;
  if (NETWORK_ERRORS.has(name) || (code !== undefined && NETWORK_ERRORS.has(code))) {
    return `cannot reach ${context.endpoint ?? 'AWS'} (${code ?? name}: ${message}). Check --endpoint-url / AWS_ENDPOINT_URL, the region, and your network.`;
  }
  return `${name}: ${message}`;
}

export { CliError, UsageError, explainError };
export type { ErrorContext };
