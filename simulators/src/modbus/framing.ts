/**
 * Splitting a TCP byte stream into Modbus requests and wrapping responses, for the two transports:
 *
 * - `tcp`: the MBAP header of MODBUS Messaging on TCP/IP Implementation Guide V1.0b §3.1.3
 *   (transaction id, protocol id 0, length of what follows, unit id), then the PDU.
 * - `rtu-over-tcp`: RTU frames (unit id, PDU, CRC low byte first; MODBUS over Serial Line V1.02
 *   §2.5.1) sent over TCP as Modbus gateways and many mappers do. TCP has no 3.5-character
 *   silence to end a frame, so the request length is derived from the function code, as RTU
 *   parsers do; a frame with a bad CRC is discarded with everything buffered after it (§2.5.1.1:
 *   the receiver ignores frames with a wrong CRC).
 */
import { crc16 } from './crc16.ts';
import type { ModbusTransport } from './modbus-point.ts';

export type Frame = { unitId: number; pdu: Buffer; transactionId: number };

/** Frames found so far, and whether the stream is beyond repair (the connection should close). */
export type PushResult = { frames: Frame[]; corrupt: boolean };

export interface FrameCodec {
  push(chunk: Buffer): PushResult;
  encode(request: Frame, responsePdu: Buffer): Buffer;
}

export function frameCodec(transport: ModbusTransport): FrameCodec {
  return transport === 'tcp' ? new MbapCodec() : new RtuCodec();
}

/** MBAP header length: transaction id, protocol id, length (2 bytes each) and the unit id. */
const MBAP_HEADER = 7;
/** Largest PDU (253 bytes, Application Protocol V1.1b3 §4.1) plus the unit id. */
const MAX_MBAP_LENGTH = 254;

class MbapCodec implements FrameCodec {
  private buffer = Buffer.alloc(0);

  push(chunk: Buffer): PushResult {
    this.buffer = Buffer.concat([this.buffer, chunk]);
    const frames: Frame[] = [];
    while (this.buffer.length >= MBAP_HEADER) {
      const protocolId = this.buffer.readUInt16BE(2);
      const length = this.buffer.readUInt16BE(4);
      // Not Modbus (protocol id 0) or an impossible length: nothing later in the stream can be
      // trusted to be aligned, so give up on the connection.
      if (protocolId !== 0 || length < 2 || length > MAX_MBAP_LENGTH) return { frames, corrupt: true };
      if (this.buffer.length < 6 + length) break;
      frames.push({
        transactionId: this.buffer.readUInt16BE(0),
        unitId: this.buffer[6] ?? 0,
        pdu: Buffer.from(this.buffer.subarray(MBAP_HEADER, 6 + length)),
      });
      this.buffer = this.buffer.subarray(6 + length);
    }
    return { frames, corrupt: false };
  }

  encode(request: Frame, responsePdu: Buffer): Buffer {
    const out = Buffer.alloc(MBAP_HEADER + responsePdu.length);
    out.writeUInt16BE(request.transactionId, 0);
    out.writeUInt16BE(0, 2);
    out.writeUInt16BE(responsePdu.length + 1, 4);
    out[6] = request.unitId;
    responsePdu.copy(out, MBAP_HEADER);
    return out;
  }
}

/** Longest RTU frame: unit id, 253-byte PDU, CRC (Serial Line V1.02 §2.5.1). */
const MAX_RTU_FRAME = 256;

class RtuCodec implements FrameCodec {
  private buffer = Buffer.alloc(0);

  push(chunk: Buffer): PushResult {
    this.buffer = Buffer.concat([this.buffer, chunk]);
    const frames: Frame[] = [];
    while (this.buffer.length >= 4) {
      const length = requestLength(this.buffer);
      if (length === undefined) break; // need more bytes to know
      if (length > MAX_RTU_FRAME) {
        this.buffer = Buffer.alloc(0);
        break;
      }
      if (this.buffer.length < length) break;
      const frame = this.buffer.subarray(0, length);
      const expected = crc16(frame.subarray(0, length - 2));
      if (frame.readUInt16LE(length - 2) !== expected) {
        // Lost alignment: drop what is buffered and wait for the client's next request.
        this.buffer = Buffer.alloc(0);
        break;
      }
      frames.push({
        transactionId: 0,
        unitId: frame[0] ?? 0,
        pdu: Buffer.from(frame.subarray(1, length - 2)),
      });
      this.buffer = this.buffer.subarray(length);
    }
    return { frames, corrupt: false };
  }

  encode(request: Frame, responsePdu: Buffer): Buffer {
    const out = Buffer.alloc(1 + responsePdu.length + 2);
    out[0] = request.unitId;
    responsePdu.copy(out, 1);
    out.writeUInt16LE(crc16(out.subarray(0, out.length - 2)), out.length - 2);
    return out;
  }
}

/**
 * The length of the RTU request at the start of `b` (unit id to CRC), from its function code;
 * undefined while the byte count of FC15/FC16 has not arrived. An unknown function code is taken
 * to fill what has arrived, so it still gets its Illegal Function exception.
 */
function requestLength(b: Buffer): number | undefined {
  const fc = b[1] ?? 0;
  if (fc >= 1 && fc <= 6) return 8;
  if (fc === 15 || fc === 16) return b.length < 7 ? undefined : 9 + (b[6] ?? 0);
  return b.length;
}
