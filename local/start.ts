import './quiet';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { jobDefinitionLabel } from '../functions/batch/job-definition';
import { taskDefinitionLabel } from '../functions/ecs/task-definition';
import type { DeploymentEventDetail } from '../functions/events/deployment-events';
import { renderMessageForTerminal, renderSlackMessage } from '../functions/notifications/render';
import { shortDigest } from '../functions/shared/image';
import { SFNClient, StartExecutionCommand } from '@aws-sdk/client-sfn';
import { handler as reconcileSweep } from '../functions/handlers/reconcile';
import type { ReconcileReport } from '../functions/reconcile/sweep';
import { changeServiceImageByHand } from './by-hand';
import { deliverPush, runsSince, type TriggerResult } from './deploy-push';
import { startLocalEnvironment } from './environment';
import { ML_INFERENCE, SHORT_DRAMA, SPLITTER, SPLITTER_ENVIRONMENTS, STREAM_ML } from './sample-world';
import type { SimulatedAwsAccount } from './simulated-account';
import { fakeDigest } from './simulated-ecr';
import { loadDeployDefinition } from './state-machine';
import { rehearseArguments, rehearseFile } from './rehearse-start';
import { outcomeWords, renderTimeline, shortImage } from './timeline';

/**
 * `npm start`: the main job on the embedded local default (`npm start -- -f FILE`
 * rehearses your own deployments.yml instead, local/rehearse-start.ts). Sample ECR push events
 * go through the real trigger and the real state machine, against a simulated AWS
 * account (with a real DynamoDB implementation holding the slots) and a real
 * health endpoint on 127.0.0.1.
 */

const ROOT = join(__dirname, '..');
/** Wait states take this long locally instead of their seconds in AWS. */
const LOCAL_WAIT_MS = 20;

interface PushEvent {
  id: string;
  time: string;
  detail: { 'repository-name': string; 'image-tag'?: string; 'image-digest': string } & Record<string, string | undefined>;
}

/** What a target runs now, in words: `stream-ml-service-1 runs stream-ml-service:2 (…@sha256:…)`. */
type WhatRuns = (account: SimulatedAwsAccount) => string;

const STREAM_ML_RUNS: WhatRuns = (account) => {
  const running = account.runningTaskDefinition(STREAM_ML.cluster, STREAM_ML.service);
  const image = running?.containerDefinitions?.find((c) => c.name === STREAM_ML.container)?.image ?? '?';
  return `${STREAM_ML.service} runs ${taskDefinitionLabel(running?.taskDefinitionArn ?? '?')} (${shortImage(image)})`;
};

const SHORT_DRAMA_RUNS: WhatRuns = (account) => {
  const running = account.runningTaskDefinition(SHORT_DRAMA.cluster, SHORT_DRAMA.service);
  const images = (running?.containerDefinitions ?? []).map((c) => `${c.name} ${shortImage(c.image ?? '?')}`);
  return `${SHORT_DRAMA.service} runs ${taskDefinitionLabel(running?.taskDefinitionArn ?? '?')} (${images.join(', ')})`;
};

const SPLITTER_RUNS: WhatRuns = (account) => {
  const latest = account.batch.latestActive(SPLITTER.jobDefinition);
  return `jobs submitted as ${SPLITTER.jobDefinition} get ${jobDefinitionLabel(latest?.jobDefinitionArn ?? '?')} (${shortImage(latest?.containerProperties?.image ?? '?')})`;
};

/** Seed 004's three job definitions, dev → staging → prod. */
const SPLITTER_CHAIN_RUNS: WhatRuns = (account) =>
  Object.values(SPLITTER_ENVIRONMENTS)
    .map(({ jobDefinition }) => {
      const latest = account.batch.latestActive(jobDefinition);
      return `${jobDefinition} → ${jobDefinitionLabel(latest?.jobDefinitionArn ?? '?')} (${shortImage(latest?.containerProperties?.image ?? '?')})`;
    })
    .join('; ');

const ML_INFERENCE_RUNS: WhatRuns = (account) => {
  const fn = account.lambda.function(ML_INFERENCE.function);
  const alias = fn.aliases.get(ML_INFERENCE.alias);
  const image = fn.versions.get(alias?.version ?? '')?.imageUri ?? '?';
  return `alias ${ML_INFERENCE.function}:${ML_INFERENCE.alias} → version ${alias?.version ?? '?'} (${shortImage(image)})`;
};

