/**
 * The CRC of Modbus RTU frames (MODBUS over Serial Line Specification V1.02 §6.2.2 and Appendix B):
 * CRC-16 with the reflected polynomial 0xA001, initial value 0xFFFF, sent low byte first.
 */
export function crc16(bytes: Uint8Array): number {
  let crc = 0xffff;
  for (const b of bytes) {
    crc ^= b;
    for (let i = 0; i < 8; i++) crc = crc & 1 ? (crc >>> 1) ^ 0xa001 : crc >>> 1;
  }
  return crc;
}
