import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { parse } from 'yaml';
import type { ZodError } from 'zod';
import { ConfigError } from '../shared/errors';
import { deploymentsFileSchema, type DeploymentsFile } from './schema';

/** One line per problem: where it is and what is wrong. */
function describeIssues(error: ZodError): string {
  return error.issues
    .map((issue) => {
      const where = issue.path.length > 0 ? issue.path.map((part) => (typeof part === 'number' ? `[${part}]` : `.${String(part)}`)).join('').replace(/^\./, '') : '(top level)';
      return `  - ${where}: ${issue.message}`;
    })
    .join('\n');
}

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

/**
 * Where deployments.yml is: DEPLOYMENTS_FILE if set, else next to the Lambda code
 * (it is packaged with every function), else the working directory.
 */
function deploymentsFilePath(): string {
  if (process.env.DEPLOYMENTS_FILE) return resolve(process.env.DEPLOYMENTS_FILE);
  return resolve(process.env.LAMBDA_TASK_ROOT ?? process.cwd(), 'deployments.yml');
}

function loadDeploymentsFile(path = deploymentsFilePath()): DeploymentsFile {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    throw new ConfigError(`cannot read ${path}: ${(error as Error).message}. Create it (see README, "deployments.yml").`, { cause: error });
  }
  return parseDeploymentsYaml(text, path);
}

const cache = new Map<string, DeploymentsFile>();

/** deployments.yml, read once per cold start (per file: a test may point DEPLOYMENTS_FILE elsewhere). */
function cachedDeploymentsFile(path = deploymentsFilePath()): DeploymentsFile {
  let config = cache.get(path);
  if (!config) {
    config = loadDeploymentsFile(path);
    cache.set(path, config);
  }
  return config;
}

export { parseDeploymentsFile, parseDeploymentsYaml, loadDeploymentsFile, cachedDeploymentsFile, deploymentsFilePath, describeIssues };