interface Push {
  event: PushEvent;
  /** Where it comes from, for people. */
  source: string;
}

interface Scenario {
  title: string;
  /** Delivered one after another (or at once, `together`). */
  pushes: Push[];
  /** Started by a person (the console or the CLI) instead: execution inputs. */
  requests?: Record<string, unknown>[];
  together?: boolean;
  /** Delivered while the first deployment runs: just before its UpdateService. */
  duringFirst?: Push[];
  /** How each execution that runs ends, in the order they start; `[]` when nothing deploys. */
  expect: ('SUCCEEDED' | 'FAILED')[];
  /** How many SKIPPED events the scenario publishes. */
  expectSkipped?: number;
  whatRuns: WhatRuns;
  /** The same image pushed under more tags: each is another event, and none deploys again. */
  alsoTags?: string[];
  /**
   * Images pushed while EventBridge lost their events, then a sweep of the reconciler; after
   * what that started, `byHand` changes a target behind the deployer's back and a second sweep looks.
   */
  reconcile?: { lost: { repository: string; tag: string }[]; byHand?: (account: SimulatedAwsAccount) => Promise<string> };
  /** How many DRIFT_DETECTED events the scenario publishes. */
  expectDrift?: number;
}

function readEvent(file: string): PushEvent {
  return JSON.parse(readFileSync(join(ROOT, file), 'utf8')) as PushEvent;
}

const fromFile = (file: string): Push => ({ event: readEvent(file), source: file });

/** A push of stream-ml-service made from events/ecr-push.json: another tag, digest, time and event id. */
function streamMlPush(tag: string, time: string, id: string): Push {
  const base = readEvent('events/ecr-push.json');
  return {
    event: { ...base, id, time, detail: { ...base.detail, 'image-tag': tag, 'image-digest': fakeDigest(`stream-ml-service:${tag}`) } },
    source: `events/ecr-push.json as ${tag}, pushed ${time}`,
  };
}

const SCENARIOS: Scenario[] = [
  { title: 'A tagless push (child manifest of a multi-arch image) is ignored', pushes: [fromFile('events/ecr-push-tagless.json')], expect: [], whatRuns: STREAM_ML_RUNS },
  {
    title: 'A push of v1.4.0 deploys itself: new revision, rollout, digest check, smoke test',
    pushes: [fromFile('events/ecr-push.json')],
    expect: ['SUCCEEDED'],
    whatRuns: STREAM_ML_RUNS,
  },
  {
    title: 'A push of v1.4.1 fails its smoke test and is rolled back automatically',
    pushes: [fromFile('events/ecr-push-broken-build.json')],
    expect: ['FAILED'],
    whatRuns: STREAM_ML_RUNS,
  },
  {
    title: 'A push of the video splitter (three tags) registers one Batch job definition revision and runs its test job; what passed in dev is promoted to staging by itself',
    pushes: [fromFile('events/ecr-push-splitter.json')],
    expect: ['SUCCEEDED', 'SUCCEEDED'],
    whatRuns: SPLITTER_CHAIN_RUNS,
    alsoTags: ['latest', 'c0ffee1d2e3f4a5b6c7d8e9f0a1b2c3d4e5f6a7b'],
  },
  {
    title: 'A person promotes to prod what passed in staging; prod requires approval, which this local run gives',
    pushes: [],
    requests: [{ target: 'splitter-prod', promoteFrom: 'splitter-staging', trigger: { kind: 'manual', requestedBy: 'npm start' } }],
    expect: ['SUCCEEDED'],
    whatRuns: SPLITTER_CHAIN_RUNS,
  },
  {
    title: 'A push of the ML inference image updates the Lambda function, canaries 10 % on the alias, then shifts it all',
    pushes: [fromFile('events/ecr-push-ml-inference.json')],
    expect: ['SUCCEEDED'],
    whatRuns: ML_INFERENCE_RUNS,
  },
  {
    title: 'One release of the short-drama backend pushes both of its images: one revision carries both containers',
    pushes: [fromFile('events/ecr-push-canvas-service.json'), fromFile('events/ecr-push-orchestrator.json')],
    together: true,
    expect: ['SUCCEEDED'],
    whatRuns: SHORT_DRAMA_RUNS,
  },
  {
    title: 'Three pushes of stream-ml-service within seconds: the middle one is superseded while it waits, the newest runs',
    pushes: [streamMlPush('v1.5.0', '2026-11-23T14:30:00Z', 'c5a1f0de-0001-4b6a-9a3e-5d1c2b3a4f50')],
    duringFirst: [streamMlPush('v1.5.1', '2026-11-23T14:30:02Z', 'c5a1f0de-0002-4b6a-9a3e-5d1c2b3a4f51'), streamMlPush('v1.5.2', '2026-11-23T14:30:04Z', 'c5a1f0de-0003-4b6a-9a3e-5d1c2b3a4f52')],
    expect: ['SUCCEEDED', 'SUCCEEDED'],
    expectSkipped: 1,
    whatRuns: STREAM_ML_RUNS,
  },
  {
    title: 'EventBridge loses the push of v1.6.0: the reconciler\'s next sweep deploys it; then someone changes the service by hand, and the sweep after reports it',
    pushes: [],
    reconcile: {
      lost: [{ repository: 'stream-ml-service', tag: 'v1.6.0' }],
      byHand: (account) => changeServiceImageByHand(account, STREAM_ML, account.imageUri('stream-ml-service', fakeDigest('stream-ml-service:hotfix'))),
    },
    expect: ['SUCCEEDED'],
    expectDrift: 1,
    whatRuns: STREAM_ML_RUNS,
  },
];

