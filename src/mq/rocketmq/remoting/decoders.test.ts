/** fastjson quirks, the commit-log message layout and body compression, without a server. */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import zlib from 'node:zlib';
import { parseConsumeStats, parseConsumerSubscriptions, parseClusterInfo } from './admin-parsers.js';
import { decompressBody, lz4FrameDecode } from './compression.js';
import { parseFastjson } from './fastjson.js';
import { decodeMessages, MessageDecodeError, parseOffsetMsgId } from './message-decoder.js';

describe('fastjson bodies', () => {
  test('bare numeric map keys (ClusterInfo.brokerAddrs, as received from the NameServer)', () => {
    const body = Buffer.from(
      '{"brokerAddrTable":{"broker-a":{"brokerAddrs":{0:"127.0.0.1:10911",1:"127.0.0.1:10921"},"brokerName":"broker-a","cluster":"DefaultCluster","enableActingMaster":false}},"clusterAddrTable":{"DefaultCluster":["broker-a"]}}',
    );
    const info = parseClusterInfo(body);
    assert.equal(info.brokers[0].masterAddr, '127.0.0.1:10911');
    assert.deepEqual(info.brokers[0].brokerAddrs, { '0': '127.0.0.1:10911', '1': '127.0.0.1:10921' });
    assert.deepEqual(info.clusters, { DefaultCluster: ['broker-a'] });
  });

  test('object map keys (ConsumeStats.offsetTable keyed by MessageQueue) give backlog per topic', () => {
    const q = (t: string, id: number, b: number, c: number) =>
      `{"brokerName":"broker-a","queueId":${id},"topic":"${t}"}:{"brokerOffset":${b},"consumerOffset":${c},"lastTimestamp":0,"pullOffset":${c}}`;
    const body = `{"consumeTps":0.0,"offsetTable":{${q('a', 0, 5, 2)},${q('a', 1, 3, 3)},${q('%RETRY%g', 0, 1, 0)}}}`;
    const stats = parseConsumeStats('g', Buffer.from(body));
    assert.deepEqual(
      stats.map((s) => [s.topic, s.backlog, s.queues.length]),
      [
        ['%RETRY%g', 1, 1],
        ['a', 3, 2],
      ],
    );
  });

  test('ConsumerConnection (GET_CONSUMER_CONNECTION_LIST, as 5.3.3 answered for a gRPC consumer): subscription per topic', () => {
    const body = Buffer.from(
      '{"connectionSet":[{"clientAddr":"127.0.0.1:34348","clientId":"vm@10351@0@mx6bvotk","language":"HTTP","version":479}],' +
        '"consumeFromWhere":"CONSUME_FROM_LAST_OFFSET","consumeType":"CONSUME_PASSIVELY","messageModel":"CLUSTERING","subscriptionTable":{' +
        '"orders":{"classFilterMode":false,"codeSet":[74702359,2448076],"expressionType":"TAG","subString":"PAID || REFUNDED","subVersion":1796228179570,"tagsSet":["REFUNDED","PAID"],"topic":"orders"},' +
        '"%RETRY%g":{"classFilterMode":false,"codeSet":[],"expressionType":"TAG","subString":"*","subVersion":1,"tagsSet":[],"topic":"%RETRY%g"},' +
        '"refunds":{"classFilterMode":false,"codeSet":[],"expressionType":"SQL92","subString":"amount > 100","subVersion":1,"tagsSet":[],"topic":"refunds"}}}',
    );
    assert.deepEqual(parseConsumerSubscriptions(body), [
      { topic: 'orders', expressionType: 'TAG', expression: 'PAID || REFUNDED', tags: ['REFUNDED', 'PAID'] },
      { topic: '%RETRY%g', expressionType: 'TAG', expression: '*', tags: [] },
      { topic: 'refunds', expressionType: 'SQL92', expression: 'amount > 100', tags: [] },
    ]);
  });

  test('strict JSON parses as JSON.parse does; escapes, nesting, single quotes, long suffixes', () => {
    const strict = '{"a":[1,-2.5e3,true,false,null,{"b":"x\\"y\\u00e9\\n"}],"c":{}}';
    assert.deepEqual(parseFastjson(strict), JSON.parse(strict));
    assert.deepEqual(parseFastjson("{'k':'it\\'s', n: 12L, m:{id:1}}"), { k: "it's", n: 12, m: { id: 1 } });
    assert.throws(() => parseFastjson('{"a":1'), /offset/);
  });
});

