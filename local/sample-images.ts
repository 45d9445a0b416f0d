import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ML_INFERENCE, ML_INFERENCE_CURRENT_DIGEST, SPLITTER, SPLITTER_ENVIRONMENTS, STREAM_ML_CURRENT_DIGEST } from './sample-world';
import { digestOf, type SimulatedAwsAccount } from './simulated-account';
import { fakeDigest } from './simulated-ecr';

/**
 * What the sample world's ECR repositories hold: the images the sample services,
 * job definition and function run now (with the digests their tasks report), a few
 * newer builds, and the images of the sample push events in events/.
 */

const EVENTS_DIR = join(__dirname, '..', 'events');

/** Images referenced by tag in the sample definitions: their digest is what the simulated tasks report. */
function byTag(account: SimulatedAwsAccount, repository: string, tag: string): string {
  return digestOf(`${account.registry}/${repository}:${tag}`);
}

/** The images of the sample push events (repository, digest, tag), as ECR holds them after the pushes. */
function pushedImages(): { repository: string; digest: string; tag?: string }[] {
  const files = ['ecr-push.json', 'ecr-push-broken-build.json', 'ecr-push-splitter.json', 'ecr-push-ml-inference.json'];
  return files.map((file) => {
    const { detail } = JSON.parse(readFileSync(join(EVENTS_DIR, file), 'utf8')) as { detail: Record<string, string> };
    return { repository: detail['repository-name'] ?? '', digest: detail['image-digest'] ?? '', tag: detail['image-tag'] || undefined };
  });
}

/** Pushes the sample images into the account's ECR (oldest first, so the newest pushes own their tags). */
function seedSampleImages(account: SimulatedAwsAccount): void {
  const { ecr } = account;
  ecr.pushImage('stream-ml-service', STREAM_ML_CURRENT_DIGEST, ['v1.3.0']);
  ecr.pushImage('canvas-service', byTag(account, 'canvas-service', 'v2.0.3'), ['v2.0.3']);
  ecr.pushImage('canvas-service', fakeDigest('canvas-service:v2.1.0'), ['v2.1.0']);
  ecr.pushImage('orchestrator', byTag(account, 'orchestrator', 'v1.8.0'), ['v1.8.0']);
  ecr.pushImage('orchestrator', fakeDigest('orchestrator:v1.9.0'), ['v1.9.0']);
  ecr.pushImage(SPLITTER.repository, byTag(account, SPLITTER.repository, '3f9c2e1'), ['3f9c2e1']);
  ecr.pushImage(SPLITTER.repository, byTag(account, SPLITTER.repository, '8a1d4b7'), ['8a1d4b7']);
  for (const { repository } of [SPLITTER_ENVIRONMENTS.staging, SPLITTER_ENVIRONMENTS.prod]) ecr.pushImage(repository, byTag(account, repository, '8a1d4b7'), ['8a1d4b7']);
  ecr.pushImage(ML_INFERENCE.repository, ML_INFERENCE_CURRENT_DIGEST, ['4d3c2b1']);
  for (const image of pushedImages()) ecr.pushImage(image.repository, image.digest, image.tag ? [image.tag] : []);
}

export { seedSampleImages };
