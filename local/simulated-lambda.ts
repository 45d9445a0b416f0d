import {
  GetAliasCommand,
  GetFunctionCommand,
  GetFunctionConfigurationCommand,
  InvokeCommand,
  LambdaClient,
  PreconditionFailedException,
  PublishVersionCommand,
  ResourceConflictException,
  ResourceNotFoundException,
  UpdateAliasCommand,
  UpdateFunctionCodeCommand,
} from '@aws-sdk/client-lambda';
import { mockClient } from 'aws-sdk-client-mock';

/**
 * AWS Lambda in memory: container-image functions with versions and aliases. A
 * code update takes two looks to finish; how it ends, and what an invocation
 * answers, depends on the image.
 */

/** How an image behaves on Lambda: it fails to update, never finishes updating, errors when invoked, or works. */
type LambdaImageBehaviour = 'update-fails' | 'update-hangs' | 'errors-on-invoke' | 'healthy';

type Handle = <I, O>(service: string, command: string, run: (input: I) => O) => (input: I) => Promise<O>;

interface SimulatedFunction {
  name: string;
  arn: string;
  packageType: 'Image' | 'Zip';
  imageUri: string;
  resolvedImageUri: string;
  revision: number;
  lastUpdateStatus: 'Successful' | 'InProgress' | 'Failed';
  lastUpdateReason?: string;
  looksSinceUpdate: number;
  /** What served before the update in progress: a failed update leaves it serving. */
  beforeUpdate?: { imageUri: string; resolvedImageUri: string };
  versions: Map<string, { imageUri: string; resolvedImageUri: string }>;
  aliases: Map<string, { version: string; weights: Record<string, number> }>;
}

/** Looks (GetFunction calls) an update takes to finish. */
const LOOKS_TO_UPDATE = 2;

class SimulatedLambda {
  public readonly functions = new Map<string, SimulatedFunction>();
  /** Every invocation, as `name:qualifier`. */
  public readonly invocations: string[] = [];
  /** What a healthy function answers when invoked, by function name (default: a small JSON response). */
  public readonly answers = new Map<string, unknown>();
  /** Functions (by name) whose invocations fail whatever image they run: a rehearsal's --fail-smoke. */
  public readonly failingFunctions = new Set<string>();
  private readonly mock = mockClient(LambdaClient);

  public constructor(
    private readonly accountId: string,
    private readonly region: string,
    private readonly behaviourOfImage: (image: string) => LambdaImageBehaviour,
    private readonly resolveDigest: (image: string) => string,
    handle: Handle,
  ) {
    this.install(handle);
  }

  public restore(): void {
    this.mock.restore();
  }

  /** A function whose $LATEST runs `imageUri`, published as version `version`, with `alias` on it. */
  public createFunction(options: { name: string; imageUri: string; packageType?: 'Image' | 'Zip'; version?: string; alias?: string }): SimulatedFunction {
    const resolved = this.resolved(options.imageUri);
    const fn: SimulatedFunction = {
      name: options.name,
      arn: `arn:aws:lambda:${this.region}:${this.accountId}:function:${options.name}`,
      packageType: options.packageType ?? 'Image',
      imageUri: options.imageUri,
      resolvedImageUri: resolved,
      revision: 1,
      lastUpdateStatus: 'Successful',
      looksSinceUpdate: 0,
      versions: new Map(),
      aliases: new Map(),
    };
    if (options.version) fn.versions.set(options.version, { imageUri: options.imageUri, resolvedImageUri: resolved });
    if (options.alias && options.version) fn.aliases.set(options.alias, { version: options.version, weights: {} });
    this.functions.set(options.name, fn);
    return fn;
  }

  public function(name: string): SimulatedFunction {
    const fn = this.functions.get(name);
    if (!fn) throw new Error(`no simulated function ${name}`);
    return fn;
  }

  private resolved(imageUri: string): string {
    const at = imageUri.indexOf('@');
    const repository = at >= 0 ? imageUri.slice(0, at) : imageUri.replace(/:[^:/]+$/, '');
    return `${repository}@${this.resolveDigest(imageUri)}`;
  }

