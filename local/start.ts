import './quiet';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { jobDefinitionLabel } from '../functions/batch/job-definition';
import { taskDefinitionLabel } from '../functions/ecs/task-definition';
import { renderMessageForTerminal, renderSlackMessage } from '../functions/notifications/render';
import { shortDigest } from '../functions/shared/image';
import { deployPush } from './deploy-push';
import { startLocalEnvironment } from './environment';
import { ML_INFERENCE, SPLITTER, STREAM_ML } from './sample-world';
import type { SimulatedAwsAccount } from './simulated-account';
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

/** What a target runs now, in words: `stream-ml-service-1 runs stream-ml-service:2 (…@sha256:…)`. */
type WhatRuns = (account: SimulatedAwsAccount) => { revision: string; line: string };

const STREAM_ML_RUNS: WhatRuns = (account) => {
  const running = account.runningTaskDefinition(STREAM_ML.cluster, STREAM_ML.service);
  const image = running?.containerDefinitions?.find((c) => c.name === STREAM_ML.container)?.image ?? '?';
  const revision = taskDefinitionLabel(running?.taskDefinitionArn ?? '?');
  return { revision, line: `${STREAM_ML.service} runs ${revision} (${shortImage(image)})` };
};

const SPLITTER_RUNS: WhatRuns = (account) => {
  const latest = account.batch.latestActive(SPLITTER.jobDefinition);
  const revision = jobDefinitionLabel(latest?.jobDefinitionArn ?? '?');
  return { revision, line: `jobs submitted as ${SPLITTER.jobDefinition} get ${revision} (${shortImage(latest?.containerProperties?.image ?? '?')})` };
};

const ML_INFERENCE_RUNS: WhatRuns = (account) => {
  const fn = account.lambda.function(ML_INFERENCE.function);
  const alias = fn.aliases.get(ML_INFERENCE.alias);
  const image = fn.versions.get(alias?.version ?? '')?.imageUri ?? '?';
  const revision = `version ${alias?.version ?? '?'}`;
  return { revision, line: `alias ${ML_INFERENCE.function}:${ML_INFERENCE.alias} → ${revision} (${shortImage(image)})` };
};

interface Scenario {
  title: string;
  eventFile: string;
  expect: 'SUCCEEDED' | 'FAILED' | 'IGNORED';
  whatRuns: WhatRuns;
  /** The same image pushed under more tags: each is another event, and none deploys again. */
  alsoTags?: string[];
}

const SCENARIOS: Scenario[] = [
  { title: 'A tagless push (child manifest of a multi-arch image) is ignored', eventFile: 'events/ecr-push-tagless.json', expect: 'IGNORED', whatRuns: STREAM_ML_RUNS },
  { title: 'A push of v1.4.0 deploys itself: new revision, rollout, digest check, smoke test', eventFile: 'events/ecr-push.json', expect: 'SUCCEEDED', whatRuns: STREAM_ML_RUNS },
  { title: 'A push of v1.4.1 fails its smoke test and is rolled back automatically', eventFile: 'events/ecr-push-broken-build.json', expect: 'FAILED', whatRuns: STREAM_ML_RUNS },
  {
    title: 'A push of the video splitter (three tags) registers one Batch job definition revision and runs its test job',
    eventFile: 'events/ecr-push-splitter.json',
    expect: 'SUCCEEDED',
    whatRuns: SPLITTER_RUNS,
    alsoTags: ['latest', 'c0ffee1d2e3f4a5b6c7d8e9f0a1b2c3d4e5f6a7b'],
  },
  {
    title: 'A push of the ML inference image updates the Lambda function, canaries 10 % on the alias, then shifts it all',
    eventFile: 'events/ecr-push-ml-inference.json',
    expect: 'SUCCEEDED',
    whatRuns: ML_INFERENCE_RUNS,
  },
];

function readEvent(file: string): { detail: { 'repository-name': string; 'image-tag'?: string; 'image-digest': string } } {
  return JSON.parse(readFileSync(join(ROOT, file), 'utf8')) as { detail: { 'repository-name': string; 'image-tag'?: string; 'image-digest': string } };
}

async function main(): Promise<number> {
  process.env.AWS_REGION ??= 'us-east-1';
  const environment = await startLocalEnvironment();
  const { account } = environment;
  process.env.DEPLOYMENTS_FILE = environment.deploymentsFile;

  const definition = loadDeployDefinition() as unknown as Parameters<typeof renderTimeline>[1];
  const print = (line = '') => console.log(line);
  print('ecr-deployer — local run: the real trigger and state machine against a simulated AWS account');
  print(`(ECS service ${STREAM_ML.cluster}/${STREAM_ML.service}, Batch job definition ${SPLITTER.jobDefinition}, Lambda function ${ML_INFERENCE.function}; health endpoint ${environment.healthUrl})`);
  let unexpected = 0;
  try {
    for (const [index, scenario] of SCENARIOS.entries()) {
      const event = readEvent(scenario.eventFile);
      const { detail } = event;
      print();
      print(`━━ ${index + 1}. ${scenario.title}`);
      print(`ECR push: ${detail['repository-name']}:${detail['image-tag'] || '(no tag)'} sha256:${shortDigest(detail['image-digest'])}…  (${scenario.eventFile})`);
      const before = scenario.whatRuns(account);
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
        const after = scenario.whatRuns(account);
        const took = (run.events.at(-1)?.timestamp ?? 0) - (run.events[0]?.timestamp ?? 0);
        const was = before.revision === after.revision ? 'as before the push' : `was ${before.revision}`;
        print(run.status === 'SUCCEEDED' ? `✔ SUCCEEDED in ${took} ms — ${after.line}, ${was}` : `✘ FAILED (${run.error}) in ${took} ms — ${after.line}, ${was}`);
        if (run.cause) print(`  reason: ${run.cause}`);
        print(`  events published: ${account.events.slice(eventsBefore).map((e) => e.status).join(' → ')}`);
        // What the Slack notifier would post for each of them (rendered here; nothing is sent).
        print('  Slack messages the notifier would post (rendered locally, not sent):');
        for (const published of account.events.slice(eventsBefore).filter((e) => e.deploymentId === run.executionName)) {
          for (const line of renderMessageForTerminal(renderSlackMessage(published))) print(line);
        }
        if (run.status !== scenario.expect) unexpected += 1;
      }
      for (const tag of scenario.alsoTags ?? []) {
        const again = await deployPush(account, { ...event, detail: { ...detail, 'image-tag': tag } }, { waitMs: LOCAL_WAIT_MS });
        const duplicate = again.trigger.duplicates.length > 0 && again.runs.length === 0;
        print(`ECR push: same image as :${tag} → trigger: ${duplicate ? `duplicate of ${again.trigger.duplicates[0]?.executionName}, nothing deployed again` : 'deployed again (unexpected)'}`);
        if (!duplicate) unexpected += 1;
      }
    }
  } finally {
    await environment.close();
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
