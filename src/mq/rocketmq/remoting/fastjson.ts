/**
 * A tolerant parser for the JSON bodies RocketMQ writes with fastjson's default settings, which are not
 * always strict JSON:
 *  - maps with non-string keys are written with bare keys: `"brokerAddrs":{0:"127.0.0.1:10911"}`;
 *  - maps keyed by an object are written with the object as key: ConsumeStats.offsetTable is
 *    `{{"brokerName":"b","queueId":0,"topic":"t"}:{"brokerOffset":3,...}}`.
 * Such keys become strings: numbers as their decimal text, objects/arrays as their JSON.stringify text
 * (so `JSON.parse(key)` gives the MessageQueue back). Everything else parses as JSON.parse would, except
 * that integers beyond 2^53 lose precision (none of the fields we read get there).
 */
import { MqError, MqErrorCode } from '../../errors.js';

/** Bytes from the broker that do not parse: a protocol fault, not worth retrying. */
export class FastjsonSyntaxError extends MqError {
  override readonly name = 'FastjsonSyntaxError';
  constructor(message: string) {
    super(MqErrorCode.UNAVAILABLE, message);
  }
}

export function parseFastjson(text: string | Buffer): unknown {
  const p = new Parser(typeof text === 'string' ? text : text.toString('utf8'));
  p.ws();
  const value = p.value();
  p.ws();
  if (p.i < p.s.length) p.fail('trailing characters');
  return value;
}

// sticky (y) patterns matched at the cursor: no slicing, so a large body parses in linear time
const DQ_STRING = /"(?:[^"\\]|\\.)*"/sy;
const SQ_STRING = /'((?:[^'\\]|\\.)*)'/sy;
const NUMBER = /-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?[LlFfDd]?/y;
const IDENT = /[A-Za-z_$][\w$]*/y;

class Parser {
  i = 0;
  constructor(readonly s: string) {}

  fail(what: string): never {
    const near = this.s.slice(Math.max(0, this.i - 20), this.i + 20);
    throw new FastjsonSyntaxError(`${what} at offset ${this.i} near ${JSON.stringify(near)}`);
  }

  match(re: RegExp): RegExpExecArray | null {
    re.lastIndex = this.i;
    return re.exec(this.s);
  }

  ws(): void {
    while (this.i < this.s.length && /\s/.test(this.s[this.i])) this.i++;
  }

  value(): unknown {
    const c = this.s[this.i];
    if (c === '{') return this.object();
    if (c === '[') return this.array();
    if (c === '"' || c === "'") return this.string();
    if (c === '-' || (c >= '0' && c <= '9')) return this.number();
    for (const [word, v] of [
      ['true', true],
      ['false', false],
      ['null', null],
    ] as const) {
      if (this.s.startsWith(word, this.i)) {
        this.i += word.length;
        return v;
      }
    }
    return this.fail(c === undefined ? 'unexpected end' : `unexpected ${JSON.stringify(c)}`);
  }

  object(): Record<string, unknown> {
    const out: Record<string, unknown> = {};
    this.i++; // {
    this.ws();
    if (this.s[this.i] === '}') {
      this.i++;
      return out;
    }
    for (;;) {
      this.ws();
      const key = this.key();
      this.ws();
      if (this.s[this.i] !== ':') this.fail("expected ':'");
      this.i++;
      this.ws();
      out[key] = this.value();
      this.ws();
      const c = this.s[this.i++];
      if (c === '}') return out;
      if (c !== ',') this.fail("expected ',' or '}'");
    }
  }

  key(): string {
    const c = this.s[this.i];
    if (c === '"' || c === "'") return this.string();
    if (c === '{' || c === '[') return JSON.stringify(this.value()); // object-keyed map (MessageQueue)
    if (c === '-' || (c >= '0' && c <= '9')) return String(this.number());
    const m = this.match(IDENT); // bare identifier key
    if (!m) this.fail('expected a key');
    this.i += m[0].length;
    return m[0];
  }

  array(): unknown[] {
    const out: unknown[] = [];
    this.i++; // [
    this.ws();
    if (this.s[this.i] === ']') {
      this.i++;
      return out;
    }
    for (;;) {
      this.ws();
      out.push(this.value());
      this.ws();
      const c = this.s[this.i++];
      if (c === ']') return out;
      if (c !== ',') this.fail("expected ',' or ']'");
    }
  }

  string(): string {
    const quote = this.s[this.i];
    if (quote === '"') {
      // fast path: let JSON.parse handle escapes of the exact string literal
      const m = this.match(DQ_STRING);
      if (!m) this.fail('unterminated string');
      this.i += m[0].length;
      return JSON.parse(m[0]) as string;
    }
    const m = this.match(SQ_STRING);
    if (!m) this.fail('unterminated string');
    this.i += m[0].length;
    return JSON.parse(`"${m[1].replace(/\\'/g, "'").replace(/"/g, '\\"')}"`) as string;
  }

  number(): number {
    const m = this.match(NUMBER);
    if (!m) this.fail('bad number');
    this.i += m[0].length;
    return Number(m[0].replace(/[LlFfDd]$/, ''));
  }
}

/** Narrowing helpers for the untyped result. */
export function asRecord(v: unknown): Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : {};
}

export function asArray(v: unknown): unknown[] {
  return Array.isArray(v) ? v : [];
}
