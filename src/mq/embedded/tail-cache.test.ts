import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { MessageRow } from './store.js';
import { TailCache } from './tail-cache.js';

const row = (offset: number, topic: string): MessageRow => ({
  offset,
  id: null as unknown as string,
  topic,
  queue_id: 0,
  tag: null,
  keys: null,
  props: null,
  msg_group: null,
  body: Buffer.from(String(offset)),
  born_at: 0,
  stored_at: 0,
  deliver_at: null,
});
const offsets = (rows: MessageRow[] | undefined) => rows?.map((r) => r.offset);

test("serves a topic's rows from the broker's start on, and says when it cannot (older offsets: SQLite)", () => {
  const cache = new TailCache(100);
  assert.deepEqual(cache.read('a', 100, 10), [], 'nothing written since the start: nothing there');
  assert.equal(cache.read('a', 99, 10), undefined, 'before the start: ask SQLite');
  cache.add([row(100, 'a'), row(101, 'b'), row(102, 'a'), row(103, 'a')]);
  assert.deepEqual(offsets(cache.read('a', 100, 10)), [100, 102, 103]);
  assert.deepEqual(offsets(cache.read('a', 101, 10)), [102, 103], 'from an offset of another topic');
  assert.deepEqual(offsets(cache.read('a', 102, 1)), [102], 'limit');
  assert.deepEqual(offsets(cache.read('b', 100, 10)), [101]);
  assert.deepEqual(cache.read('a', 104, 10), []);
});

test('keeps the newest rows per topic; what it dropped is read from SQLite again', () => {
  const cache = new TailCache(0, 4);
  cache.add(Array.from({ length: 9 }, (_, i) => row(i, 'a')));
  const kept = cache.read('a', 5, 10);
  assert.deepEqual(offsets(kept), [5, 6, 7, 8]);
  assert.equal(cache.read('a', 4, 10), undefined, 'dropped: not covered any more');
});

test('retention: rows deleted from the store are forgotten', () => {
  const cache = new TailCache(0);
  cache.add([row(0, 'a'), row(1, 'a'), row(2, 'b'), row(3, 'a')]);
  cache.dropThrough(1);
  assert.equal(cache.read('a', 0, 10), undefined);
  assert.deepEqual(offsets(cache.read('a', 2, 10)), [3]);
  assert.deepEqual(offsets(cache.read('b', 2, 10)), [2]);
});