/** Builds a message in commit-log layout (MessageExtEncoder) with an IPv4 born/store host. */
function encodeMessage(m: { topic: string; body: Buffer; properties: Record<string, string>; sysFlag?: number; offset?: bigint }): Buffer {
  const props = Buffer.from(
    Object.entries(m.properties)
      .map(([k, v]) => `${k}\u0001${v}\u0002`)
      .join(''),
  );
  const topic = Buffer.from(m.topic);
  const parts: Buffer[] = [];
  const int = (n: number) => parts.push(Buffer.from(Uint8Array.of(n >>> 24, n >>> 16, n >>> 8, n)));
  const long = (n: bigint) => {
    const b = Buffer.alloc(8);
    b.writeBigInt64BE(n);
    parts.push(b);
  };
  int(0); // total size, patched below
  int(-626843481); // MAGIC V1
  int(0); // body crc
  int(3); // queue id
  int(0); // flag
  long(17n); // queue offset
  long(m.offset ?? 4096n); // commit log offset
  int(m.sysFlag ?? 0);
  long(1_700_000_000_000n); // born
  parts.push(Buffer.from([10, 0, 0, 1])), int(40000);
  long(1_700_000_000_123n); // stored
  parts.push(Buffer.from([127, 0, 0, 1])), int(10911);
  int(2); // reconsume times
  long(0n);
  int(m.body.length), parts.push(m.body);
  parts.push(Buffer.from([topic.length]), topic);
  parts.push(Buffer.from([props.length >> 8, props.length & 255]), props);
  const buf = Buffer.concat(parts);
  buf.writeInt32BE(buf.length, 0);
  return buf;
}

describe('message decoding', () => {
  const props = { UNIQ_KEY: 'AC11000100002A9F0000000000000001', KEYS: 'order-1 user-9', TAGS: 'PAID', custom: 'x' };

  test('decodes fields, keys, tags, properties and the offsetMsgId of back-to-back messages', () => {
    const buf = Buffer.concat([
      encodeMessage({ topic: 'orders', body: Buffer.from('one'), properties: props }),
      encodeMessage({ topic: 'orders', body: Buffer.from('two'), properties: { KEYS: 'k' }, offset: 8192n }),
    ]);
    const [a, b] = decodeMessages(buf);
    assert.equal(a.msgId, props.UNIQ_KEY);
    assert.equal(a.topic, 'orders');
    assert.equal(a.tags, 'PAID');
    assert.deepEqual(a.keys, ['order-1', 'user-9']);
    assert.equal(a.properties.custom, 'x');
    assert.equal(a.body.toString(), 'one');
    assert.deepEqual([a.queueId, a.queueOffset, a.commitLogOffset, a.reconsumeTimes], [3, 17, 4096, 2]);
    assert.equal(a.bornTimestamp.getTime(), 1_700_000_000_000);
    assert.equal(a.storeTimestamp.getTime(), 1_700_000_000_123);
    assert.deepEqual([a.bornHost, a.storeHost], ['10.0.0.1:40000', '127.0.0.1:10911']);
    assert.equal(a.offsetMsgId, '7F00000100002A9F0000000000001000');
    assert.deepEqual(parseOffsetMsgId(a.offsetMsgId), { address: '127.0.0.1:10911', offset: 4096n });
    assert.equal(b.msgId, b.offsetMsgId, 'no UNIQ_KEY: the offsetMsgId is the id');
  });

  test('a truncated buffer is an error, not a silent short list', () => {
    const one = encodeMessage({ topic: 't', body: Buffer.from('x'), properties: {} });
    assert.throws(() => decodeMessages(one.subarray(0, one.length - 3)), MessageDecodeError);
  });

  test('compressed bodies: zlib (Java producers), gzip (gRPC bodies), LZ4 frames; unknown kept and flagged', () => {
    const text = Buffer.from('order-0;'.repeat(100));
    const zl = encodeMessage({ topic: 't', body: zlib.deflateSync(text), properties: {}, sysFlag: 1 | (3 << 8) });
    assert.deepEqual(decodeMessages(zl)[0].body, text);
    assert.deepEqual(decompressBody(zlib.gzipSync(text), 1).body, text);
    // produced by lz4-java 1.8.0 LZ4FrameOutputStream (RocketMQ's Lz4Compressor)
    const lz4 = Buffer.from(
      '04224d186070732d000000826f726465722d303b08001331080013320800133308001334080013350800133608000f3800ea5065722d343b00000000',
      'hex',
    );
    const expected = Array.from({ length: 40 }, (_, i) => `order-${i % 7};`).join('');
    assert.equal(lz4FrameDecode(lz4).toString(), expected);
    assert.equal(decompressBody(lz4, 1 | (1 << 8)).body.toString(), expected);
    const bad = decompressBody(Buffer.from('not compressed'), 1 | (3 << 8));
    assert.deepEqual([bad.body.toString(), bad.compression], ['not compressed', 'ZLIB']);
  });
});
