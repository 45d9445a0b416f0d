import { build, type Plugin } from 'esbuild';
import { readFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';

/**
 * `npm run build:cli` (and `npm pack`, through prepack): the operator CLI, cli/main.ts,
 * bundled into dist/cli.cjs with everything it runs, `--local` included, so that the
 * packed CLI needs neither tsx nor this repository. bin/ecr-deployer.js loads it when it
 * is there (the packed tarball), and runs the TypeScript through tsx when it is not (a
 * clone). dist/ sits one level below the package root, as cli/ and local/ do, so the files
 * they read (statemachines/, local/deployments.local.yml, events/, package.json) are found
 * the same way; package.json's `files` ships them.
 */

const ROOT = join(__dirname, '..');

/**
 * dynalite (the local DynamoDB) requires `level` for on-disk tables, whose native binding
 * cannot be bundled. `--local` keeps its tables in memory (memory-level), so `level` is
 * left out and says so if ever asked for.
 */
const noDiskTables: Plugin = {
  name: 'no-disk-tables',
  setup(plugin) {
    plugin.onResolve({ filter: /^level$/ }, () => ({ path: 'level', namespace: 'no-disk-tables' }));
    plugin.onLoad({ filter: /.*/, namespace: 'no-disk-tables' }, () => ({
      contents: "class Level { constructor() { throw new Error('the packed ecr-deployer CLI keeps local tables in memory only'); } }\nmodule.exports = { Level };",
      loader: 'js',
    }));
  },
};

/**
 * dynalite loads its actions with `require('./actions/' + action)`. esbuild bundles such a
 * require as a map of the folder's files, keyed with their extension: the key is spelt out.
 */
const dynaliteActions: Plugin = {
  name: 'dynalite-actions',
  setup(plugin) {
    plugin.onLoad({ filter: /[\\/]node_modules[\\/]dynalite[\\/]index\.js$/ }, async (args) => ({
      contents: (await readFile(args.path, 'utf8')).replace(/require\('\.\/(actions|validations)\/' \+ action\)/g, "require('./$1/' + action + '.js')"),
      loader: 'js',
      resolveDir: dirname(args.path),
    }));
  },
};

async function main(): Promise<void> {
  const result = await build({
    entryPoints: [join(ROOT, 'cli', 'main.ts')],
    outfile: join(ROOT, 'dist', 'cli.cjs'),
    bundle: true,
    platform: 'node',
    target: 'node20',
    format: 'cjs',
    // Error names are what the CLI explains; keep class and function names.
    keepNames: true,
    sourcemap: false,
    logLevel: 'warning',
    mainFields: ['module', 'main'],
    plugins: [noDiskTables, dynaliteActions],
  });
  if (result.errors.length > 0) process.exit(1);
  console.log('wrote dist/cli.cjs');
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
