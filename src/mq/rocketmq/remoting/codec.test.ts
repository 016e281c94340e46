/** Framing without a server: frames split over TCP chunks, several frames per chunk, both header types. */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { decodeCommand, encodeCommand, FLAG_RESPONSE, FrameDecoder, FrameError, type RemotingCommand } from './codec.js';

const request = (opaque: number, body?: string): RemotingCommand => ({
  code: 105,
  opaque,
  flag: 0,
  extFields: { topic: `t${opaque}`, acceptStandardJsonOnly: 'true' },
  body: body === undefined ? undefined : Buffer.from(body),
});

describe('remoting codec', () => {
  test('encodes the documented layout: total length, JSON marker + header length, header, body', () => {
    const frame = encodeCommand(request(7, 'xyz'));
    assert.equal(frame.readInt32BE(0), frame.length - 4);
    const mark = frame.readUInt32BE(4);
    assert.equal(mark >>> 24, 0, 'serialize type JSON');
    const header = JSON.parse(frame.subarray(8, 8 + (mark & 0xffffff)).toString());
    assert.deepEqual(
      { code: header.code, opaque: header.opaque, flag: header.flag, ext: header.extFields, type: header.serializeTypeCurrentRPC },
      { code: 105, opaque: 7, flag: 0, ext: { topic: 't7', acceptStandardJsonOnly: 'true' }, type: 'JSON' },
    );
    assert.equal(frame.subarray(8 + (mark & 0xffffff)).toString(), 'xyz');
  });

  test('round-trips through the decoder', () => {
    const [frame] = new FrameDecoder().push(encodeCommand(request(1, 'body')));
    const cmd = decodeCommand(frame);
    assert.equal(cmd.code, 105);
    assert.equal(cmd.opaque, 1);
    assert.equal(cmd.extFields.topic, 't1');
    assert.equal(cmd.body?.toString(), 'body');
  });

  test('a frame split across chunks (down to single bytes, even inside the length field) is reassembled', () => {
    const bytes = encodeCommand(request(3, 'split me'));
    const decoder = new FrameDecoder();
    const frames: Buffer[] = [];
    for (let i = 0; i < bytes.length; i++) frames.push(...decoder.push(bytes.subarray(i, i + 1)));
    assert.equal(frames.length, 1);
    assert.equal(decodeCommand(frames[0]).body?.toString(), 'split me');
    assert.equal(decoder.pending, 0);
  });

  test('two frames in one chunk, and a chunk ending inside a third', () => {
    const a = encodeCommand(request(1, 'a'));
    const b = encodeCommand(request(2));
    const c = encodeCommand(request(3, 'c'.repeat(1000)));
    const decoder = new FrameDecoder();
    const first = decoder.push(Buffer.concat([a, b, c.subarray(0, 10)]));
    assert.deepEqual(
      first.map((f) => decodeCommand(f).opaque),
      [1, 2],
    );
    assert.equal(decodeCommand(first[1]).body, undefined);
    assert.equal(decoder.pending, 10);
    const rest = decoder.push(c.subarray(10));
    assert.deepEqual(
      rest.map((f) => decodeCommand(f).opaque),
      [3],
    );
  });

  test('decodes a ROCKETMQ (binary) header, as sent by brokers run with rocketmq.serialize.type=ROCKETMQ', () => {
    const ext = Buffer.concat([u16(3), Buffer.from('key'), i32(5), Buffer.from('value')]);
    const remark = Buffer.from('fine');
    const header = Buffer.concat([
      u16(0),
      Buffer.from([0]),
      u16(479),
      i32(42),
      i32(FLAG_RESPONSE),
      i32(remark.length),
      remark,
      i32(ext.length),
      ext,
    ]);
    const frame = Buffer.concat([i32((1 << 24) | header.length), header, Buffer.from('B')]);
    const cmd = decodeCommand(frame);
    assert.deepEqual(
      { code: cmd.code, opaque: cmd.opaque, flag: cmd.flag, remark: cmd.remark, ext: cmd.extFields, body: cmd.body?.toString() },
      { code: 0, opaque: 42, flag: 1, remark: 'fine', ext: { key: 'value' }, body: 'B' },
    );
  });

  test('rejects a header length beyond the frame and absurd frame lengths', () => {
    assert.throws(() => decodeCommand(i32(100)), FrameError);
    assert.throws(() => new FrameDecoder().push(i32(0x7fffffff)), FrameError);
    assert.throws(() => new FrameDecoder().push(Buffer.from('HTTP/1.1 400 Bad Request\r\n')), /speaks HTTP/);
  });
});

function i32(n: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeInt32BE(n);
  return b;
}

function u16(n: number): Buffer {
  const b = Buffer.alloc(2);
  b.writeUInt16BE(n);
  return b;
}
