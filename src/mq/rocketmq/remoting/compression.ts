/**
 * Inflates message bodies stored compressed. sysFlag bit 0 (COMPRESSED_FLAG) says the body is compressed;
 * bits 8-10 say how (MessageSysFlag / CompressionType, 5.x):
 *   0 (older clients, and gRPC bodies the proxy marks compressed: gzip) and 3 = ZLIB  -> zlib.unzipSync,
 *     which accepts both zlib (Java's Deflater) and gzip (gRPC Encoding.GZIP) streams;
 *   1 = LZ4 (lz4-java LZ4FrameOutputStream: the LZ4 frame format)                        -> decoded below;
 *   2 = ZSTD                                                                             -> zlib.zstdDecompressSync
 *     when this Node has it (>= 22.15); otherwise the body is returned as stored and flagged.
 */
import zlib from 'node:zlib';
import { MqError, MqErrorCode } from '../../errors.js';

const COMPRESSED_FLAG = 0x1;

export function decompressBody(body: Buffer, sysFlag: number): { body: Buffer; compression?: string } {
  if ((sysFlag & COMPRESSED_FLAG) === 0 || body.length === 0) return { body };
  const type = (sysFlag >> 8) & 0x7;
  try {
    if (type === 0 || type === 3) return { body: zlib.unzipSync(body) };
    if (type === 1) return { body: lz4FrameDecode(body) };
    if (type === 2) {
      const zstd = (zlib as unknown as { zstdDecompressSync?: (b: Buffer) => Buffer }).zstdDecompressSync;
      return zstd ? { body: zstd(body) } : { body, compression: 'ZSTD' };
    }
    return { body, compression: `unknown(${type})` };
  } catch {
    // corrupt or mislabelled body: return the stored bytes, flagged, rather than failing the whole query
    return { body, compression: type === 1 ? 'LZ4' : type === 2 ? 'ZSTD' : 'ZLIB' };
  }
}

const LZ4_MAGIC = 0x184d2204;

/** LZ4 frame format (lz4_Frame_format.md): header, blocks until a zero size, optional checksums (not verified). */
export function lz4FrameDecode(src: Buffer): Buffer {
  const out = new Output(src.length * 3);
  let p = 0;
  while (p < src.length) {
    const magic = src.readUInt32LE(p);
    if ((magic & 0xfffffff0) === 0x184d2a50) {
      p += 8 + src.readUInt32LE(p + 4); // skippable frame
      continue;
    }
    if (magic !== LZ4_MAGIC) throw new MqError(MqErrorCode.UNAVAILABLE, `not an LZ4 frame (magic ${magic.toString(16)})`);
    const flg = src[p + 4];
    p += 6; // magic, FLG, BD
    if (flg & 0x08) p += 8; // content size
    if (flg & 0x01) p += 4; // dictionary id
    p += 1; // header checksum
    for (;;) {
      const size = src.readUInt32LE(p);
      p += 4;
      if (size === 0) break;
      const length = size & 0x7fffffff;
      const block = src.subarray(p, p + length);
      if (size & 0x80000000) out.write(block);
      else lz4BlockDecode(block, out);
      p += length + (flg & 0x10 ? 4 : 0); // block checksum
    }
    if (flg & 0x04) p += 4; // content checksum
  }
  return out.result();
}

/** One LZ4 block: sequences of literals + (offset, match length); matches may reach into earlier blocks. */
function lz4BlockDecode(src: Buffer, out: Output): void {
  let p = 0;
  while (p < src.length) {
    const token = src[p++];
    let literals = token >> 4;
    if (literals === 15) {
      let b: number;
      do literals += b = src[p++];
      while (b === 255);
    }
    out.write(src.subarray(p, p + literals));
    p += literals;
    if (p >= src.length) break; // the last sequence has literals only
    const offset = src[p] | (src[p + 1] << 8);
    p += 2;
    let match = (token & 15) + 4;
    if ((token & 15) === 15) {
      let b: number;
      do match += b = src[p++];
      while (b === 255);
    }
    if (offset === 0 || offset > out.length) throw new MqError(MqErrorCode.UNAVAILABLE, `bad LZ4 match offset ${offset}`);
    out.copyWithin(offset, match);
  }
}

class Output {
  private buf: Buffer;
  length = 0;
  constructor(capacity: number) {
    this.buf = Buffer.allocUnsafe(Math.max(capacity, 64));
  }
  private reserve(n: number): void {
    if (this.length + n <= this.buf.length) return;
    const next = Buffer.allocUnsafe(Math.max(this.buf.length * 2, this.length + n));
    this.buf.copy(next, 0, 0, this.length);
    this.buf = next;
  }
  write(bytes: Buffer): void {
    this.reserve(bytes.length);
    bytes.copy(this.buf, this.length);
    this.length += bytes.length;
  }
  /** Appends `n` bytes copied from `offset` back; byte by byte because source and target may overlap. */
  copyWithin(offset: number, n: number): void {
    this.reserve(n);
    const b = this.buf;
    let from = this.length - offset;
    for (let i = 0; i < n; i++) b[this.length++] = b[from++];
  }
  result(): Buffer {
    return Buffer.from(this.buf.subarray(0, this.length));
  }
}