  private find(name: string | undefined): SimulatedFunction {
    // A name, or an ARN (possibly qualified): `arn:aws:lambda:…:function:<name>[:qualifier]`.
    const key = (name ?? '').includes(':function:') ? ((name ?? '').split(':function:')[1] ?? '').split(':')[0] : name;
    const fn = this.functions.get(key ?? '');
    if (!fn) throw new ResourceNotFoundException({ message: `Function not found: ${name}`, $metadata: { httpStatusCode: 404 } });
    return fn;
  }

  private advance(fn: SimulatedFunction): void {
    if (fn.lastUpdateStatus !== 'InProgress') return;
    fn.looksSinceUpdate += 1;
    const behaviour = this.behaviourOfImage(fn.imageUri);
    if (behaviour === 'update-hangs' || fn.looksSinceUpdate < LOOKS_TO_UPDATE) return;
    if (behaviour === 'update-fails') {
      fn.lastUpdateStatus = 'Failed';
      fn.lastUpdateReason = 'The image manifest, config or layer media type for the source image is not supported.';
      // Lambda keeps the previous code.
      if (fn.beforeUpdate) Object.assign(fn, fn.beforeUpdate);
      return;
    }
    fn.lastUpdateStatus = 'Successful';
  }

  private configuration(fn: SimulatedFunction) {
    return {
      FunctionName: fn.name,
      FunctionArn: fn.arn,
      PackageType: fn.packageType,
      RevisionId: `rev-${fn.revision}`,
      LastUpdateStatus: fn.lastUpdateStatus,
      LastUpdateStatusReason: fn.lastUpdateReason,
      LastUpdateStatusReasonCode: fn.lastUpdateStatus === 'Failed' ? 'InvalidImage' : undefined,
      State: 'Active' as const,
    };
  }

  /** The image a qualifier runs: a version, an alias's main version, or $LATEST. */
  private imageOf(fn: SimulatedFunction, qualifier: string | undefined): string {
    if (!qualifier || qualifier === '$LATEST') return fn.imageUri;
    const version = fn.aliases.get(qualifier)?.version ?? qualifier;
    return fn.versions.get(version)?.imageUri ?? fn.imageUri;
  }

