#!/usr/bin/env node
'use strict';

// `npx ecr-deployer …`: in a clone, the TypeScript CLI (cli/main.ts) through tsx, with no build
// step; installed from the packed tarball, dist/cli.cjs (built by `npm pack`, scripts/build-cli.ts).
// The SDK's notice that its 2027 releases need Node 22 is for maintainers (README), not for each command.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
const { existsSync } = require('node:fs');
const { join } = require('node:path');

// A clone has the sources: run them, never a dist/ built from older ones.
const source = join(__dirname, '..', 'cli', 'main.ts');
let main;
if (existsSync(source)) {
  require('tsx/cjs');
  ({ main } = require(source));
} else {
  ({ main } = require(join(__dirname, '..', 'dist', 'cli.cjs')));
}

process.once('SIGINT', () => {
  // With --local the deployment runs in this process, and stops with it.
  const local = process.argv.includes('--local');
  process.stderr.write(
    local
      ? '\nstopped. With --local the deployment ran in this process and stopped with it; nothing is kept.\n'
      : '\nstopped watching. A deployment that was started goes on: `npx ecr-deployer status` shows it, `watch <execution>` follows it again.\n',
  );
  process.exit(130);
});

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (error) => {
    process.stderr.write(`${error && error.stack ? error.stack : String(error)}\n`);
    process.exitCode = 1;
  },
);
