import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { compileDeploymentsText } from '../functions/config/compile';
import { startHealthServer } from './health-server';
import { createSampleWorld, STREAM_ML } from './sample-world';
import type { SimulatedAwsAccount } from './simulated-account';
import { approvingApprover, startLocalStack } from './stack';
import type { LocalRunOptions } from './state-machine';

const ROOT = join(__dirname, '..');

/** The digest of events/ecr-push-broken-build.json: a build whose /health answers 500. */
function brokenBuildDigest(): string {
  const event = JSON.parse(readFileSync(join(ROOT, 'events', 'ecr-push-broken-build.json'), 'utf8')) as { detail: { 'image-digest': string } };
  return event.detail['image-digest'];
}

interface LocalEnvironment {
  account: SimulatedAwsAccount;
  healthUrl: string;
  /** local/deployments.local.yml with the health endpoint's real URL in it. */
  deploymentsFile: string;
  /** The same, compiled as packaging compiles it: what the stack's functions read (DEPLOYMENTS_FILE). */
  compiledFile: string;
  close: () => Promise<void>;
}

/**
 * What `npm start` and `ecr-deployer --local` run against: the sample world with
 * the stack's moving parts around it (a local DynamoDB for the slots, executions
 * that run by themselves, the recovery rule), a real health endpoint on 127.0.0.1
 * answering for whatever stream-ml-service runs now, and the local
 * deployments.yml pointing at it.
 */
async function startLocalEnvironment(options: { waitMs?: LocalRunOptions['waitMs']; approveAs?: string } = {}): Promise<LocalEnvironment> {
  const account = createSampleWorld();
  const stack = await startLocalStack(account, { waitMs: options.waitMs, ...(options.approveAs ? { approver: approvingApprover(options.approveAs) } : {}) });
  const broken = brokenBuildDigest();
  const health = await startHealthServer(() => {
    const running = account.runningDigests(STREAM_ML.cluster, STREAM_ML.service).map((task) => task[STREAM_ML.container]);
    return running.includes(broken)
      ? { status: 500, body: '{"status":"error","detail":"model weights failed to load"}' }
      : { status: 200, body: '{"status":"ok"}' };
  });
  const dir = mkdtempSync(join(tmpdir(), 'ecr-deployer-local-'));
  const deploymentsFile = join(dir, 'deployments.yml');
  const text = readFileSync(join(ROOT, 'local', 'deployments.local.yml'), 'utf8').replaceAll('LOCAL_HEALTH_URL', health.url);
  writeFileSync(deploymentsFile, text);
  const compiledFile = join(dir, 'deployments.json');
  writeFileSync(compiledFile, JSON.stringify(compileDeploymentsText(text, deploymentsFile)));
  return {
    account,
    healthUrl: health.url,
    deploymentsFile,
    compiledFile,
    close: async () => {
      try {
        await account.stepFunctions.settle();
        await health.close();
      } finally {
        account.restore();
        await stack.close();
        rmSync(dir, { recursive: true, force: true });
      }
    },
  };
}

export { startLocalEnvironment };
export type { LocalEnvironment };