  private install(handle: Handle): void {
    this.mock.on(GetFunctionCommand).callsFake(
      handle('Lambda', 'GetFunction', (input: { FunctionName?: string }) => {
        const fn = this.find(input.FunctionName);
        this.advance(fn);
        return {
          Configuration: this.configuration(fn),
          Code: fn.packageType === 'Image' ? { RepositoryType: 'ECR', ImageUri: fn.imageUri, ResolvedImageUri: fn.lastUpdateStatus !== 'InProgress' ? fn.resolvedImageUri : undefined } : { RepositoryType: 'S3' },
        };
      }),
    );

    this.mock.on(GetFunctionConfigurationCommand).callsFake(
      handle('Lambda', 'GetFunctionConfiguration', (input: { FunctionName?: string; Qualifier?: string }) => ({ ...this.configuration(this.find(input.FunctionName)), Version: input.Qualifier ?? '$LATEST' })),
    );

    this.mock.on(UpdateFunctionCodeCommand).callsFake(
      handle('Lambda', 'UpdateFunctionCode', (input: { FunctionName?: string; ImageUri?: string; RevisionId?: string }) => {
        const fn = this.find(input.FunctionName);
        if (fn.lastUpdateStatus === 'InProgress') {
          throw new ResourceConflictException({ message: `The operation cannot be performed at this time. An update is in progress for resource: ${fn.arn}`, $metadata: { httpStatusCode: 409 } });
        }
        if (input.RevisionId && input.RevisionId !== `rev-${fn.revision}`) {
          throw new PreconditionFailedException({ message: 'The Revision Id provided does not match the latest Revision Id.', $metadata: { httpStatusCode: 412 } });
        }
        fn.beforeUpdate = { imageUri: fn.imageUri, resolvedImageUri: fn.resolvedImageUri };
        fn.imageUri = input.ImageUri ?? fn.imageUri;
        fn.resolvedImageUri = this.resolved(fn.imageUri);
        fn.revision += 1;
        fn.lastUpdateStatus = 'InProgress';
        fn.lastUpdateReason = undefined;
        fn.looksSinceUpdate = 0;
        return this.configuration(fn);
      }),
    );

    this.mock.on(PublishVersionCommand).callsFake(
      handle('Lambda', 'PublishVersion', (input: { FunctionName?: string }) => {
        const fn = this.find(input.FunctionName);
        const numbers = [...fn.versions.keys()].map(Number);
        const latest = numbers.length ? String(Math.max(...numbers)) : undefined;
        // Lambda does not publish a version when nothing changed since the last one.
        if (latest && fn.versions.get(latest)?.resolvedImageUri === fn.resolvedImageUri) return { ...this.configuration(fn), Version: latest };
        const version = String((numbers.length ? Math.max(...numbers) : 0) + 1);
        fn.versions.set(version, { imageUri: fn.imageUri, resolvedImageUri: fn.resolvedImageUri });
        return { ...this.configuration(fn), Version: version };
      }),
    );

    this.mock.on(GetAliasCommand).callsFake(
      handle('Lambda', 'GetAlias', (input: { FunctionName?: string; Name?: string }) => {
        const fn = this.find(input.FunctionName);
        const alias = fn.aliases.get(input.Name ?? '');
        if (!alias) throw new ResourceNotFoundException({ message: `Alias not found: ${input.Name}`, $metadata: { httpStatusCode: 404 } });
        return { Name: input.Name, FunctionVersion: alias.version, RoutingConfig: { AdditionalVersionWeights: { ...alias.weights } }, AliasArn: `${fn.arn}:${input.Name}` };
      }),
    );

    this.mock.on(UpdateAliasCommand).callsFake(
      handle('Lambda', 'UpdateAlias', (input: { FunctionName?: string; Name?: string; FunctionVersion?: string; RoutingConfig?: { AdditionalVersionWeights?: Record<string, number> } }) => {
        const fn = this.find(input.FunctionName);
        const alias = fn.aliases.get(input.Name ?? '');
        if (!alias) throw new ResourceNotFoundException({ message: `Alias not found: ${input.Name}`, $metadata: { httpStatusCode: 404 } });
        if (input.FunctionVersion) alias.version = input.FunctionVersion;
        if (input.RoutingConfig) alias.weights = { ...(input.RoutingConfig.AdditionalVersionWeights ?? {}) };
        return { Name: input.Name, FunctionVersion: alias.version, RoutingConfig: { AdditionalVersionWeights: { ...alias.weights } } };
      }),
    );

    this.mock.on(InvokeCommand).callsFake(
      handle('Lambda', 'Invoke', (input: { FunctionName?: string; Qualifier?: string }) => {
        const fn = this.find(input.FunctionName);
        this.invocations.push(`${fn.name}:${input.Qualifier ?? '$LATEST'}`);
        const image = this.imageOf(fn, input.Qualifier);
        const executedVersion = input.Qualifier ? (fn.aliases.get(input.Qualifier)?.version ?? input.Qualifier) : '$LATEST';
        const encode = (value: unknown) => new TextEncoder().encode(JSON.stringify(value));
        if (this.behaviourOfImage(image) === 'errors-on-invoke' || this.failingFunctions.has(fn.name)) {
          return { StatusCode: 200, FunctionError: 'Unhandled', ExecutedVersion: executedVersion, Payload: encode({ errorType: 'ModelLoadError', errorMessage: 'weights file /opt/ml/model.pt not found' }) };
        }
        const answer = this.answers.has(fn.name) ? this.answers.get(fn.name) : { statusCode: 200, body: '{"prediction":"cat","ok":true}' };
        return { StatusCode: 200, ExecutedVersion: executedVersion, Payload: encode(answer) };
      }),
    );
  }
}

export { SimulatedLambda };
export type { LambdaImageBehaviour, SimulatedFunction };
