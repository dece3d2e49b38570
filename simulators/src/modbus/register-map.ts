/**
 * The address space of one Modbus unit: which point owns which address in each table, and reads
 * and writes of address ranges against the points' current values. Addresses are checked the way
 * the MODBUS Application Protocol Specification V1.1b3 §6 wants: a request whose range includes
 * an address no point occupies gets exception 0x02 (Illegal Data Address), as does a write to a
 * read-only point.
 */
import { InvalidInputError } from '@edgeproof/core';
import type { PointStore } from '../points/point-store.ts';
import { decodeRegisters, encodeRegisters, toBoolean } from './codec.ts';
import {
  dataTypeOf,
  isWritable,
  widthOf,
  MODBUS_TABLES,
  type ModbusPoint,
  type ModbusTable,
} from './modbus-point.ts';

/** Exception 0x02, Illegal Data Address (§7). */
export const ILLEGAL_DATA_ADDRESS = 0x02;

type Slot = { point: ModbusPoint; index: number };

/** A read result or a Modbus exception code. */
export type Access<T> = { ok: T } | { exception: number };

export class RegisterMap {
  private readonly tables = new Map<ModbusTable, Map<number, Slot>>();
  private readonly store: PointStore;
  readonly points: readonly ModbusPoint[];

  /** @throws InvalidInputError when two points overlap or a point runs past address 65535. */
  constructor(points: readonly ModbusPoint[], store: PointStore) {
    this.points = points;
    this.store = store;
    for (const t of MODBUS_TABLES) this.tables.set(t, new Map());
    for (const point of points) {
      const table = this.tables.get(point.register);
      if (!table)
        throw new InvalidInputError(`point ${point.name}: unknown register ${String(point.register)}`);
      const width = widthOf(point);
      if (point.address + width - 1 > 0xffff) {
        throw new InvalidInputError(
          `point ${point.name}: ${dataTypeOf(point)} at address ${point.address} runs past the last address 65535`,
        );
      }
      for (let i = 0; i < width; i++) {
        const other = table.get(point.address + i);
        if (other) {
          throw new InvalidInputError(
            `points ${other.point.name} and ${point.name} overlap at ${point.register} address ${point.address + i}`,
          );
        }
        table.set(point.address + i, { point, index: i });
      }
    }
  }

  /** Names of the points a request on `table` [start, start+quantity) touches. */
  touched(table: ModbusTable, start: number, quantity: number): string[] {
    const slots = this.tables.get(table);
    const names = new Set<string>();
    for (let a = start; a < start + quantity; a++) {
      const s = slots?.get(a);
      if (s) names.add(s.point.name);
    }
    return [...names];
  }

  /** FC1/FC2: the bits of [start, start+quantity). */
  readBits(table: ModbusTable, start: number, quantity: number): Access<boolean[]> {
    const slots = this.slots(table, start, quantity);
    if (!slots) return { exception: ILLEGAL_DATA_ADDRESS };
    return { ok: slots.map((s) => toBoolean(this.store.value(s.point.name))) };
  }

  /** FC3/FC4: the registers of [start, start+quantity); a range may cut a multi-register value. */
  readRegisters(table: ModbusTable, start: number, quantity: number): Access<number[]> {
    const slots = this.slots(table, start, quantity);
    if (!slots) return { exception: ILLEGAL_DATA_ADDRESS };
    const encoded = new Map<string, number[]>();
    return {
      ok: slots.map((s) => {
        let regs = encoded.get(s.point.name);
        if (!regs) {
          regs = encodeRegisters(s.point, this.store.value(s.point.name));
          encoded.set(s.point.name, regs);
        }
        return regs[s.index] ?? 0;
      }),
    };
  }

  /** FC5/FC15: writes coils; nothing is written unless every address is a writable coil. */
  writeBits(start: number, bits: readonly boolean[]): number | undefined {
    const slots = this.slots('CoilRegister', start, bits.length);
    if (!slots || slots.some((s) => !isWritable(s.point))) return ILLEGAL_DATA_ADDRESS;
    slots.forEach((s, i) => this.store.write(s.point.name, bits[i] ?? false));
    return undefined;
  }

  /**
   * FC6/FC16: writes holding registers. A write covering part of a multi-register value changes
   * only those registers of the current encoding (as on a real device); the point then holds the
   * decoded result.
   */
  writeRegisters(start: number, registers: readonly number[]): number | undefined {
    const slots = this.slots('HoldingRegister', start, registers.length);
    if (!slots || slots.some((s) => !isWritable(s.point))) return ILLEGAL_DATA_ADDRESS;
    const pending = new Map<string, { point: ModbusPoint; regs: number[] }>();
    slots.forEach((s, i) => {
      let entry = pending.get(s.point.name);
      if (!entry) {
        entry = { point: s.point, regs: encodeRegisters(s.point, this.store.value(s.point.name)) };
        pending.set(s.point.name, entry);
      }
      entry.regs[s.index] = registers[i] ?? 0;
    });
    for (const { point, regs } of pending.values())
      this.store.write(point.name, decodeRegisters(point, regs));
    return undefined;
  }

  /** The slots of a range, or undefined when any address in it is unmapped. */
  private slots(table: ModbusTable, start: number, quantity: number): Slot[] | undefined {
    const map = this.tables.get(table);
    const out: Slot[] = [];
    for (let a = start; a < start + quantity; a++) {
      const s = map?.get(a);
      if (!s) return undefined;
      out.push(s);
    }
    return out;
  }
}
