/**
 * The repository stands alone: read from a fresh clone with nothing else at hand, every reference in it resolves.
 *
 * - Markdown (every tracked .md file: README.md, docs/, the README.md files under src/): each relative link reaches a file inside the repository
 *   and, when it names a `#fragment` of a Markdown file, one of its headings; each repository path shown as code
 *   (`src/app.ts`, `bash scripts/test.sh`) exists.
 * - Code, scripts, CI and package.json: a repository file named in a comment (or in the JSON) exists, and in every
 *   tracked text file a pointer to a section (`docs/architecture.md, "Order states"`) names a heading of that file.
 * - Every tracked text file: nothing leads out of the repository or names one machine's folders, and nothing cites
 *   the stretches of work, issues or style notes it was written in (the patterns, and why a bare `#12` is looked for
 *   in prose only, are in checks.ts).
 *
 * The files of this check (test/docs/) are left out of the scans: they spell out the patterns they look for and
 * show each check failing on examples below.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import {
  codePathProblems,
  forbiddenMentions,
  linkProblems,
  type Repository,
  sectionPointerProblems,
  sourcePathProblems,
} from './checks.js';
import { markdownFacts } from './markdown.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const CODE = /\.(ts|js|mjs|cjs|sh)$|^\.ci\/|^bin\/|^package\.json$/;
const DATA = /^bench\/results\/|(^|\/)package-lock\.json$/;

/** Tracked files that are still there (a file moved but not yet staged is listed at its old path too). */
function trackedFiles(): string[] | undefined {
  try {
    const listed = execFileSync('git', ['ls-files', '-z'], { cwd: root, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
    return listed.split('\0').filter((file) => file !== '' && existsSync(path.join(root, file)));
  } catch {
    return undefined;
  }
}

/** The file as text, or undefined for a binary file (a NUL byte in its first 8 KiB). */
function textOf(file: string): string | undefined {
  const bytes = readFileSync(path.join(root, file));
  return bytes.subarray(0, 8192).includes(0) ? undefined : bytes.toString('utf8');
}

const anchors = new Map<string, Set<string> | undefined>();
const repository: Repository = {
  exists: (file) => existsSync(path.join(root, file)),
  anchorsOf(file) {
    if (!anchors.has(file)) {
      const isMarkdown = file.endsWith('.md') && existsSync(path.join(root, file));
      anchors.set(file, isMarkdown ? markdownFacts(readFileSync(path.join(root, file), 'utf8')).anchors : undefined);
    }
    return anchors.get(file);
  },
};

const files = trackedFiles();
const skip = files ? false : 'not a git checkout: the tracked files cannot be listed';
const scanned = (files ?? [])
  .filter((file) => !file.startsWith('test/docs/'))
  .flatMap((file) => {
    const text = textOf(file);
    return text === undefined ? [] : [{ file, text }];
  });

describe('every reference in the repository resolves inside it', { skip }, () => {
  it('Markdown: relative links reach a file (and heading) of the repository; paths shown as code exist', () => {
    const markdown = scanned.filter(({ file }) => file.endsWith('.md'));
    assert.ok(
      markdown.some(({ file }) => file === 'README.md'),
      'README.md is among the scanned files',
    );
    const problems = markdown.flatMap(({ file, text }) => [
      ...linkProblems(file, text, repository),
      ...codePathProblems(file, text, repository),
    ]);
    assert.deepEqual(problems, [], problems.join('\n'));
  });

  it('code, scripts and CI: named repository files exist', () => {
    const problems = scanned.filter(({ file }) => CODE.test(file)).flatMap(({ file, text }) => sourcePathProblems(file, text, repository));
    assert.deepEqual(problems, [], problems.join('\n'));
  });

  it('pointers to a section of a document name one of its headings', () => {
    const problems = scanned
      .filter(({ file }) => !DATA.test(file))
      .flatMap(({ file, text }) => sectionPointerProblems(file, text, repository));
    assert.deepEqual(problems, [], problems.join('\n'));
  });

  it('no tracked file leads out of the repository or cites working notes, issues or one machine', () => {
    const problems = scanned.flatMap(({ file, text }) => forbiddenMentions(file, text));
    assert.deepEqual(problems, [], problems.join('\n'));
  });
});

describe('the checks catch what they are for', () => {
  const example: Repository = {
    exists: (file) => ['README.md', 'docs/a.md', 'src/app.ts', 'scripts', 'scripts/test.sh'].includes(file),
    anchorsOf: (file) => (file === 'docs/a.md' ? new Set(['the-http-api', 'order-states']) : file === 'README.md' ? new Set() : undefined),
  };

  it('a missing file, a missing heading, a link out of the repository or an absolute one', () => {
    const source = [
      '[fine](docs/a.md#order-states) and [fine too](https://example.com/x) and `[not a link](nowhere.md)`',
      '',
      '| table | [missing](docs/b.md) |',
      '|---|---|',
      '| [no heading](docs/a.md#states) | [out](../shared/ARCH.md) |',
      '',
      'and [absolute](/etc/hosts)',
    ].join('\n');
    assert.deepEqual(linkProblems('README.md', source, example), [
      'README.md:3: link docs/b.md: docs/b.md does not exist',
      'README.md:5: link docs/a.md#states: docs/a.md has no heading with the anchor #states',
      'README.md:5: link ../shared/ARCH.md: points outside the repository',
      'README.md:7: link /etc/hosts: an absolute path; link relative to the file',
    ]);
  });

  it('anchors are the ones GitHub gives headings, duplicates numbered', () => {
    const { anchors: found } = markdownFacts('# The `mq` engine — embedded\n\n## Flash sales: 20,000 requests\n\n## Notes\n\n## Notes\n');
    assert.deepEqual([...found], ['the-mq-engine--embedded', 'flash-sales-20000-requests', 'notes', 'notes-1']);
  });

  it('paths shown as code must exist, patterns and placeholders aside', () => {
    const source =
      'Run `bash scripts/test.sh src/x/*.test.ts` for `src/app.ts`, not `src/gone.ts` or `docs/<name>.md`.\n\n```\nnode bin/none.js\n```\n';
    assert.deepEqual(codePathProblems('docs/a.md', source, example), [
      'docs/a.md:1: src/gone.ts does not exist',
      'docs/a.md:3: bin/none.js does not exist',
    ]);
  });

  it('files named in code must exist; a pointer to a section must name a heading', () => {
    const code = "// built once, see src/app.ts and src/db/gone.ts; each src/systems/X/index.ts\nconst fixture = 'src/db/made-up.ts';\n";
    assert.deepEqual(sourcePathProblems('src/x.ts', code, example), ['src/x.ts:1: src/db/gone.ts does not exist']);
    const source = '/** Order states (docs/a.md, "Order states"); the API (docs/a.md,\n * "HTTP API"); see README.md "Configuration". */';
    assert.deepEqual(sectionPointerProblems('src/x.ts', source, example), [
      'src/x.ts:1: docs/a.md has no section "HTTP API"',
      'src/x.ts:2: README.md has no section "Configuration"',
    ]);
  });

  it('mentions of what a reader cannot see; colours, private names and in-repository paths are fine', () => {
    const code = [
      "import { Topics } from '../shared/topics.js'; // within src/systems",
      'const colour = "#111827"; this.#1 = 0;',
      '// as measured in session 5 (problem #1, STYLE habit 3) and ../../../../notes.md',
      "const dir = '/tmp/run'; // see #12",
    ].join('\n');
    assert.deepEqual(forbiddenMentions('src/systems/order/x.ts', code), [
      'src/systems/order/x.ts:3: ../../../../notes.md leads out of the repository',
      'src/systems/order/x.ts:3: "session 5" (a numbered stretch of work)',
      'src/systems/order/x.ts:3: "problem #1" (a numbered problem of a brief)',
      'src/systems/order/x.ts:3: "habit 3" (a numbered style note)',
      'src/systems/order/x.ts:4: "/tmp/" (one machine\'s temporary folder)',
      'src/systems/order/x.ts:3: "#1" (an issue number)',
      'src/systems/order/x.ts:4: "#12" (an issue number)',
    ]);
    assert.deepEqual(forbiddenMentions('docs/a.md', 'Fixed in issue 12, part 3 of the work, see ARCHITECTURE.md.\n'), [
      'docs/a.md:1: "ARCHITECTURE.md" (a file the repository does not have: docs/architecture.md)',
      'docs/a.md:1: "part 3" (a numbered stretch of work)',
      'docs/a.md:1: "issue 12" (an issue number)',
    ]);
  });
});
