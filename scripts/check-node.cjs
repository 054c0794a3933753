// Plain ES5 on purpose: it must run, and explain itself, on the old Node it refuses.
var required = [22, 12];
var parts = process.versions.node.split('.').map(Number);
var ok = parts[0] > required[0] || (parts[0] === required[0] && parts[1] >= required[1]);
if (!ok) {
  process.stderr.write(
    'Greyward needs Node.js >= ' + required.join('.') + ' (this is ' + process.version + ').\n' +
    'better-sqlite3 13 crashes on older Node. Install Node 22 or run, for example:\n' +
    "  npx -y -p node@22 -- bash -c 'npm ci && npm test'\n"
  );
  process.exit(1);
}
