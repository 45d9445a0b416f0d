import { join } from 'node:path';
import { linesOf, type CliRun } from './support';

/**
 * `--local -f FILE`: a person's own deployments.yml, rehearsed against a simulated
 * account built from it (local/rehearsal.ts). The files are the README's examples,
 * one per seed layout; each is driven through validate, plan, deploy (passing, and
 * with a smoke test made to fail), status and rollback, as a new user would.
 */

const EXAMPLES = join(__dirname, '..', '..', 'examples');

/** Each command as in its own process: a fresh module registry and a fresh rehearsal. */
function runCli(argv: string[]): Promise<CliRun> {
  jest.resetModules();
  const support = require('./support') as typeof import('./support');
  return support.runCli(argv);
}

interface Layout {
  file: string;
  target: string;
  tag: string;
  /** What the CLI says runs after a deployment SUCCEEDED. */
  runs: RegExp;
}

const LAYOUTS: Layout[] = [
  { file: 'ecs-service-behind-alb.yml', target: 'api', tag: 'v1.2.3', runs: /✔ SUCCEEDED in \S+ — api runs api:\d+ \(v1\.2\.3 @ sha256:[0-9a-f]{12}\)/ },
  { file: 'ecs-two-containers.yml', target: 'canvas', tag: 'v2.0.0', runs: /✔ SUCCEEDED in \S+ — short-drama-backend runs short-drama-backend:\d+/ },
  { file: 'lambda-canary.yml', target: 'inference', tag: '9a8b7c6', runs: /✔ SUCCEEDED in \S+ — ml-inference-function:live → version \d+ \(9a8b7c6 @ sha256:[0-9a-f]{12}\)/ },
  { file: 'batch-three-environments.yml', target: 'splitter-staging', tag: 'rc-2', runs: /✔ SUCCEEDED in \S+ — jobs submitted as splitter-staging get splitter-staging:\d+/ },
];

describe.each(LAYOUTS)('rehearsing examples/$file', ({ file, target, tag, runs }) => {
  const local = ['--local', '-f', join(EXAMPLES, file)];

  it('validates the file and lists its targets, saying what is simulated', async () => {
    const result = await runCli([...local, 'validate']);

    expect(result.code).toBe(0);
    expect(result.stdout).toContain(target);
    expect(result.stderr).toContain(`local: AWS is simulated in this process, built from ${join(EXAMPLES, file)}`);
  });

  it('plans a tag that was never pushed anywhere, changing nothing', async () => {
    const result = await runCli([...local, 'plan', target, '--tag', tag]);

    expect(result.code).toBe(0);
    expect(result.stdout).toContain(tag);

    const json = await runCli([...local, 'plan', target, '--tag', tag, '--json']);
    const plan = JSON.parse(json.stdout) as { image: { tag: string; uri: string }; images: { after: string; changes: boolean }[]; wouldFail: string | null };
    expect(plan).toMatchObject({ image: { tag }, wouldFail: null });
    expect(plan.images.filter((image) => image.changes).map((image) => image.after)).toContain(plan.image.uri);
  });

  it('deploys that tag and follows it to SUCCEEDED, exit code 0', async () => {
    const result = await runCli([...local, 'deploy', target, '--tag', tag, '--wait']);

    expect({ code: result.code, stdout: result.stdout }).toEqual({ code: 0, stdout: expect.stringMatching(runs) });
  });

  it('with --fail-smoke, sees the deployment fail its smoke test and rolled back, exit code 1', async () => {
    const result = await runCli([...local, '--fail-smoke', target, 'deploy', target, '--tag', tag, '--wait']);

    expect(result.code).toBe(1);
    expect(result.stdout).toMatch(/✘ ROLLED BACK \(failed, then restored\) in \S+ — SmokeTestFailed: /);
    expect(result.stderr).toContain(`failing for ${target}`);
  });

  it('gives the outcome of deploy --json as one document on stdout, the progress on stderr', async () => {
    const passed = await runCli([...local, 'deploy', target, '--tag', tag, '--json']);
    const failed = await runCli([...local, '--fail-smoke', target, 'deploy', target, '--tag', tag, '--json']);

    expect(JSON.parse(passed.stdout)).toMatchObject({ outcome: 'SUCCEEDED', target, image: { tag, digest: expect.stringMatching(/^sha256:/) }, error: null });
    expect(passed.stderr).toContain('release         slot released');
    expect(failed.code).toBe(1);
    expect(JSON.parse(failed.stdout)).toMatchObject({ outcome: 'ROLLED_BACK', target, error: 'SmokeTestFailed' });
  });

  it('gives status as JSON a script can read', async () => {
    const result = await runCli([...local, 'status', target, '--json']);

    expect(result.code).toBe(0);
    const parsed = JSON.parse(result.stdout) as { running: { deployment: string | null; images: string[] }; deployments: { executionName: string; target: string; outcome: string; trigger: string; image: { digest: string } | null }[] };
    expect(parsed.deployments).toEqual([expect.objectContaining({ target, outcome: 'SUCCEEDED', trigger: 'push', image: expect.objectContaining({ digest: expect.stringMatching(/^sha256:[0-9a-f]{64}$/) }) })]);
    // What runs now is what that deployment put there.
    expect(parsed.running.deployment).toBe(parsed.deployments[0]?.executionName);
    expect(parsed.running.images.join(' ')).toContain(parsed.deployments[0]?.image?.digest);
  });

  it('shows the deployment the rehearsal starts from in status, and rolls back to what ran before it', async () => {
    const status = await runCli([...local, 'status', target]);
    const rollback = await runCli([...local, 'rollback', target, '--wait']);

    expect(status.code).toBe(0);
    expect(linesOf(status.stdout)[0]).toMatch(new RegExp(`^now: ${target} runs \\S+.* \\(.*@sha256:[0-9a-f]{12}.*\\).*, by deployment \\S+$`));
    expect(linesOf(status.stdout).find((line) => line.includes(target) && !line.startsWith('now:'))).toMatch(/SUCCEEDED\s+\S+\s+push/);
    expect(rollback.code).toBe(0);
    expect(rollback.stdout).toContain('rehearsal-start @ sha256:');
    expect(rollback.stdout).toMatch(/✔ SUCCEEDED in /);
  });
});

