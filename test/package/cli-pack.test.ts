import { execFile } from 'node:child_process';
import { copyFileSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

/**
 * The CLI as a user installs it: `npm pack`, the tarball installed offline into a
 * directory outside the repository, run from there, with no tsx and no clone.
 */

const run = promisify(execFile);
const ROOT = join(__dirname, '..', '..');
const PACK_TIMEOUT_MS = 240_000;

let work: string;
let app: string;

beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), 'ecr-deployer-pack-'));
  app = join(work, 'app');
  await run('npm', ['pack', '--pack-destination', work], { cwd: ROOT, timeout: PACK_TIMEOUT_MS });
  const [tarball] = readdirSync(work).filter((name) => name.endsWith('.tgz'));
  if (!tarball) throw new Error('npm pack wrote no tarball');
  await run('mkdir', ['-p', app]);
  writeFileSync(join(app, 'package.json'), JSON.stringify({ name: 'app', version: '1.0.0', private: true }));
  // Offline: the packed CLI depends on nothing at run time (it is one bundle).
  await run('npm', ['install', '--offline', '--no-audit', '--no-fund', join(work, tarball)], { cwd: app, timeout: PACK_TIMEOUT_MS });
}, PACK_TIMEOUT_MS);

afterAll(() => {
  rmSync(work, { recursive: true, force: true });
});

const cli = (args: string[]) => run(join(app, 'node_modules', '.bin', 'ecr-deployer'), args, { cwd: app, timeout: 60_000, env: { PATH: process.env.PATH ?? '', HOME: app } });

it('installs with no dependency and without tsx, and answers --help', async () => {
  const { stdout } = await cli(['--help']);

  expect(stdout).toContain('Usage: ecr-deployer');
  expect(readdirSync(join(app, 'node_modules')).filter((name) => !name.startsWith('.'))).toEqual(['ecr-deployer']);
});

it('rehearses a deployments.yml of the directory it runs in, outside the repository', async () => {
  copyFileSync(join(ROOT, 'examples', 'ecs-service-behind-alb.yml'), join(app, 'deployments.yml'));

  const { stdout, stderr } = await cli(['--local', '-f', 'deployments.yml', 'deploy', 'api', '--tag', 'v1.2.3']);

  expect(stderr).toContain(`local: AWS is simulated in this process, built from ${join(app, 'deployments.yml')}`);
  expect(stdout).toMatch(/✔ SUCCEEDED in \S+ — api runs api:\d+ \(v1\.2\.3 @ sha256:[0-9a-f]{12}\)/);
});
