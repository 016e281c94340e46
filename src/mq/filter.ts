import { invalidArgument } from './errors.js';

/** A compiled tag filter expression: `'*'`, `'A'`, `'A || B'` (RocketMQ's TAG filter syntax). */
export interface TagFilter {
  readonly expression: string;
  accepts(tag: string | undefined): boolean;
}

export function parseTagFilter(expression: string | undefined): TagFilter {
  const text = (expression ?? '*').trim();
  if (text === '' || text === '*') return { expression: '*', accepts: () => true };
  const tags = new Set(text.split('||').map((t) => t.trim()));
  for (const tag of tags) {
    if (tag === '' || /\s/.test(tag)) {
      throw invalidArgument('subscription expression', `'${expression}' is not a tag expression like 'A || B'`);
    }
  }
  return { expression: [...tags].join(' || '), accepts: (tag) => tag !== undefined && tags.has(tag) };
}
