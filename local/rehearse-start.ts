import type { DeploymentEventDetail } from '../functions/events/deployment-events';
import { deliverPush, runsSince } from './deploy-push';
import { startRehearsal } from './rehearsal';
import { loadDeployDefinition } from './state-machine';
import { outcomeWords, renderTimeline } from './timeline';

/**
 * `npm start -- -f FILE [--fail-smoke TARGET,…]`: the person's own deployments.yml,
 * rehearsed (local/rehearsal.ts). One push per target, through the real trigger, of a
 * tag its globs match; each deployment's timeline, its outcome and its events. Exit
 * code 0 when every deployment ended as rehearsed (SUCCEEDED, or rolled back for a
 * target in --fail-smoke).
 */

interface RehearseArguments {
  file: string;
  failSmoke: string[];
}

/** `-f FILE` / `--file FILE` and `--fail-smoke A,B` from `npm start -- …`; undefined without a file. */
function rehearseArguments(argv: string[]): RehearseArguments | undefined {
  let file: string | undefined;
  const failSmoke: string[] = [];
  for (let i = 0; i < argv.length; i += 1) {
    const arg = argv[i];
    if ((arg === '-f' || arg === '--file') && argv[i + 1]) file = argv[(i += 1)];
    else if (arg === '--fail-smoke' && argv[i + 1]) failSmoke.push(...(argv[(i += 1)] ?? '').split(',').filter(Boolean));
    else throw new Error(`npm start takes -f FILE and --fail-smoke TARGET,… (got ${arg})`);
  }
  return file ? { file, failSmoke } : undefined;
}

async function rehearseFile(args: RehearseArguments, print: (line?: string) => void, waitMs: number): Promise<number> {
  const rehearsal = await startRehearsal({ file: args.file, failSmoke: args.failSmoke, waitMs });
  process.env.DEPLOYMENTS_FILE = rehearsal.compiledFile;
  const { account } = rehearsal;
  const definition = loadDeployDefinition() as unknown as Parameters<typeof renderTimeline>[1];
  print(`ecr-deployer — rehearsal of ${args.file}: the real trigger and state machine against a simulated AWS account`);
  for (const line of rehearsal.simulated) print(`  ${line}`);
  let unexpected = 0;
  try {
    for (const [index, target] of rehearsal.config.targets.entries()) {
      print();
      print(`━━ ${index + 1}. ${target.name} (${target.ecs ? 'ECS' : target.batch ? 'Batch' : 'Lambda'}, ${target.environment})`);
      const push = rehearsal.pushOf(target);
      if ('none' in push) {
        print(`  ${push.none}`);
        continue;
      }
      const before = new Set(account.executions.keys());
      const eventsBefore = account.events.length;
      const result = await deliverPush(account, push.event);
      print(`ECR push (simulated): ${target.repository}:${push.tag}`);
      print(`  trigger: ${result.started.length > 0 ? `started execution ${result.started.join(', ')}` : (result.ignored ?? 'nothing started')}`);
      for (const duplicate of result.duplicates) print(`  nothing new for ${duplicate.target}: ${duplicate.reason}`);
      const runs = await runsSince(account, before);
      for (const run of runs) {
        print(`execution ${run.executionName}:`);
        for (const line of renderTimeline(run.events, definition)) print(line);
        const published: DeploymentEventDetail[] = account.events.slice(eventsBefore).filter((e) => e.deploymentId === run.executionName);
        print(outcomeWords(published.at(-1)?.status));
        if (run.cause) print(`  reason: ${run.cause}`);
        print(`  events published: ${published.map((e) => `${e.target} ${e.status}`).join(' → ')}`);
        // A push may deploy several targets (their globs all match): each run is judged by its own targets.
        const failing = published.some((e) => args.failSmoke.includes(e.target));
        if (published.at(-1)?.status !== (failing ? 'ROLLED_BACK' : 'SUCCEEDED')) unexpected += 1;
      }
      if (runs.length === 0 && result.duplicates.length === 0) unexpected += 1;
    }
  } finally {
    await rehearsal.close();
  }
  print();
  print(unexpected === 0 ? 'Every deployment ended as rehearsed.' : `${unexpected} deployment(s) did not end as rehearsed.`);
  return unexpected === 0 ? 0 : 1;
}

export { rehearseArguments, rehearseFile };
