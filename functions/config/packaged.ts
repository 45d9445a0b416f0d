import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { ConfigError } from '../shared/errors';
import type { DeploymentsFile } from './schema';

/**
 * deployments.yml as the functions read it: validated, defaults applied and tag
 * globs compiled to regular expressions when the stack is packaged
 * (scripts/serverless-config.js, functions/config/compile.ts), and shipped as
 * `.compiled/deployments.json` beside every handler. No function parses YAML or runs the
 * schema at run time, so none bundles a YAML parser, the schema library or a glob
 * matcher (README, "Performance").
 */

const COMPILED_FORMAT = 'ecr-deployer/deployments@1';
/** Where packaging writes it, relative to the service directory and to every function's zip root. */
const COMPILED_FILE = '.compiled/deployments.json';

interface CompiledDeployments {
  format: typeof COMPILED_FORMAT;
  /** The file it was compiled from, for messages. */
  source: string;
  config: DeploymentsFile;
  /** Each target's tag globs as regular expression sources, in the order of its `tags`. */
  tagPatterns: Record<string, string[]>;
}

function isCompiled(value: unknown): value is CompiledDeployments {
  return typeof value === 'object' && value !== null && (value as { format?: unknown }).format === COMPILED_FORMAT;
}

/**
 * Where the deployments are: DEPLOYMENTS_FILE if set (a deployments.yml, or a
 * compiled deployments.json), else the compiled file packaged beside the code in
 * Lambda, else the working directory's deployments.yml.
 */
function deploymentsFilePath(): string {
  if (process.env.DEPLOYMENTS_FILE) return resolve(process.env.DEPLOYMENTS_FILE);
  if (process.env.LAMBDA_TASK_ROOT) return resolve(process.env.LAMBDA_TASK_ROOT, COMPILED_FILE);
  return resolve(process.cwd(), 'deployments.yml');
}

/** The compiler, for a file that is not compiled yet: only outside Lambda (tests, local runs, the CLI). */
const COMPILER = './compile';

function readDeployments(path: string): CompiledDeployments {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    throw new ConfigError(`cannot read ${path}: ${(error as Error).message}. Create it (see README, "deployments.yml").`, { cause: error });
  }
  if (path.endsWith('.json')) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch {
      parsed = undefined;
    }
    if (isCompiled(parsed)) return parsed;
  }
  let compiler: { compileDeploymentsText: (text: string, source: string) => CompiledDeployments };
  try {
    // A computed name: bundles leave it out, and nothing in Lambda needs it.
    compiler = require(COMPILER) as typeof compiler;
  } catch (error) {
    throw new ConfigError(`${path} is not compiled, and this environment cannot compile it: package the stack again (npx serverless package).`, { cause: error });
  }
  return compiler.compileDeploymentsText(text, path);
}

const cache = new Map<string, CompiledDeployments>();

/** The compiled deployments, read once per cold start (per file: a test may point DEPLOYMENTS_FILE elsewhere). */
function cachedDeployments(path = deploymentsFilePath()): CompiledDeployments {
  let compiled = cache.get(path);
  if (!compiled) {
    compiled = readDeployments(path);
    cache.set(path, compiled);
  }
  return compiled;
}

/** deployments.yml, validated, with its defaults. */
function cachedDeploymentsFile(path = deploymentsFilePath()): DeploymentsFile {
  return cachedDeployments(path).config;
}

/** Whether `tag` matches one of the target's globs (`*` does not cross `/`; see compile.ts). */
function tagMatchesTarget(compiled: CompiledDeployments, targetName: string, tag: string): boolean {
  return (compiled.tagPatterns[targetName] ?? []).some((source) => new RegExp(source).test(tag));
}

export { COMPILED_FORMAT, COMPILED_FILE, cachedDeployments, cachedDeploymentsFile, deploymentsFilePath, tagMatchesTarget };
export type { CompiledDeployments };