/** What a sweep of the reconciler did, in one line. */
function sweepLine(report: ReconcileReport): string {
  const parts = [
    ...report.missedPushes.map((push) => `recorded ${push.target} ${push.tag} (sha256:${shortDigest(push.digest)}), pushed ${push.pushedAt}, whose event never came`),
    ...report.drift.map((drift) => `${drift.target} drifted (${drift.action})`),
  ];
  const calls = report.calls.ecr + report.calls.slotTable + report.calls.targets;
  return `${parts.join('; ') || 'nothing to do'} — ${report.due.length} targets looked at, ${calls} AWS calls`;
}

/** What the trigger did with a push, in one line. */
function triggerLine(result: TriggerResult): string {
  if (result.ignored) return `ignored — ${result.ignored}`;
  const parts: string[] = [];
  if (result.started.length > 0) parts.push(`started execution ${result.started.join(', ')}`);
  else if (result.recorded.length > 0) parts.push(`recorded for ${result.recorded.join(', ')}: the slot is busy, it deploys when the slot is released`);
  for (const skipped of result.skipped) parts.push(`SKIPPED for ${skipped.target}: ${skipped.reason}`);
  for (const duplicate of result.duplicates) parts.push(`nothing new for ${duplicate.target}: ${duplicate.reason}`);
  return parts.join('; ') || 'nothing to do';
}

function pushLine(push: Push): string {
  const { detail } = push.event;
  return `ECR push: ${detail['repository-name']}:${detail['image-tag'] || '(no tag)'} sha256:${shortDigest(detail['image-digest'])}…  (${push.source})`;
}

function printSlack(print: (line?: string) => void, events: DeploymentEventDetail[]): void {
  if (events.length === 0) return;
  print('  Slack messages the notifier would post (rendered locally, not sent):');
  for (const published of events) for (const line of renderMessageForTerminal(renderSlackMessage(published))) print(line);
}

