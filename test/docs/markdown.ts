/**
 * What the reference checks need to know of a Markdown file: its links, its code (inline and blocks) and the
 * anchors its headings give. Parsed by markdown-it, so a link in a table counts and a link shown inside code does
 * not; anchors are GitHub's slugs (github-slugger), duplicates numbered as GitHub numbers them.
 */
import GithubSlugger from 'github-slugger';
import MarkdownIt from 'markdown-it';

export { slug } from 'github-slugger';

export interface Located {
  text: string;
  /** 1-based line of the block the text is in. */
  line: number;
}

export interface MarkdownFacts {
  /** Link and image targets as written (percent-decoded). */
  links: Located[];
  /** Inline code spans and the contents of fenced or indented code blocks. */
  code: Located[];
  /** Every anchor a `#fragment` may name: heading slugs and explicit `id` / `name` attributes. */
  anchors: Set<string>;
}

const parser = new MarkdownIt({ html: true });
const HTML_ID = /\b(?:id|name)\s*=\s*["']([^"']+)["']/g;

export function markdownFacts(source: string): MarkdownFacts {
  const facts: MarkdownFacts = { links: [], code: [], anchors: new Set() };
  const slugger = new GithubSlugger();
  const tokens = parser.parse(source, {});
  let line = 1;
  tokens.forEach((token, index) => {
    // Block tokens know their line; a table cell's inline token does not, but its row's tr_open came just before.
    if (token.map) line = token.map[0] + 1;
    if (token.type === 'heading_open') facts.anchors.add(slugger.slug(headingText(tokens[index + 1]?.children ?? [])));
    if (token.type === 'fence' || token.type === 'code_block') facts.code.push({ text: token.content, line });
    if (token.type === 'html_block') for (const [, id] of token.content.matchAll(HTML_ID)) facts.anchors.add(id);
    let childLine = line;
    for (const child of token.children ?? []) {
      if (child.type === 'softbreak' || child.type === 'hardbreak') childLine++;
      const target = child.type === 'link_open' ? child.attrGet('href') : child.type === 'image' ? child.attrGet('src') : null;
      if (target !== null) facts.links.push({ text: decode(String(target)), line: childLine });
      if (child.type === 'code_inline') facts.code.push({ text: child.content, line: childLine });
      if (child.type === 'html_inline') for (const [, id] of child.content.matchAll(HTML_ID)) facts.anchors.add(id);
    }
  });
  return facts;
}

/** A heading's text as GitHub slugs it: what a reader sees, without the Markdown around it. */
function headingText(children: ReadonlyArray<{ type: string; content: string }>): string {
  return children
    .filter((child) => child.type === 'text' || child.type === 'code_inline')
    .map((child) => child.content)
    .join('');
}

/** markdown-it percent-encodes targets; the file system and the slugs know the plain characters. */
function decode(target: string): string {
  try {
    return decodeURIComponent(target);
  } catch {
    return target;
  }
}
