/**
 * Modbus PDUs: decoding requests and building responses for the function codes a KubeEdge Modbus
 * mapper uses, per the MODBUS Application Protocol Specification V1.1b3:
 * FC1 Read Coils (§6.1), FC2 Read Discrete Inputs (§6.2), FC3 Read Holding Registers (§6.3),
 * FC4 Read Input Registers (§6.4), FC5 Write Single Coil (§6.5), FC6 Write Single Register (§6.6),
 * FC15 Write Multiple Coils (§6.11), FC16 Write Multiple Registers (§6.12). Checks follow the
 * spec's state diagrams: function code (exception 0x01), then quantity and format (0x03), then
 * addresses (0x02).
 */
import type { RegisterMap } from './register-map.ts';
import type { ModbusTable } from './modbus-point.ts';

export const ILLEGAL_FUNCTION = 0x01;
export const ILLEGAL_DATA_VALUE = 0x03;

export type ModbusRequest =
  | { fc: 1 | 2 | 3 | 4; table: ModbusTable; start: number; quantity: number }
  | { fc: 5 | 15; table: 'CoilRegister'; start: number; quantity: number; bits: boolean[] }
  | { fc: 6 | 16; table: 'HoldingRegister'; start: number; quantity: number; registers: number[] };

export type Decoded = { request: ModbusRequest } | { fc: number; exception: number };

const READ_TABLE: Record<1 | 2 | 3 | 4, ModbusTable> = {
  1: 'CoilRegister',
  2: 'DiscreteInputRegister',
  3: 'HoldingRegister',
  4: 'InputRegister',
};

/** Decodes a request PDU (function code and data, no unit id, no framing). */
export function decodeRequest(pdu: Buffer): Decoded {
  const fc = pdu[0] ?? 0;
  const bad = { fc, exception: ILLEGAL_DATA_VALUE };
  switch (fc) {
    case 1:
    case 2:
    case 3:
    case 4: {
      if (pdu.length !== 5) return bad;
      const start = pdu.readUInt16BE(1);
      const quantity = pdu.readUInt16BE(3);
      // §6.1/§6.2: 1..2000 bits; §6.3/§6.4: 1..125 registers.
      const max = fc <= 2 ? 2000 : 125;
      if (quantity < 1 || quantity > max) return bad;
      return { request: { fc, table: READ_TABLE[fc], start, quantity } };
    }
    case 5: {
      if (pdu.length !== 5) return bad;
      const value = pdu.readUInt16BE(3);
      // §6.5: 0xFF00 is ON, 0x0000 is OFF, anything else is illegal.
      if (value !== 0xff00 && value !== 0x0000) return bad;
      return {
        request: {
          fc,
          table: 'CoilRegister',
          start: pdu.readUInt16BE(1),
          quantity: 1,
          bits: [value === 0xff00],
        },
      };
    }
    case 6: {
      if (pdu.length !== 5) return bad;
      return {
        request: {
          fc,
          table: 'HoldingRegister',
          start: pdu.readUInt16BE(1),
          quantity: 1,
          registers: [pdu.readUInt16BE(3)],
        },
      };
    }
    case 15: {
      if (pdu.length < 6) return bad;
      const start = pdu.readUInt16BE(1);
      const quantity = pdu.readUInt16BE(3);
      const byteCount = pdu[5] ?? 0;
      // §6.11: 1..0x7B0 outputs, byte count = ceil(quantity / 8).
      if (
        quantity < 1 ||
        quantity > 0x7b0 ||
        byteCount !== Math.ceil(quantity / 8) ||
        pdu.length !== 6 + byteCount
      ) {
        return bad;
      }
      const bits: boolean[] = [];
      for (let i = 0; i < quantity; i++) bits.push((((pdu[6 + (i >> 3)] ?? 0) >> (i & 7)) & 1) === 1);
      return { request: { fc, table: 'CoilRegister', start, quantity, bits } };
    }
    case 16: {
      if (pdu.length < 6) return bad;
      const start = pdu.readUInt16BE(1);
      const quantity = pdu.readUInt16BE(3);
      const byteCount = pdu[5] ?? 0;
      // §6.12: 1..0x7B registers, byte count = 2 × quantity.
      if (quantity < 1 || quantity > 0x7b || byteCount !== quantity * 2 || pdu.length !== 6 + byteCount)
        return bad;
      const registers: number[] = [];
      for (let i = 0; i < quantity; i++) registers.push(pdu.readUInt16BE(6 + i * 2));
      return { request: { fc, table: 'HoldingRegister', start, quantity, registers } };
    }
    default:
      return { fc, exception: ILLEGAL_FUNCTION };
  }
}

/** Executes a decoded request and returns the response PDU (normal or exception). */
export function executeRequest(request: ModbusRequest, map: RegisterMap): Buffer {
  const { fc, start, quantity } = request;
  switch (request.fc) {
    case 1:
    case 2: {
      const result = map.readBits(request.table, start, quantity);
      if ('exception' in result) return exceptionPdu(fc, result.exception);
      const bytes = Buffer.alloc(Math.ceil(quantity / 8));
      result.ok.forEach((bit, i) => {
        if (bit) bytes[i >> 3] = (bytes[i >> 3] ?? 0) | (1 << (i & 7));
      });
      return Buffer.concat([Buffer.from([fc, bytes.length]), bytes]);
    }
    case 3:
    case 4: {
      const result = map.readRegisters(request.table, start, quantity);
      if ('exception' in result) return exceptionPdu(fc, result.exception);
      const out = Buffer.alloc(2 + quantity * 2);
      out[0] = fc;
      out[1] = quantity * 2;
      result.ok.forEach((r, i) => out.writeUInt16BE(r, 2 + i * 2));
      return out;
    }
    case 5:
    case 15: {
      const exception = map.writeBits(start, request.bits);
      if (exception !== undefined) return exceptionPdu(fc, exception);
      return request.fc === 5
        ? addressValue(fc, start, request.bits[0] ? 0xff00 : 0x0000)
        : addressValue(fc, start, quantity);
    }
    case 6:
    case 16: {
      const exception = map.writeRegisters(start, request.registers);
      if (exception !== undefined) return exceptionPdu(fc, exception);
      return request.fc === 6
        ? addressValue(fc, start, request.registers[0] ?? 0)
        : addressValue(fc, start, quantity);
    }
  }
}

/** §7: the function code with its high bit set, then the exception code. */
export function exceptionPdu(fc: number, code: number): Buffer {
  return Buffer.from([(fc | 0x80) & 0xff, code & 0xff]);
}

/** The FC5/FC6 echo and the FC15/FC16 response: function code, address, value or quantity. */
function addressValue(fc: number, address: number, value: number): Buffer {
  const out = Buffer.alloc(5);
  out[0] = fc;
  out.writeUInt16BE(address, 1);
  out.writeUInt16BE(value, 3);
  return out;
}
