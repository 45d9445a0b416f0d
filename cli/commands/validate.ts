import { TARGET_KINDS, type DeploymentsFile, type TargetConfig } from '../../functions/config/schema';
import type { CliContext } from '../context';
import { CliError } from '../errors';

/** Where a target deploys, in a few words. */
function placeOf(target: TargetConfig): string {
  const { ecs, batch, lambda } = target;
  if (ecs) return `ecs ${ecs.cluster}/${ecs.service}`;
  if (batch) return `batch ${batch.jobDefinition}`;
  if (lambda) return `lambda ${lambda.function}${lambda.alias ? `:${lambda.alias}` : ''}`;
  return TARGET_KINDS.find((kind) => target[kind] !== undefined) ?? '?';
}

/** `validate`: checks deployments.yml as packaging and the Lambdas do, and lists its targets. Exit 1 with the problems. */
function validateCommand(context: CliContext): number {
  const file = context.deploymentsFile();
  let config: DeploymentsFile;
  try {
    config = context.loadConfig();
  } catch (error) {
    if (error instanceof Error && error.name === 'ConfigError') throw new CliError(`ConfigError: ${error.message}`);
    throw error;
  }
  const { out } = context;
  out.line(`${file} is valid: ${config.targets.length} target(s).`);
  const rows = config.targets.map((t) => [t.name, placeOf(t), `${t.repository} [${t.tags.join(', ')}]`, t.environment, `${t.smokeTests.length} smoke test(s)`]);
  const widths = [0, 1, 2, 3].map((column) => Math.max(...rows.map((row) => (row[column] ?? '').length)));
  for (const row of rows) out.line(`  ${row.map((cell, column) => (column < 4 ? cell.padEnd(widths[column] ?? 0) : cell)).join('  ')}`);
  if (config.notifications?.slack) out.line(`  notifications: Slack via ${config.notifications.slack.webhookSecret ? 'webhook' : 'bot token'} (top level)`);
  return 0;
}

export { validateCommand };
