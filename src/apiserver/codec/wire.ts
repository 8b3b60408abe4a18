/**
 * A minimal protobuf wire-format reader: varints, fixed 32/64-bit words and
 * length-delimited fields over one byte range. It never reads outside its range;
 * every structural problem throws a {@link WireError} worded like gogo-protobuf's
 * generated unmarshalers (`unexpected EOF`, `proto: illegal wireType 7`, …).
 */

/** Protobuf wire types. */
export const WireType = { Varint: 0, Fixed64: 1, Bytes: 2, StartGroup: 3, EndGroup: 4, Fixed32: 5 } as const;

/** A structural error in protobuf bytes; callers turn it into a 400. */
export class WireError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'WireError';
  }
}

/** Reads protobuf fields from `buf[pos, end)`. */
export class WireReader {
  pos: number;

  constructor(
    readonly buf: Uint8Array,
    pos = 0,
    readonly end = buf.length,
  ) {
    this.pos = pos;
  }

  /** True when no bytes are left in the range. */
  done(): boolean {
    return this.pos >= this.end;
  }

  /**
   * Reads an unsigned varint of up to 64 bits as a number (exact below 2^53;
   * Kubernetes objects never carry larger values).
   */
  varint(): number {
    const [lo, hi] = this.varint64();
    return hi * 2 ** 32 + lo;
  }

  /** A varint read as Go's `int32(v)`: truncated to 32 bits, two's complement. */
  int32(): number {
    return this.varint64()[0] | 0;
  }

  /** A varint read as Go's `int64(v)`; exact within ±2^53. */
  int64(): number {
    const [lo, hi] = this.varint64();
    return (hi | 0) * 2 ** 32 + lo;
  }

  /** Reads a varint as two unsigned 32-bit halves `[low, high]`. */
  varint64(): [number, number] {
    const buf = this.buf;
    let lo = 0;
    let hi = 0;
    for (let i = 0; i < 10; i++) {
      if (this.pos >= this.end) throw new WireError('unexpected EOF');
      const b = buf[this.pos++]!;
      if (i < 4) lo |= (b & 0x7f) << (7 * i);
      else if (i === 4) {
        lo |= (b & 0x0f) << 28;
        hi = (b & 0x7f) >>> 4;
      } else hi |= (b & 0x7f) << (7 * i - 32);
      if (b < 0x80) return [lo >>> 0, hi >>> 0];
    }
    throw new WireError('proto: integer overflow');
  }

  /** A little-endian 32-bit word. */
  fixed32(): DataView {
    return this.view(4);
  }

  /** A little-endian 64-bit word. */
  fixed64(): DataView {
    return this.view(8);
  }

  /** The length prefix of a length-delimited field, checked against the range. */
  length(): number {
    const n = this.varint();
    if (n > Number.MAX_SAFE_INTEGER) throw new WireError('proto: negative length found during unmarshaling');
    if (this.pos + n > this.end) throw new WireError('unexpected EOF');
    return n;
  }

  /** The bytes of a length-delimited field (a view, not a copy). */
  bytes(): Uint8Array {
    const n = this.length();
    const out = this.buf.subarray(this.pos, this.pos + n);
    this.pos += n;
    return out;
  }

  /** A sub-reader over the next length-delimited field; advances past it. */
  sub(): WireReader {
    const n = this.length();
    const r = new WireReader(this.buf, this.pos, this.pos + n);
    this.pos += n;
    return r;
  }

  /** Reads a field key. Field number 0 is rejected as gogo does. */
  tag(message: string): { num: number; wire: number } {
    const key = this.varint();
    const wire = key % 8;
    const num = Math.floor(key / 8);
    if (wire === WireType.EndGroup) throw new WireError(`proto: ${message}: wiretype end group for non-group`);
    if (num <= 0 || num >= 2 ** 29) throw new WireError(`proto: ${message}: illegal tag ${num} (wire type ${wire})`);
    return { num, wire };
  }

  /** Skips one field value of the given wire type (groups included). */
  skip(wire: number): void {
    let depth = 0;
    for (;;) {
      switch (wire) {
        case WireType.Varint:
          this.varint();
          break;
        case WireType.Fixed64:
          this.view(8);
          break;
        case WireType.Bytes: {
          const n = this.length(); // before `this.pos +=`: length() moves pos
          this.pos += n;
          break;
        }
        case WireType.StartGroup:
          depth++;
          break;
        case WireType.EndGroup:
          if (depth === 0) throw new WireError('proto: unexpected end of group');
          depth--;
          break;
        case WireType.Fixed32:
          this.view(4);
          break;
        default:
          throw new WireError(`proto: illegal wireType ${wire}`);
      }
      if (depth === 0) return;
      const key = this.varint();
      wire = key % 8;
    }
  }

  private view(n: number): DataView {
    if (this.pos + n > this.end) throw new WireError('unexpected EOF');
    const v = new DataView(this.buf.buffer, this.buf.byteOffset + this.pos, n);
    this.pos += n;
    return v;
  }
}
