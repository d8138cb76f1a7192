// graphql-scalars' DateTime, with a fast path for the form devices send by the hundred in a
// reading batch (`2026-12-04T07:10:41.123Z`, what toISOString writes). graphql-scalars runs
// four regular expressions and two Date parses per value: a fifth of a 500-reading call.
// The fast path accepts only strings graphql-scalars accepts, and makes the same Date of
// them; anything else (offsets, lower case, leap seconds, years before 100, errors) goes to
// graphql-scalars itself, so its rules and its messages stay the contract.
import { GraphQLScalarType } from "graphql";
import { DateTimeResolver } from "graphql-scalars";

const UTC_DATE_TIME = /^(\d{4})-(\d\d)-(\d\d)T(\d\d):(\d\d):(\d\d)(?:\.(\d{1,3}))?Z$/;
const DAYS_IN_MONTH = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

const isLeapYear = (year: number) => (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0;

/** The instant a canonical UTC date-time names, or null to let graphql-scalars decide. */
export function parseUtcDateTime(text: string): Date | null {
  const parts = UTC_DATE_TIME.exec(text);
  if (!parts) return null;
  const year = Number(parts[1]);
  const month = Number(parts[2]);
  const day = Number(parts[3]);
  const hour = Number(parts[4]);
  const minute = Number(parts[5]);
  const second = Number(parts[6]);
  // Date.UTC reads years 0-99 as 1900-1999.
  if (year < 100 || month < 1 || month > 12 || day < 1 || hour > 23 || minute > 59 || second > 59) return null;
  const daysInMonth = month === 2 && isLeapYear(year) ? 29 : DAYS_IN_MONTH[month - 1]!;
  if (day > daysInMonth) return null;
  const fraction = parts[7];
  const millisecond = fraction === undefined ? 0 : Number(fraction.padEnd(3, "0"));
  return new Date(Date.UTC(year, month - 1, day, hour, minute, second, millisecond));
}

const scalarsParseValue = DateTimeResolver.parseValue.bind(DateTimeResolver);

export const DateTimeScalar = new GraphQLScalarType({
  ...DateTimeResolver.toConfig(),
  parseValue(value: unknown) {
    return (typeof value === "string" && parseUtcDateTime(value)) || scalarsParseValue(value);
  },
});
