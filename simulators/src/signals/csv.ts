/**
 * CSV recordings for the replay signal: rows of `time,value`, time in seconds (fractions allowed),
 * ascending; an optional header row (any non-numeric first row) names the columns, and then the
 * columns called `time` and `value` are used wherever they are. `#` starts a comment line. The
 * first row's time is the recording's zero.
 */
import { readFileSync } from 'node:fs';
import { errorMessage } from '@edgeproof/core';
import { ConfigError, type ConfigIssue } from '../config/config-error.ts';
import type { ReplaySignal } from './signal-model.ts';

/** @throws ConfigError naming the file and line of the first bad row. */
export function parseCsvSamples(text: string, source: string): ReplaySignal['samples'] {
  const fail = (line: number | undefined, message: string): never => {
    const issue: ConfigIssue = { source, field: '', message, ...(line !== undefined ? { line } : {}) };
    throw new ConfigError([issue]);
  };
  let timeCol = 0;
  let valueCol = 1;
  let seenRow = false;
  const rows: { at: number; value: number }[] = [];
  const lines = text.split(/\r?\n/);
  lines.forEach((raw, i) => {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) return;
    const cells = line.split(/[,;\t]/).map((c) => c.trim());
    if (!seenRow) {
      seenRow = true;
      if (cells.some((c) => c !== '' && !Number.isFinite(Number(c)))) {
        const names = cells.map((c) => c.toLowerCase());
        timeCol = names.indexOf('time');
        valueCol = names.indexOf('value');
        if (timeCol < 0 || valueCol < 0) {
          fail(i + 1, `header ${JSON.stringify(line)} must name a "time" and a "value" column`);
        }
        return;
      }
    }
    const time = Number(cells[timeCol]);
    const value = Number(cells[valueCol]);
    if (cells[timeCol] === undefined || cells[timeCol] === '' || !Number.isFinite(time)) {
      fail(i + 1, `time ${JSON.stringify(cells[timeCol] ?? '')} is not a number of seconds`);
    }
    if (cells[valueCol] === undefined || cells[valueCol] === '' || !Number.isFinite(value)) {
      fail(i + 1, `value ${JSON.stringify(cells[valueCol] ?? '')} is not a number`);
    }
    const previous = rows[rows.length - 1];
    const at = time * 1000;
    if (previous && at < previous.at) fail(i + 1, `time ${time} goes backwards; rows must be in time order`);
    rows.push({ at, value });
  });
  if (rows.length === 0) fail(undefined, 'holds no time,value rows');
  const zero = rows[0]?.at ?? 0;
  return rows.map((r) => ({ at: r.at - zero, value: r.value }));
}

/** Reads and parses a CSV file. @throws ConfigError (unreadable file or bad rows). */
export function readCsvSamples(file: string): ReplaySignal['samples'] {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new ConfigError([{ source: file, field: '', message: `cannot read: ${errorMessage(err)}` }]);
  }
  return parseCsvSamples(text, file);
}
