/**
 * The AWS SDK commands in a bundle (esbuild output), read from the code itself. SDK v3
 * builds each command class with `<builder> = makeBuilder(commonParams, "<ServiceId>",
 * "<ClientName>", …)` and `<Name>Command = class extends <builder>(_ep, _mw, "<Operation>",
 * <schema>)`; releases before that, with `….s("<ServiceId>", "<Operation>", {})`.
 * `declared` counts every `<Name>Command = class extends`, so that a command in an
 * encoding neither pattern knows is noticed instead of going unseen. Used by the packaging
 * test (roles against commands) and the bench (a function's bundle against its floor).
 */

interface BundledCommand {
  /** The service id, e.g. AmazonEC2ContainerServiceV20141113. */
  service: string;
  operation: string;
  /** The command's class, e.g. DescribeServicesCommand. */
  className: string;
}

function bundledCommandList(js: string): { commands: BundledCommand[]; declared: number; found: number } {
  const builders = new Map([...js.matchAll(/(\w+) = makeBuilder\d*\(\s*\w+,\s*"(\w+)",\s*"\w+"/g)].map((match) => [match[1]!, match[2]!]));
  const commands = new Map<string, BundledCommand>();
  let found = 0;
  for (const match of js.matchAll(/(\w+Command) = class extends (\w+)\(\s*\w+,\s*\w+,\s*"(\w+)"/g)) {
    const service = builders.get(match[2]!);
    if (service === undefined) continue;
    commands.set(`${service}:${match[3]!}`, { service, operation: match[3]!, className: match[1]!.replace(/\d+$/, '') });
    found += 1;
  }
  for (const match of js.matchAll(/\.s\(\s*"(\w+)",\s*"(\w+)",\s*\{/g)) {
    commands.set(`${match[1]!}:${match[2]!}`, { service: match[1]!, operation: match[2]!, className: `${match[2]!}Command` });
    found += 1;
  }
  return { commands: [...commands.values()], declared: [...js.matchAll(/\w+Command = class extends/g)].length, found };
}

/** As `ServiceId:Operation` strings. */
function bundledCommands(js: string): { commands: Set<string>; declared: number; found: number } {
  const { commands, declared, found } = bundledCommandList(js);
  return { commands: new Set(commands.map((command) => `${command.service}:${command.operation}`)), declared, found };
}

export { bundledCommandList, bundledCommands };
export type { BundledCommand };
