import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { build, type BuildOptions } from 'esbuild';
import { bundledCommandList, type BundledCommand } from './sdk-commands';

/**
 * Each function's bundle against its floor: the same esbuild settings as serverless.yml's
 * `custom.esbuild`, bundling only the SDK clients and the commands the function sends.
 * Sizes are exact; cold loads (`require` of the bundle in a fresh Node process) are
 * measured in pairs, function and floor alternating, and the median ratio is reported.
 */

const ROOT = join(__dirname, '..');
const HANDLERS = join(ROOT, 'functions', 'handlers');

/** serverless.yml's custom.esbuild. */
const ESBUILD: BuildOptions = { bundle: true, minify: false, sourcemap: false, target: 'node22', platform: 'node', format: 'cjs', mainFields: ['module', 'main'], logLevel: 'silent' };

/** The SDK package and client class of each service id a bundle names. */
const CLIENTS: Record<string, { pkg: string; client: string }> = {
  AmazonEC2ContainerServiceV20141113: { pkg: '@aws-sdk/client-ecs', client: 'ECSClient' },
  AWSBatchV20160810: { pkg: '@aws-sdk/client-batch', client: 'BatchClient' },
  AWSGirApiService: { pkg: '@aws-sdk/client-lambda', client: 'LambdaClient' },
  AWSStepFunctions: { pkg: '@aws-sdk/client-sfn', client: 'SFNClient' },
  AWSEvents: { pkg: '@aws-sdk/client-eventbridge', client: 'EventBridgeClient' },
  DynamoDB_20120810: { pkg: '@aws-sdk/client-dynamodb', client: 'DynamoDBClient' },
  AmazonEC2ContainerRegistry_V20150921: { pkg: '@aws-sdk/client-ecr', client: 'ECRClient' },
  secretsmanager: { pkg: '@aws-sdk/client-secrets-manager', client: 'SecretsManagerClient' },
  AmazonSSM: { pkg: '@aws-sdk/client-ssm', client: 'SSMClient' },
  ElasticLoadBalancing_v10: { pkg: '@aws-sdk/client-elastic-load-balancing-v2', client: 'ElasticLoadBalancingV2Client' },
  GraniteServiceVersion20100801: { pkg: '@aws-sdk/client-cloudwatch', client: 'CloudWatchClient' },
};

/** Commands a bundle carries that its function never sends: they are not part of the floor. */
const NOT_SENT: Record<string, string[]> = {
  // Powertools' SSMProvider brings its batch and write calls; the functions only GetParameter.
  AmazonSSM: ['GetParameters', 'GetParametersByPath', 'PutParameter'],
};

interface BundleFigures {
  name: string;
  bytes: number;
  floorBytes: number;
  loadMs: number;
  floorLoadMs: number;
  /** The median of the pairs' ratios (each pair measured back to back, so a busy moment weighs on both). */
  loadRatio: number;
}

/** The floor's entry: the clients and commands `commands` names, constructed as the function does. */
function floorSource(commands: BundledCommand[]): string {
  const byPackage = new Map<string, { client: string; classes: Set<string> }>();
  for (const command of commands) {
    const known = CLIENTS[command.service];
    if (!known || NOT_SENT[command.service]?.includes(command.operation)) continue;
    const entry = byPackage.get(known.pkg) ?? { client: known.client, classes: new Set<string>() };
    entry.classes.add(command.className);
    byPackage.set(known.pkg, entry);
  }
  const imports = [...byPackage].map(([pkg, { client, classes }]) => `import { ${client}, ${[...classes].join(', ')} } from '${pkg}';`);
  const uses = [...byPackage.values()].map(({ client, classes }) => `new ${client}({}), ${[...classes].join(', ')}`);
  return `${imports.join('\n')}\nexport const floor = [${uses.join(', ')}];\n`;
}

async function bundle(entry: string, outfile: string): Promise<string> {
  // The floor's entry is written outside the project: its packages resolve from the project's node_modules.
  const result = await build({ ...ESBUILD, entryPoints: [entry], outfile, write: true, absWorkingDir: ROOT, nodePaths: [join(ROOT, 'node_modules')] });
  if (result.errors.length > 0) throw new Error(`esbuild failed on ${entry}`);
  return outfile;
}

/** Milliseconds to `require` a bundle in a fresh process (Node's own start not counted). */
function coldLoadMs(file: string): number {
  const script = `const t=process.hrtime.bigint();require(${JSON.stringify(file)});process.stdout.write(String(Number(process.hrtime.bigint()-t)/1e6))`;
  const env = { ...process.env, AWS_REGION: 'us-east-1', POWERTOOLS_LOG_LEVEL: 'SILENT', AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' };
  return Number(execFileSync(process.execPath, ['-e', script], { env, stdio: ['ignore', 'pipe', 'ignore'] }).toString());
}

const median = (values: number[]): number => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? 0;
};

/** The handler files serverless.yml deploys as functions (the others are steps a function group dispatches to). */
function deployedHandlers(): string[] {
  const text = readFileSync(join(ROOT, 'serverless.yml'), 'utf8');
  return [...text.matchAll(/^\s+handler: functions\/handlers\/([a-z-]+)\.handler$/gm)].map((match) => match[1]!).sort();
}

/** Every deployed function's bundle and floor, with `pairs` paired cold loads each. */
async function measureBundles(pairs = 5): Promise<BundleFigures[]> {
  const dir = mkdtempSync(join(tmpdir(), 'ecr-deployer-bench-'));
  try {
    const figures: BundleFigures[] = [];
    for (const name of deployedHandlers()) {
      const file = `${name}.ts`;
      const out = await bundle(join(HANDLERS, file), join(dir, `${name}.js`));
      const js = readFileSync(out, 'utf8');
      const floorEntry = join(dir, `${name}.floor.ts`);
      writeFileSync(floorEntry, floorSource(bundledCommandList(js).commands));
      const floorOut = await bundle(floorEntry, join(dir, `${name}.floor.js`));
      const loads: number[] = [];
      const floorLoads: number[] = [];
      for (let i = 0; i < pairs; i += 1) {
        // Alternate which goes first, so that neither always loads with a warmer disk cache.
        const [first, second] = i % 2 === 0 ? [out, floorOut] : [floorOut, out];
        const a = coldLoadMs(first);
        const b = coldLoadMs(second);
        loads.push(first === out ? a : b);
        floorLoads.push(first === out ? b : a);
      }
      figures.push({ name, bytes: statSync(out).size, floorBytes: statSync(floorOut).size, loadMs: median(loads), floorLoadMs: median(floorLoads), loadRatio: median(loads.map((load, i) => load / (floorLoads[i] ?? load))) });
    }
    return figures;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

export { measureBundles, floorSource };
export type { BundleFigures };
