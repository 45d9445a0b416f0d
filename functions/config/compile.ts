import picomatch from 'picomatch';
import { parseDeploymentsYaml } from './load';
import { COMPILED_FORMAT, type CompiledDeployments } from './packaged';
import type { DeploymentsFile } from './schema';

/**
 * Package time (and tests, local runs): deployments.yml validated and compiled
 * into what the functions read (functions/config/packaged.ts).
 */

/** A tag glob as a regular expression source: picomatch's, with `dot` (a tag may start with `.`… or `_`). */
function tagPattern(glob: string): string {
  return picomatch.makeRe(glob, { dot: true }).source;
}

function compileDeployments(config: DeploymentsFile, source: string): CompiledDeployments {
  const tagPatterns = Object.fromEntries(config.targets.map((target) => [target.name, target.tags.map(tagPattern)]));
  return { format: COMPILED_FORMAT, source, config, tagPatterns };
}

/** Validates deployments.yml text (ConfigError naming the fields) and compiles it. */
function compileDeploymentsText(text: string, source: string): CompiledDeployments {
  return compileDeployments(parseDeploymentsYaml(text, source), source);
}

export { compileDeployments, compileDeploymentsText, tagPattern };
