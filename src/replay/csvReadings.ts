// Turns a CSV of measurements into readings: the first date or date-time column becomes
// recordedAt, every other numeric column a metric named after its header; text is skipped.
import { parse } from "csv-parse/sync";

export interface CsvReading {
  metric: string;
  value: number;
  recordedAt: string;
}

export interface CsvReadings {
  timeColumn: string;
  metrics: string[];
  skippedColumns: string[];
  rows: number;
  readings: CsvReading[];
}

const DATE_TIME = /^(\d{4})[-/](\d{2})[-/](\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(\.\d{1,9})?)?)?\s*(Z|[+-]\d{2}:?\d{2})?$/i;

/** Parses ISO-like dates and date-times; without an offset they are taken as UTC. */
export function parseCsvTime(text: string): Date | null {
  const match = DATE_TIME.exec(text.trim());
  if (!match) return null;
  const [, y, mo, d, h = "00", mi = "00", s = "00", frac = "", offset] = match;
  let zone = "Z";
  if (offset && offset.toUpperCase() !== "Z") zone = offset.includes(":") ? offset : `${offset.slice(0, 3)}:${offset.slice(3)}`;
  const millis = frac ? frac.slice(0, 4).padEnd(4, "0") : "";
  const date = new Date(`${y}-${mo}-${d}T${h}:${mi}:${s}${millis}${zone}`);
  if (Number.isNaN(date.getTime())) return null;
  // Date rolls 2021-02-30 over into March; refuse it instead (checked on the date as written).
  if (new Date(`${y}-${mo}-${d}T00:00:00Z`).getUTCDate() !== Number(d)) return null;
  return date;
}

// Decimal numbers only: Number() would also read "0x1A" as 26 and "Infinity" as a value.
const DECIMAL = /^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/;
const isNumber = (text: string) => DECIMAL.test(text) && Number.isFinite(Number(text));

export class CsvShapeError extends Error {}

export function readingsFromCsv(text: string): CsvReadings {
  const records: string[][] = parse(text, { skip_empty_lines: true, relax_column_count: true, bom: true, trim: true });
  if (records.length < 2) throw new CsvShapeError("the CSV needs a header row and at least one data row");
  const [header, ...rows] = records as [string[], ...string[][]];
  const filled = (column: number) => rows.map((row) => row[column] ?? "").filter((cell) => cell !== "");

  const timeIndex = header.findIndex((_, column) => {
    const cells = filled(column);
    return cells.length === rows.length && cells.every((cell) => parseCsvTime(cell) !== null);
  });
  if (timeIndex === -1) throw new CsvShapeError("no column holds a date or date-time in every row");

  const metricIndexes: number[] = [];
  const skippedColumns: string[] = [];
  header.forEach((name, column) => {
    if (column === timeIndex) return;
    const cells = filled(column);
    if (cells.length > 0 && cells.every(isNumber) && name.length >= 1 && name.length <= 64) metricIndexes.push(column);
    else skippedColumns.push(name);
  });
  if (metricIndexes.length === 0) throw new CsvShapeError("no numeric column to report");

  const readings: CsvReading[] = [];
  for (const row of rows) {
    const recordedAt = parseCsvTime(row[timeIndex]!)!.toISOString();
    for (const column of metricIndexes) {
      const cell = row[column] ?? "";
      if (cell !== "") readings.push({ metric: header[column]!, value: Number(cell), recordedAt });
    }
  }
  return { timeColumn: header[timeIndex]!, metrics: metricIndexes.map((i) => header[i]!), skippedColumns, rows: rows.length, readings };
}
