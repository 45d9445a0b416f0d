import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { STREAM_ML_CURRENT_DIGEST } from '../../local/sample-world';
import { shortDigest } from '../../functions/shared/image';
import { linesOf, type CliRun } from './support';

/**
 * Every command with --local: the embedded simulated account of `npm start` (the
 * sample world after the pushes of stream-ml-service v1.4.0, deployed, and v1.4.1,
 * rolled back), the real state machine and handlers, a health endpoint on 127.0.0.1.
 */

const V130 = shortDigest(STREAM_ML_CURRENT_DIGEST);

/**
 * Each command as in its own process: a fresh module registry, so the Lambdas'
 * per-cold-start caches (the trigger's deployments.yml) start empty.
 */
function runCli(argv: string[]): Promise<CliRun> {
  jest.resetModules();
  const support = require('./support') as typeof import('./support');
  return support.runCli(argv);
}

describe('--local deploy', () => {
  it('deploys a tag and follows it to SUCCEEDED through every phase, exit code 0', async () => {
    const result = await runCli(['--local', 'deploy', 'stream-ml-service', '--tag', 'v1.4.0', '--wait']);

    expect(result.code).toBe(0);
    const phases = linesOf(result.stdout)
      .filter((line) => line.startsWith('  ') && !line.startsWith('   '))
      .map((line) => line.trim().split(/\s{2,}/)[0]);
    expect([...new Set(phases)]).toEqual(['resolve', 'slot', 'update service', 'rollout', 'verify image', 'smoke test', 'release']);
    expect(result.stdout).toMatch(/✔ SUCCEEDED in \S+ — stream-ml-service-1 runs stream-ml-service:\d+ \(v1\.4\.0 @ sha256:7f5b2640fe6f\)/);
    expect(result.stderr).toBe('');
  });

  it('deploys a build whose smoke test fails, sees it rolled back, exit code 1', async () => {
    const result = await runCli(['--local', 'deploy', 'stream-ml-service', '--tag', 'v1.4.1', '--wait']);

    expect(result.code).toBe(1);
    expect(result.stdout).toContain('✗ SmokeTestFailed: GET http://127.0.0.1:');
    expect(result.stdout).toMatch(/✘ ROLLED BACK \(failed, then restored\) in \S+ — SmokeTestFailed: GET http:\/\/127\.0\.0\.1:\d+\/health → 500/);
    expect(result.stdout).toContain('stream-ml-service-1 is back on stream-ml-service:2: the failed image is not running.');
  });

  it('refuses a tag ECR does not have, exit code 1', async () => {
    const result = await runCli(['--local', 'deploy', 'stream-ml-service', '--tag', 'v9.9.9', '--wait']);

    expect(result.code).toBe(1);
    expect(result.stderr).toContain('error: ImageNotFound: ECR repository "stream-ml-service" has no image with tag "v9.9.9"');
    expect(result.stdout).toBe('');
  });

  it('refuses an unknown target, exit code 1', async () => {
    const result = await runCli(['--local', 'deploy', 'nope', '--tag', 'v1.4.0']);

    expect(result.code).toBe(1);
    expect(result.stderr).toContain('error: unknown target: no target named "nope"');
  });

  it('with --no-wait, starts the execution and says it runs in this process', async () => {
    const result = await runCli(['--local', 'deploy', 'canvas-service', '--tag', 'v2.1.0', '--no-wait']);

    expect(result.code).toBe(0);
    expect(result.stdout).toContain('started execution manual-canvas-service-');
    expect(result.stdout).toContain('(local: it runs in this process until it ends; leave out --no-wait to follow it)');
  });
});

describe('--local rollback', () => {
  it('goes back to the image before the last successful deployment, exit code 0', async () => {
    const result = await runCli(['--local', 'rollback', 'stream-ml-service', '--wait']);

    expect(result.code).toBe(0);
    expect(result.stdout).toContain(`roll back stream-ml-service: undo ecs-emotional-parrot-stream-ml-service-1-9a3822-g1 (v1.4.0 @ sha256:7f5b2640fe6f)`);
    expect(result.stdout).toContain(`back to v1.3.0 @ sha256:${V130}, what stream-ml-service ran before it`);
    expect(result.stdout).toContain('rolls back ecs-emotional-parrot-stream-ml-service-1-9a3822-g1');
    expect(result.stdout).toMatch(new RegExp(`✔ SUCCEEDED in \\S+ — stream-ml-service-1 runs stream-ml-service:\\d+ \\(v1\\.3\\.0 @ sha256:${V130}\\)`));
  });
});

