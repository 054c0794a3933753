#!/usr/bin/env node
// CommonJS and old syntax so that an old Node reaches the version check and says why instead of crashing.
require('../scripts/check-node.cjs');
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
