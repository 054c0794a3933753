// npm links the bins of dependencies into node_modules/.bin, never the project's own; this makes
// `npx greyward …` run this checkout's command (as the README says) instead of looking elsewhere.
var fs = require('fs');
var path = require('path');
var binDir = path.join(__dirname, '..', 'node_modules', '.bin');
var link = path.join(binDir, 'greyward');
fs.mkdirSync(binDir, { recursive: true });
try {
  fs.unlinkSync(link);
} catch (error) {
  if (error.code !== 'ENOENT') throw error;
}
fs.symlinkSync(path.join('..', '..', 'bin', 'greyward.cjs'), link);
