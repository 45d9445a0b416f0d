import './quiet';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { taskDefinitionLabel } from '../functions/ecs/task-definition';
import { shortDigest } from '../functions/shared/image';
import { deployPush } from './deploy-push';
import { startHealthServer } from './health-server';
import { createSampleWorld, STREAM_ML } from './sample-world';
import { loadDeployDefinition } from './state-machine';
import { renderTimeline, shortImage } from './timeline';

/**
 * `npm start`: the main job on the embedded local default. Sample ECR push events
 * go through the real trigger and the real state machine, against a simulated AWS
 * account and a real health endpoint on 127.0.0.1.
 */

const ROOT = join(__dirname, '..');
/** Wait states take this long locally instead of their seconds in AWS. */
const LOCAL_WAIT_MS = 20;

interface Scenario {
  title: string;
  eventFile: string;
  expect: 'SUCCEEDED' | 'FAILED' | 'IGNORED';
}

const SCENARIOS: Scenario[] = [
  { title: 'A tagless push (child manifest of a multi-arch image) is ignored', eventFile: 'events/ecr-push-tagless.json', expect: 'IGNORED' },
  { title: 'A push of v1.4.0 deploys itself: new revision, rollout, digest check, smoke test', eventFile: 'events/ecr-push.json', expect: 'SUCCEEDED' },
  { title: 'A push of v1.4.1 fails its smoke test and is rolled back automatically', eventFile: 'events/ecr-push-broken-build.json', expect: 'FAILED' },
];

function readEvent(file: string): { detail: { 'repository-name': string; 'image-tag'?: string; 'image-digest': string } } {
  return JSON.parse(readFileSync(join(ROOT, file), 'utf8')) as { detail: { 'repository-name': string; 'image-tag'?: string; 'image-digest': string } };
}

async function main(): Promise<number> {
  process.env.AWS_REGION ??= 'us-east-1';
  const account = createSampleWorld();
  const brokenDigest = readEvent('events/ecr-push-broken-build.json').detail['image-digest'];
  const health = await startHealthServer(() => {
    const running = account.runningDigests(STREAM_ML.cluster, STREAM_ML.service).map((task) => task[STREAM_ML.container]);
    return running.includes(brokenDigest)
      ? { status: 500, body: '{"status":"error","detail":"model weights failed to load"}' }
      : { status: 200, body: '{"status":"ok"}' };
  });
  const configDir = mkdtempSync(join(tmpdir(), 'ecr-deployer-'));
  const configFile = join(configDir, 'deployments.yml');
  writeFileSync(configFile, readFileSync(join(ROOT, 'local', 'deployments.local.yml'), 'utf8').replaceAll('LOCAL_HEALTH_URL', health.url));
  process.env.DEPLOYMENTS_FILE = configFile;

  const definition = loadDeployDefinition() as unknown as Parameters<typeof renderTimeline>[1];
  const out: string[] = [];
  const print = (line = '') => out.push(line) && console.log(line);
  print('ecr-deployer — local run: the real trigger and state machine against a simulated AWS account');
  print(`(ECS cluster ${STREAM_ML.cluster}, service ${STREAM_ML.service}; health endpoint ${health.url})`);
  let unexpected = 0;
  try {
    for (const [index, scenario] of SCENARIOS.entries()) {
      const event = readEvent(scenario.eventFile);
      const { detail } = event;
      print();
      print(`━━ ${index + 1}. ${scenario.title}`);
      print(`ECR push: ${detail['repository-name']}:${detail['image-tag'] || '(no tag)'} sha256:${shortDigest(detail['image-digest'])}…  (${scenario.eventFile})`);
      const before = account.runningTaskDefinition(STREAM_ML.cluster, STREAM_ML.service);
      const eventsBefore = account.events.length;
      const outcome = await deployPush(account, event, { waitMs: LOCAL_WAIT_MS });
      if (outcome.trigger.ignored) {
        print(`trigger: ignored — ${outcome.trigger.ignored}`);
        if (scenario.expect !== 'IGNORED') unexpected += 1;
        continue;
      }
      for (const run of outcome.runs) {
        print(`trigger: started execution ${run.executionName}`);
        for (const line of renderTimeline(run.events, definition)) print(line);
        const after = account.runningTaskDefinition(STREAM_ML.cluster, STREAM_ML.service);
        const image = after?.containerDefinitions?.find((c) => c.name === STREAM_ML.container)?.image ?? '?';
        const took = (run.events.at(-1)?.timestamp ?? 0) - (run.events[0]?.timestamp ?? 0);
        const runs = `${STREAM_ML.service} runs ${taskDefinitionLabel(after?.taskDefinitionArn ?? '?')} (${shortImage(image)})`;
        const unchanged = before?.taskDefinitionArn === after?.taskDefinitionArn;
        const was = unchanged ? 'as before the push' : `was ${taskDefinitionLabel(before?.taskDefinitionArn ?? '?')}`;
        print(run.status === 'SUCCEEDED' ? `✔ SUCCEEDED in ${took} ms — ${runs}, ${was}` : `✘ FAILED (${run.error}) in ${took} ms — ${runs}, ${was}`);
        if (run.cause) print(`  reason: ${run.cause}`);
        print(`  events published: ${account.events.slice(eventsBefore).map((e) => e.status).join(' → ')}`);
        if (run.status !== scenario.expect) unexpected += 1;
      }
    }
  } finally {
    await health.close();
    account.restore();
  }
  print();
  print(unexpected === 0 ? 'All scenarios behaved as expected.' : `${unexpected} scenario(s) did not behave as expected.`);
  return unexpected === 0 ? 0 : 1;
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(error);
    process.exit(1);
  },
);