async function main(): Promise<number> {
  process.env.AWS_REGION ??= 'us-east-1';
  const rehearse = rehearseArguments(process.argv.slice(2));
  if (rehearse) return rehearseFile(rehearse, (line = '') => console.log(line), LOCAL_WAIT_MS);
  const environment = await startLocalEnvironment({ waitMs: LOCAL_WAIT_MS, approveAs: 'release-manager (npm start approves)' });
  const { account } = environment;
  process.env.DEPLOYMENTS_FILE = environment.compiledFile;

  const definition = loadDeployDefinition() as unknown as Parameters<typeof renderTimeline>[1];
  const print = (line = '') => console.log(line);
  print('ecr-deployer — local run: the real trigger and state machine against a simulated AWS account');
  print(
    `(ECS services ${STREAM_ML.cluster}/${STREAM_ML.service} and ${SHORT_DRAMA.cluster}/${SHORT_DRAMA.service}, Batch job definition ${SPLITTER.jobDefinition}, Lambda function ${ML_INFERENCE.function}; slots in a local DynamoDB; health endpoint ${environment.healthUrl})`,
  );
  let unexpected = 0;
  try {
    for (const [index, scenario] of SCENARIOS.entries()) {
      print();
      print(`━━ ${index + 1}. ${scenario.title}`);
      const before = scenario.whatRuns(account);
      const eventsBefore = account.events.length;
      const executionsBefore = new Set(account.executions.keys());
      const deliver = async (push: Push) => {
        const result = await deliverPush(account, push.event);
        print(pushLine(push));
        print(`  trigger: ${triggerLine(result)}`);
        return result;
      };
      if (scenario.duringFirst) {
        const during = scenario.duringFirst;
        account.beforeNext('UpdateService', async () => {
          for (const push of during) await deliver(push);
        });
      }
      if (scenario.together) await Promise.all(scenario.pushes.map(deliver));
      else for (const push of scenario.pushes) await deliver(push);
      for (const [i, input] of (scenario.requests ?? []).entries()) {
        const name = `npm-start-${index + 1}-${i + 1}`;
        await new SFNClient({ region: account.region }).send(new StartExecutionCommand({ stateMachineArn: account.stepFunctions.stateMachineArn, name, input: JSON.stringify(input) }));
        print(`started by a person: ${JSON.stringify(input)}`);
      }
      if (scenario.reconcile) {
        for (const lost of scenario.reconcile.lost) {
          const digest = fakeDigest(`${lost.repository}:${lost.tag}`);
          account.ecr.pushImage(lost.repository, digest, [lost.tag]);
          print(`ECR push: ${lost.repository}:${lost.tag} sha256:${shortDigest(digest)}…  (its event never reaches the trigger)`);
        }
        print(`  reconciler sweep: ${sweepLine(await reconcileSweep())}`);
      }
      const runs = await runsSince(account, executionsBefore);
      for (const run of runs) {
        print(`execution ${run.executionName}:`);
        for (const line of renderTimeline(run.events, definition)) print(line);
        const took = (run.events.at(-1)?.timestamp ?? 0) - (run.events[0]?.timestamp ?? 0);
        const published = account.events.slice(eventsBefore).filter((e) => e.deploymentId === run.executionName);
        print(`${outcomeWords(published.at(-1)?.status)} in ${took} ms${run.error ? ` — ${run.error}` : ''}`);
        if (run.cause) print(`  reason: ${run.cause}`);
        print(`  events published: ${published.map((e) => `${e.target} ${e.status}`).join(' → ')}`);
        printSlack(print, published);
      }
      const skipped = account.events.slice(eventsBefore).filter((e) => e.status === 'SKIPPED');
      for (const event of skipped) print(`⏭ SKIPPED ${event.target} ${event.image.tag ?? ''} (sha256:${shortDigest(event.image.digest)}): ${event.reason ?? ''}`);
      printSlack(print, skipped);
      const byHand = scenario.reconcile?.byHand;
      if (byHand) {
        print(`by hand: ${taskDefinitionLabel(await byHand(account))} with another image, behind ecr-deployer's back`);
        print(`  reconciler sweep: ${sweepLine(await reconcileSweep())}`);
      }
      const drift = account.events.slice(eventsBefore).filter((e) => e.status === 'DRIFT_DETECTED');
      for (const event of drift) print(`🧭 DRIFT_DETECTED ${event.target}: ${event.reason ?? ''}`);
      printSlack(print, drift);
      const after = scenario.whatRuns(account);
      print(`now: ${after}${after === before ? ' (as before)' : ''}`);
      const statuses = runs.map((run) => run.status);
      if (JSON.stringify(statuses) !== JSON.stringify(scenario.expect) || skipped.length !== (scenario.expectSkipped ?? 0) || drift.length !== (scenario.expectDrift ?? 0)) {
        print(`  (unexpected: runs ${JSON.stringify(statuses)}, ${skipped.length} skipped, ${drift.length} drifted)`);
        unexpected += 1;
      }
      for (const [i, tag] of (scenario.alsoTags ?? []).entries()) {
        const [first] = scenario.pushes;
        if (!first) continue;
        const event = { ...first.event, id: `${first.event.id.slice(0, -2)}${String(i + 10)}`, detail: { ...first.event.detail, 'image-tag': tag } };
        const again = await deliverPush(account, event);
        const startedNothing = (await runsSince(account, new Set(account.executions.keys()))).length === 0;
        const duplicate = again.duplicates.length > 0 && again.started.length === 0 && startedNothing;
        print(`ECR push: same image as :${tag} → trigger: ${duplicate ? `nothing new (${again.duplicates[0]?.reason}), nothing deployed again` : 'deployed again (unexpected)'}`);
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