describe('--local status and watch', () => {
  it('lists the deployments the sample pushes made, newest first', async () => {
    const result = await runCli(['--local', 'status']);

    expect(result.code).toBe(0);
    const lines = result.stdout.split('\n');
    expect(lines[1]).toMatch(/stream-ml-service\s+v1\.4\.1 @ sha256:42b526eda7ef\s+ROLLED BACK\s+\S+\s+push\s+ecs-emotional-parrot-stream-ml-service-1-9a3822-g2/);
    expect(lines[2]).toMatch(/stream-ml-service\s+v1\.4\.0 @ sha256:7f5b2640fe6f\s+SUCCEEDED\s+\S+\s+push\s+ecs-emotional-parrot-stream-ml-service-1-9a3822-g1/);
  });

  it('replays a finished execution and exits with its outcome', async () => {
    const result = await runCli(['--local', 'watch', 'ecs-emotional-parrot-stream-ml-service-1-9a3822-g1']);

    expect(result.code).toBe(0);
    expect(result.stdout).toContain('watch ecs-emotional-parrot-stream-ml-service-1-9a3822-g1: stream-ml-service v1.4.0 @ sha256:7f5b2640fe6f — SUCCEEDED');
    expect(result.stdout).toContain('✔ SUCCEEDED');
  });

  it('says so when the execution does not exist, exit code 1', async () => {
    const result = await runCli(['--local', 'watch', 'no-such-execution']);

    expect(result.code).toBe(1);
    expect(result.stderr).toContain('error: execution not found in us-east-1');
  });
});

describe('--local plan', () => {
  it('shows the two-container diff of the short-drama backend: only canvas-service changes', async () => {
    const result = await runCli(['--local', 'plan', 'canvas-service', '--tag', 'v2.1.0']);

    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/~ container canvas-service {2}image \S+\/canvas-service:v2\.0\.3\n\s+→ \S+\/canvas-service@sha256:[a-f0-9]{64}\n/);
    expect(result.stdout).toMatch(/= container orchestrator {4}image \S+\/orchestrator:v1\.8\.0 \(unchanged\)/);
    expect(result.stdout).toContain('Nothing else changes: every other field of short-drama-backend:1 is copied as it is.');
  });

  it('shows which image of the Batch job definition changes', async () => {
    const result = await runCli(['--local', 'plan', 'splitter', '--tag', 'c0ffee1']);

    expect(result.code).toBe(0);
    expect(result.stdout).toContain('live: upscaler-splitter-job-dev:2, the latest ACTIVE revision');
    expect(result.stdout).toMatch(/~ containerProperties {2}image \S+\/upscaler-splitter-dev-ecr:8a1d4b7\n\s+→ \S+\/upscaler-splitter-dev-ecr@sha256:c0ffee1d2e3f/);
    expect(result.stdout).toContain('Nothing else changes');
  });

  it('shows the image and the alias shift of the Lambda function', async () => {
    const result = await runCli(['--local', 'plan', 'ml-inference', '--tag', '9a8b7c6']);

    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/~ function ml-inference-function {2}image \S+\n\s+→ \S+\/ml-inference@sha256:9a8b7c6d5e4f/);
    expect(result.stdout).toContain('alias live (now version 3) → the new version, 10 % for 300 s, then 100 %');
  });

  it('plans from the revision the service runs after the sample pushes', async () => {
    const result = await runCli(['--local', 'plan', 'stream-ml-service', '--tag', 'v1.4.0']);

    expect(result.code).toBe(0);
    expect(result.stdout).toContain('live: stream-ml-service:2, the task definition service stream-ml-service-1 runs');
    expect(result.stdout).toContain('Dry run: nothing was registered, updated or started.');
  });
});

describe('--local validate', () => {
  it('checks the embedded deployments and lists their targets', async () => {
    const result = await runCli(['--local', 'validate']);

    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/is valid: 7 target\(s\)\./);
    expect(result.stdout).toMatch(/canvas-service\s+ecs short-drama-cluster\/short-drama-backend/);
  });
});

describe('the bin shim', () => {
  it('runs the TypeScript CLI through tsx, as npx ecr-deployer does', async () => {
    const root = join(__dirname, '..', '..');
    // Not spawnSync: the tests' local DynamoDB may serve from this very process.
    const run = await new Promise<{ status: number; stdout: string; stderr: string }>((resolve) => {
      execFile(process.execPath, [join(root, 'bin', 'ecr-deployer.js'), '--local', 'status', 'stream-ml-service'], { cwd: root, encoding: 'utf8' }, (error, stdout, stderr) =>
        resolve({ status: error ? (typeof error.code === 'number' ? error.code : 1) : 0, stdout, stderr }),
      );
    });

    expect(run.status).toBe(0);
    expect(run.stdout).toContain('2 most recent deployment(s) of stream-ml-service, from the deployment ledger.');
    expect(run.stderr).toBe('');
  });
});
