import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { test } from 'node:test';
import { promisify } from 'node:util';

const run = (args: string[]) =>
  promisify(execFile)(process.execPath, ['--import', 'tsx', 'scripts/chaos/chaos.ts', ...args], { timeout: 60_000 }).then(
    ({ stdout, stderr }) => ({ code: 0, stdout, stderr }),
    (error: { code: number; stdout: string; stderr: string }) => ({ code: error.code, stdout: error.stdout, stderr: error.stderr }),
  );

// Each stops before anything is started: no server, no process, no file.
test('chaos: a bad option or value is refused with exit code 2 and one line naming it, then the usage; never a stack trace', async () => {
  const cases: [string[], RegExp][] = [
    [['--bogus'], /--bogus/],
    [['--seconds', 'abc'], /--seconds must be a whole number.*'abc'/],
    [['--kills=-1'], /--kills must be a whole number.*'-1'/],
    [['--topology', 'mars'], /--topology must be embedded or production.*'mars'/],
    [['--order-messages', 'pigeon'], /--order-messages must be transactional or outbox/],
  ];
  await Promise.all(
    cases.map(async ([args, named]) => {
      const { code, stdout, stderr } = await run(args);
      assert.equal(code, 2, `${args.join(' ')}: ${stderr}`);
      const [first, usage] = stderr.trim().split('\n');
      assert.match(first, named);
      assert.match(usage, /^usage: npm run chaos/);
      assert.doesNotMatch(stderr, /\n\s+at /, 'no stack trace');
      assert.equal(stdout, '', 'nothing started');
    }),
  );
  const help = await run(['--help']);
  assert.equal(help.code, 0);
  assert.match(help.stdout, /^usage: npm run chaos/);
});
