#!/usr/bin/env node
// The `orderflow` command: runs the built CLI (npm ci builds dist/ through the prepare script).
import('../dist/cli.js').catch((error) => {
  if (error && error.code === 'ERR_MODULE_NOT_FOUND') {
    process.stderr.write('orderflow: dist/ is missing: run `npm run build` (npm ci does it) first\n');
    process.exit(1);
  }
  throw error;
});
