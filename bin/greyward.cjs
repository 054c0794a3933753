#!/usr/bin/env node
// CommonJS and old syntax so that an old Node reaches the version check and says why instead of crashing.
require('../scripts/check-node.cjs');
var filterNodeFlags = require('./filter-node-flags.cjs');
var filterEnv = require('./filter-env.cjs');

if (process.argv[2] === 'filter' && !(hasAll(process.execArgv, filterNodeFlags) && hasEnv(process.env, filterEnv))) {
  // V8 sizes its heap and glibc its arenas when the process starts, so the filter needs a Node
  // started with its flags and environment. execve keeps the pid, stdio and signals: systemd and any
  // parent still see the filter itself. An IPC channel would not survive it; whoever forks the
  // filter passes both (main/node-flags.ts).
  if (typeof process.execve === 'function' && !process.send) {
    var flags = process.execArgv.concat(filterNodeFlags.filter(function (flag) {
      return process.execArgv.indexOf(flag) < 0;
    }));
    process.execve(process.execPath, [process.execPath].concat(flags, [__filename], process.argv.slice(2)), Object.assign({}, process.env, filterEnv));
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

function hasEnv(env, wanted) {
  return Object.keys(wanted).every(function (name) {
    return env[name] === wanted[name];
  });
}

function hasAll(list, wanted) {
  return wanted.every(function (flag) {
    return list.indexOf(flag) >= 0;
  });
}
