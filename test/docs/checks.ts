/**
 * The checks behind references.test.ts, as pure functions of a file's text and of what the repository holds, so
 * that each can be shown failing on a small example. Every problem is one line: `file:line: what is wrong`.
 */
import path from 'node:path';
import { markdownFacts, slug } from './markdown.js';

/** What the checks may ask of the repository. Paths are relative to its root, with `/`. */
export interface Repository {
  exists(file: string): boolean;
  /** The anchors of a Markdown file (see markdownFacts), or undefined if it is not one. */
  anchorsOf(file: string): Set<string> | undefined;
}

/** A path inside the repository named from its root, e.g. `src/mq/types.ts` or `scripts/rocketmq/`. */
const REPOSITORY_PATH = /(?<![\w./@$-])(?:src|bench|test|scripts|docs|bin|\.ci)\/(?:[\w.@+-]+\/?)*/g;
/** What follows a path that is a pattern or a placeholder rather than a file: `src/x/*.ts`, `docs/<name>.md`. */
const PATTERN_FOLLOWS = /^[*<{$…[]/;

/** Relative links of a Markdown file: to an existing file inside the repository and, for a Markdown file, a heading of it. */
export function linkProblems(file: string, source: string, repository: Repository): string[] {
  const problems: string[] = [];
  for (const link of markdownFacts(source).links) {
    const at = `${file}:${link.line}: link ${link.text}`;
    if (/^[a-z][a-z\d+.-]*:/i.test(link.text) || link.text.startsWith('//')) continue; // https:, mailto:
    const [target, anchor] = splitAnchor(link.text);
    if (target.startsWith('/')) {
      problems.push(`${at}: an absolute path; link relative to the file`);
      continue;
    }
    const resolved = target === '' ? file : inside(path.posix.join(path.posix.dirname(file), target));
    if (resolved === undefined) problems.push(`${at}: points outside the repository`);
    else if (!repository.exists(resolved)) problems.push(`${at}: ${resolved} does not exist`);
    else if (anchor !== undefined && repository.anchorsOf(resolved)?.has(anchor) === false) {
      problems.push(`${at}: ${resolved} has no heading with the anchor #${anchor}`);
    }
  }
  return problems;
}

/** Repository paths shown as code in a Markdown file (`src/app.ts`, `bash scripts/test.sh`): each must exist. */
export function codePathProblems(file: string, source: string, repository: Repository): string[] {
  return markdownFacts(source).code.flatMap((code) =>
    missingPaths(code.text, repository, () => true).map((missing) => `${file}:${code.line}: ${missing} does not exist`),
  );
}

/**
 * Repository paths with a file extension named in the comments of code or a script (`see src/db/prepared-query.ts`),
 * or anywhere in a JSON file (package.json's scripts): each must exist. Strings in code are left alone: a test may
 * name a file that must not exist, or feed a checker made-up paths.
 */
export function sourcePathProblems(file: string, source: string, repository: Repository): string[] {
  return lines(file.endsWith('.json') ? source : commentsOf(file, source)).flatMap(({ text, line }) =>
    missingPaths(text, repository, (found) => /\.\w+$/.test(found)).map((missing) => `${file}:${line}: ${missing} does not exist`),
  );
}

/**
 * Pointers to a section, as comments write them: `docs/architecture.md, "Order states"` or `README.md "Configuration"`
 * (the root README). The file must have a heading of that name.
 */
export function sectionPointerProblems(file: string, source: string, repository: Repository): string[] {
  const problems: string[] = [];
  for (const match of source.matchAll(/(?<![\w/.-])(docs\/[\w.-]+\.md|README\.md)[,:]?\s*(?:\*\s*)?"([^"\n]+)"/g)) {
    const [, target, section] = match;
    const anchors = repository.anchorsOf(target);
    const line = source.slice(0, match.index).split('\n').length;
    if (!anchors) problems.push(`${file}:${line}: ${target} does not exist`);
    else if (!anchors.has(slug(section))) problems.push(`${file}:${line}: ${target} has no section "${section}"`);
  }
  return problems;
}

/**
 * Words that point at what a reader of the repository cannot see: a relative path leading out of the repository
 * (`../shared/…`), a file named ARCHITECTURE.md that it does not have, one machine's paths (the system temp folder,
 * the authors' work folder), and the stretches of work, issues and style notes it was written in ("session 5",
 * "part 3", "issue 12", "problem #1", "habit 8"). Bare `#12` is looked for only where prose is — Markdown and the
 * comments of code — because elsewhere a `#` and digits are colours, private names or anchors.
 */
export function forbiddenMentions(file: string, source: string): string[] {
  const problems: string[] = [];
  const prose = file.endsWith('.md') ? source : commentsOf(file, source);
  for (const { text, line } of lines(source)) {
    const at = `${file}:${line}`;
    for (const [found] of text.matchAll(/(?<![\w./-])(?:\.\.\/)+[\w.@-]+/g)) {
      if (inside(path.posix.join(path.posix.dirname(file), found)) === undefined)
        problems.push(`${at}: ${found} leads out of the repository`);
    }
    for (const [pattern, what] of WORDS) {
      const found = pattern.exec(text);
      if (found) problems.push(`${at}: "${found[0]}" (${what})`);
    }
  }
  for (const { text, line } of lines(prose)) {
    const found = /(?:^|[\s([])(#\d+)\b(?![\da-f-])/i.exec(text);
    if (found) problems.push(`${file}:${line}: "${found[1]}" (an issue number)`);
  }
  return problems;
}

const WORDS: ReadonlyArray<[RegExp, string]> = [
  [/ARCHITECTURE\.md/, 'a file the repository does not have: docs/architecture.md'],
  [/(?<![\w.])\/tmp\//, "one machine's temporary folder"],
  [/(?<![\w.])\/work\//, "one machine's work folder"],
  [/\bsessions? \d+/i, 'a numbered stretch of work'],
  [/\bparts? \d+/i, 'a numbered stretch of work'],
  [/\bissues? #?\d+/i, 'an issue number'],
  [/\bproblem #\d+/i, 'a numbered problem of a brief'],
  [/\bhabits? \d+/i, 'a numbered style note'],
];

function missingPaths(text: string, repository: Repository, wanted: (found: string) => boolean): string[] {
  const missing: string[] = [];
  for (const match of text.matchAll(REPOSITORY_PATH)) {
    const found = match[0].replace(/\.+$/, '');
    const next = text.slice(match.index + match[0].length);
    // `src/systems/X/index.ts`: a one-capital segment stands for any name.
    const placeholder = found.includes('…') || found.split('/').some((segment) => /^[A-Z]$/.test(segment));
    if (PATTERN_FOLLOWS.test(next) || placeholder || !wanted(found)) continue;
    if (!repository.exists(found.replace(/\/$/, ''))) missing.push(found);
  }
  return missing;
}

/** The comments of a code file, each kept on its own line (so line numbers stay), everything else blanked. */
function commentsOf(file: string, source: string): string {
  const hash = /\.(sh|ya?ml|toml)$|(^|\/)(run|\.\w+rc)$/.test(file);
  return source
    .split('\n')
    .map((text) => {
      const start = hash ? text.search(/(^|\s)#(?!!)/) : text.search(/\/\/|\/\*|^\s*\*/);
      return start < 0 ? '' : text.slice(start);
    })
    .join('\n');
}

function lines(source: string): Array<{ text: string; line: number }> {
  return source.split('\n').map((text, index) => ({ text, line: index + 1 }));
}

function splitAnchor(link: string): [string, string | undefined] {
  const hash = link.indexOf('#');
  return hash < 0 ? [link, undefined] : [link.slice(0, hash), link.slice(hash + 1)];
}

/** A normalised repository path, or undefined when it leads out of the repository. */
function inside(joined: string): string | undefined {
  const normal = path.posix.normalize(joined);
  return normal === '..' || normal.startsWith('../') ? undefined : normal.replace(/\/$/, '');
}
