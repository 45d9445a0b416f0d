import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { deployDefinition } from '../statemachines/definition';

/**
 * Renders statemachines/deploy.asl.yaml (as deployed) as a Mermaid flowchart for README.md.
 * `npm run diagram` rewrites the block between the README markers; a test fails
 * when the README is out of date.
 */

interface Choice {
  Variable?: string;
  StringEquals?: string;
  BooleanEquals?: boolean;
  Next: string;
}

interface State {
  Type: string;
  Next?: string;
  Default?: string;
  Choices?: Choice[];
  Catch?: { ErrorEquals: string[]; Next: string }[];
  SecondsPath?: string;
}

const ROOT = join(__dirname, '..');
const README = join(ROOT, 'README.md');
const START_MARKER = '<!-- state-machine-diagram:start (npm run diagram) -->';
const END_MARKER = '<!-- state-machine-diagram:end -->';

function node(name: string, state: State): string {
  switch (state.Type) {
    case 'Choice':
      return `${name}{${name}}`;
    case 'Wait':
      return `${name}([${name} ⏱])`;
    case 'Succeed':
      return `${name}((${name}))`;
    case 'Fail':
      return `${name}[[${name}]]`;
    case 'Pass':
      return `${name}>${name}]`;
    default:
      return `${name}[${name}]`;
  }
}

function condition(choice: Choice): string {
  const field = (choice.Variable ?? '').replace(/^\$\./, '');
  const value = choice.StringEquals ?? String(choice.BooleanEquals);
  return `${field} = ${value}`;
}

function renderMermaid(definition: { StartAt: string; States: Record<string, State> }): string {
  const lines = ['flowchart TD', `  Start(( )) --> ${definition.StartAt}`];
  for (const [name, state] of Object.entries(definition.States)) {
    lines.push(`  ${node(name, state)}`);
    if (state.Next) lines.push(`  ${name} --> ${state.Next}`);
    for (const choice of state.Choices ?? []) lines.push(`  ${name} -->|"${condition(choice)}"| ${choice.Next}`);
    if (state.Default) lines.push(`  ${name} -->|otherwise| ${state.Default}`);
    for (const catcher of (state.Catch ?? []).filter((c) => c.Next !== state.Next)) lines.push(`  ${name} -.->|"${catcher.ErrorEquals.join(', ').replace('States.ALL', 'error')}"| ${catcher.Next}`);
  }
  return lines.join('\n');
}

function diagramBlock(): string {
  const definition = deployDefinition() as unknown as { StartAt: string; States: Record<string, State> };
  return `${START_MARKER}\n\`\`\`mermaid\n${renderMermaid(definition)}\n\`\`\`\n${END_MARKER}`;
}

/** The block as it stands in README.md, or undefined without markers. */
function readmeBlock(readme = readFileSync(README, 'utf8')): string | undefined {
  const start = readme.indexOf(START_MARKER);
  const end = readme.indexOf(END_MARKER);
  return start >= 0 && end > start ? readme.slice(start, end + END_MARKER.length) : undefined;
}

if (require.main === module) {
  const readme = readFileSync(README, 'utf8');
  const current = readmeBlock(readme);
  if (!current) throw new Error(`README.md has no ${START_MARKER} … ${END_MARKER} block`);
  writeFileSync(README, readme.replace(current, diagramBlock()));
  console.log('README.md diagram updated from statemachines/deploy.asl.yaml');
}

export { renderMermaid, diagramBlock, readmeBlock };