describe('rehearsing examples/batch-promotion-with-approval.yml (seed 004: dev on push, staging automatically, prod by promotion with approval)', () => {
  const local = ['--local', '-f', join(EXAMPLES, 'batch-promotion-with-approval.yml')];

  it('promotes to prod what passed in staging, once approved (--approve), exit code 0', async () => {
    const result = await runCli([...local, '--approve', 'promote', 'splitter-prod', '--json']);

    expect(result.code).toBe(0);
    expect(JSON.parse(result.stdout)).toMatchObject({ outcome: 'SUCCEEDED', target: 'splitter-prod', image: { digest: expect.stringMatching(/^sha256:[0-9a-f]{64}$/) } });
    expect(result.stderr).toMatch(/approval\s+approved by local:/);
  });

  it('without --approve, says nobody can approve in a local run: SKIPPED, nothing changed, exit code 1', async () => {
    const result = await runCli([...local, 'promote', 'splitter-prod']);

    expect(result.code).toBe(1);
    expect(result.stdout).toMatch(/⏭ SKIPPED \(not started\) — rejected by local run at \S+: nobody can approve while a local run waits/);
    expect(result.stdout).toContain('rehearse it with --approve');
    expect(result.stdout).toContain('splitter-prod was not changed.');
  });

  it('shows the automatic promotion of staging in its status', async () => {
    const result = await runCli([...local, 'status', 'splitter-staging', '--json']);

    const parsed = JSON.parse(result.stdout) as { deployments: { trigger: string; outcome: string }[] };
    expect(parsed.deployments).toEqual([expect.objectContaining({ trigger: 'promotion', outcome: 'SUCCEEDED' })]);
  });
});

describe('rehearsal input', () => {
  it('refuses --fail-smoke for a target the file does not have, exit code 1', async () => {
    const result = await runCli(['--local', '-f', join(EXAMPLES, 'lambda-canary.yml'), '--fail-smoke', 'nope', 'status']);

    expect(result.code).toBe(1);
    expect(result.stderr).toContain('--fail-smoke names nope, not a target of');
  });

  it('refuses --fail-smoke for a target without smoke tests: there would be nothing to fail', async () => {
    const result = await runCli(['--local', '-f', join(EXAMPLES, 'ecs-two-containers.yml'), '--fail-smoke', 'orchestrator', 'status']);

    expect(result.code).toBe(1);
    expect(result.stderr).toContain('--fail-smoke names orchestrator, which has no smokeTests');
  });

  it('refuses --fail-smoke without a file to rehearse', async () => {
    const result = await runCli(['--local', '--fail-smoke', 'stream-ml-service', 'status']);

    expect(result.code).toBe(1);
    expect(result.stderr).toContain('--fail-smoke rehearses your own deployments.yml: pass it with --file');
  });

  it('names the field of an invalid file and starts nothing', async () => {
    const result = await runCli(['--local', '-f', join(__dirname, '..', '..', 'package.json'), 'status']);

    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/error: ConfigError: [\s\S]*- targets: /);
    expect(result.stderr).not.toContain('local: AWS is simulated');
  });
});

describe('npm start -- -f FILE', () => {
  it('pushes each target once through the real trigger and says how each deployment ended', async () => {
    jest.resetModules();
    const { rehearseFile } = require('../../local/rehearse-start') as typeof import('../../local/rehearse-start');
    const lines: string[] = [];

    const code = await rehearseFile({ file: join(EXAMPLES, 'batch-three-environments.yml'), failSmoke: ['splitter-prod'] }, (line = '') => lines.push(line), 0);

    expect(code).toBe(0);
    expect(lines.filter((line) => line.startsWith('━━ '))).toEqual(['━━ 1. splitter-dev (Batch, dev)', '━━ 2. splitter-staging (Batch, staging)', '━━ 3. splitter-prod (Batch, prod)']);
    expect(lines).toContain('✘ ROLLED BACK (failed, then restored)');
    expect(lines.filter((line) => line === '✔ SUCCEEDED').length).toBeGreaterThanOrEqual(2);
    expect(lines.at(-1)).toBe('Every deployment ended as rehearsed.');
  });
});
