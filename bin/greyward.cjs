#!/usr/bin/env node
// CommonJS and old syntax so that an old Node reaches the version check and says why instead of crashing.
require('../scripts/check-node.cjs');
var filterNodeFlags = require('./filter-node-flags.cjs');

if (process.argv[2] === 'filter' && !hasAll(process.execArgv, filterNodeFlags)) {
  // V8 sizes its heap when Node starts, so the filter's caps need a Node started with them. execve
  // keeps the pid, stdio and signals: systemd and any parent still see the filter itself. An IPC
  // channel would not survive it; whoever forks the filter passes the flags (main/node-flags.ts).
  if (typeof process.execve === 'function' && !process.send) {
    process.execve(process.execPath, [process.execPath].concat(process.execArgv, filterNodeFlags, [__filename], process.argv.slice(2)), process.env);
  }
  process.stderr.write('warning: the filter runs without its memory caps (' + filterNodeFlags.join(' ') + '): ' +
    (process.send ? 'the program that forked it did not pass them' : 'Node 22.15 or newer applies them') + '\n');
}

import('../out/main/cli/index.js').then(
  function (cli) {
    return cli.main(process.argv);
  },
  function (error) {
    if (error && error.code === 'ERR_MODULE_NOT_FOUND') {
      process.stderr.write('Greyward is not built yet: run `npm ci` (or `npm run build`) in its folder first.\n');
    } else {
      process.stderr.write(String((error && error.stack) || error) + '\n');
    }
    process.exit(1);
  }
);

function hasAll(list, wanted) {
  return wanted.every(function (flag) {
    return list.indexOf(flag) >= 0;
  });
}
