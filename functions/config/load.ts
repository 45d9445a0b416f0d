import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { parse } from 'yaml';
import { ConfigError } from '../shared/errors';
import { describeIssues } from './issues';
import { deploymentsFileSchema, type DeploymentsFile } from './schema';

/** Validates parsed YAML/JSON and applies defaults. */
function parseDeploymentsFile(raw: unknown, source = 'deployments.yml'): DeploymentsFile {
  const result = deploymentsFileSchema.safeParse(raw);
  if (!result.success) {
    throw new ConfigError(`${source} is invalid:\n${describeIssues(result.error)}\nFix these fields and try again.`);
  }
  return result.data;
}

function parseDeploymentsYaml(text: string, source = 'deployments.yml'): DeploymentsFile {
  let raw: unknown;
  try {
    raw = parse(text);
  } catch (error) {
    throw new ConfigError(`${source} is not valid YAML: ${(error as Error).message}`, { cause: error });
  }
  return parseDeploymentsFile(raw, source);
}

/** A deployments.yml on disk, validated (the CLI, packaging and the compiler read it; the functions read the compiled form). */
function loadDeploymentsFile(path = resolve(process.cwd(), 'deployments.yml')): DeploymentsFile {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    throw new ConfigError(`cannot read ${path}: ${(error as Error).message}. Create it (see README, "deployments.yml").`, { cause: error });
  }
  return parseDeploymentsYaml(text, path);
}

export { parseDeploymentsFile, parseDeploymentsYaml, loadDeploymentsFile, describeIssues };
