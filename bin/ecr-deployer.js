#!/usr/bin/env node
'use strict';

// `npx ecr-deployer …`: runs the TypeScript CLI (cli/main.ts) through tsx, the project's
// TypeScript runner, so there is no build step.
// The SDK's notice that its 2027 releases need Node 22 is for maintainers (README), not for each command.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
require('tsx/cjs');
const { main } = require('../cli/main.ts');

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
