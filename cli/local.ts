import '../local/quiet';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { deployPush } from '../local/deploy-push';
import { startLocalEnvironment } from '../local/environment';
import { startRehearsal } from '../local/rehearsal';
import { seedSampleImages } from '../local/sample-images';
import type { LocalSession } from './context';

/**
 * `--local`: the embedded simulated AWS account of `npm start`, in this process.
 * The sample world (ECS services, a Batch job definition, a Lambda function, their
 * ECR images) after the first two sample pushes of `npm start`: stream-ml-service
 * v1.4.0 deployed, v1.4.1 failed its smoke test and was rolled back. Executions the
 * CLI starts run the real state machine with the real step handlers; the health
 * endpoint is a real HTTP server on 127.0.0.1. Nothing is kept between runs.
 *
 * One session per process, as the CLI runs one command per process: the trigger
 * Lambda keeps deployments.yml for its cold start (module scope), so a second
 * session in the same module registry would push with the first one's settings.
 */

const ROOT = join(__dirname, '..');
const SEED_PUSHES = ['events/ecr-push.json', 'events/ecr-push-broken-build.json'];
const ENV_KEYS = ['DEPLOYMENTS_FILE', 'AWS_REGION', 'AWS_ACCOUNT_ID', 'STATE_MACHINE_ARN', 'SLOTS_TABLE', 'NOTIFICATIONS_TABLE', 'LEDGER_TABLE', 'AWS_ENDPOINT_URL_DYNAMODB', 'AWS_ENDPOINT_URL'] as const;

function readEvent(file: string): { detail: Record<string, string> } {
  return JSON.parse(readFileSync(join(ROOT, file), 'utf8')) as { detail: Record<string, string> };
}

/** `--local -f FILE`: the person's own file, rehearsed (local/rehearsal.ts). */
async function openRehearsal(options: { waitMs: number; file: string; failSmoke?: string[]; approveAs?: string }): Promise<LocalSession> {
  const savedEnv = Object.fromEntries(ENV_KEYS.map((key) => [key, process.env[key]]));
  const restoreEnv = () => {
    for (const key of ENV_KEYS) {
      if (savedEnv[key] === undefined) delete process.env[key];
      else process.env[key] = savedEnv[key];
    }
  };
  try {
    const rehearsal = await startRehearsal({ ...options, firstDeployments: true });
    process.env.DEPLOYMENTS_FILE = rehearsal.compiledFile;
    const close = async () => {
      try {
        await rehearsal.close();
      } finally {
        restoreEnv();
      }
    };
    return { stateMachineArn: rehearsal.account.stepFunctions.stateMachineArn, deploymentsFile: rehearsal.deploymentsFile, region: rehearsal.account.region, simulated: rehearsal.simulated, close };
  } catch (error) {
    restoreEnv();
    throw error;
  }
}

async function openLocalSession(options: { waitMs: number; file?: string; failSmoke?: string[]; approveAs?: string }): Promise<LocalSession> {
  if (options.file) return openRehearsal({ ...options, file: options.file });
  if (options.failSmoke?.length) throw new Error('--fail-smoke rehearses your own deployments.yml: pass it with --file');
  const savedEnv = Object.fromEntries(ENV_KEYS.map((key) => [key, process.env[key]]));
  const environment = await startLocalEnvironment({ waitMs: options.waitMs, approveAs: options.approveAs });
  const { account, deploymentsFile } = environment;
  seedSampleImages(account);
  // What the step Lambdas of the stack see: the file compiled, as packaging leaves it.
  process.env.DEPLOYMENTS_FILE = environment.compiledFile;

  const close = async () => {
    try {
      await account.stepFunctions.settle();
    } finally {
      await environment.close();
      for (const key of ENV_KEYS) {
        if (savedEnv[key] === undefined) delete process.env[key];
        else process.env[key] = savedEnv[key];
      }
    }
  };
  try {
    for (const file of SEED_PUSHES) await deployPush(account, readEvent(file));
  } catch (error) {
    await close();
    throw error;
  }
  return { stateMachineArn: account.stepFunctions.stateMachineArn, deploymentsFile, region: account.region, simulated: [], close };
}

export { openLocalSession };
