import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { JobDefinition } from '@aws-sdk/client-batch';
import type { Tag, TaskDefinition } from '@aws-sdk/client-ecs';

/**
 * Snapshots of live definitions (`ecr-deployer snapshot`), kept beside a
 * deployments.yml in .ecr-deployer/snapshots/<target>.json. A rehearsal
 * (`--local -f`) builds a target from its snapshot when there is one.
 */

type TargetSnapshot =
  | { kind: 'ecs'; taskDefinition: TaskDefinition; tags: Tag[] }
  | { kind: 'batch'; jobDefinition: JobDefinition }
  | { kind: 'lambda'; imageUri: string };

function snapshotDirOf(deploymentsFile: string): string {
  return join(dirname(deploymentsFile), '.ecr-deployer', 'snapshots');
}

function snapshotFileOf(deploymentsFile: string, target: string): string {
  return join(snapshotDirOf(deploymentsFile), `${target}.json`);
}

/** The target's snapshot beside the file, if one was saved. */
function readSnapshot(deploymentsFile: string, target: string): TargetSnapshot | undefined {
  const file = snapshotFileOf(deploymentsFile, target);
  if (!existsSync(file)) return undefined;
  return JSON.parse(readFileSync(file, 'utf8')) as TargetSnapshot;
}

/**
 * A snapshot's ECR images, in the simulated account's registry: a rehearsal
 * deploys to its own account, so the images of the real one are moved there,
 * repository, tag and digest kept.
 */
function inRegistry<T>(value: T, registry: string): T {
  return JSON.parse(JSON.stringify(value).replace(/\d{12}\.dkr\.ecr\.[a-z0-9-]+\.amazonaws\.com(\.cn)?/g, registry)) as T;
}

export { snapshotDirOf, snapshotFileOf, readSnapshot, inRegistry };
export type { TargetSnapshot };
