// Relay-style keyset pagination. A cursor is an opaque, base64url-encoded position
// (a timestamp and a tie-breaking id), so pages stay stable while rows are appended.
import { badUserInput } from "./errors.js";
import { hasUnstorableText } from "./text.js";
import { isStorableInstant } from "./instants.js";

export const MAX_PAGE_SIZE = 500;

export interface Position {
  at: Date;
  id: string;
}

export function encodeCursor(position: Position): string {
  return Buffer.from(JSON.stringify([position.at.getTime(), position.id])).toString("base64url");
}

export function decodeCursor(cursor: string | null | undefined): Position | null {
  if (cursor === null || cursor === undefined) return null;
  try {
    const parsed: unknown = JSON.parse(Buffer.from(cursor, "base64url").toString("utf8"));
    if (Array.isArray(parsed) && parsed.length === 2 && Number.isSafeInteger(parsed[0]) && typeof parsed[1] === "string" && !hasUnstorableText(parsed[1])) {
      if (isStorableInstant(parsed[0] as number)) return { at: new Date(parsed[0] as number), id: parsed[1] };
    }
  } catch {
    // fall through to the one error below
  }
  throw badUserInput("Invalid cursor in `after`.");
}

export function checkPageSize(first: number | null | undefined, fallback: number): number {
  const size = first ?? fallback;
  if (!Number.isInteger(size) || size < 1 || size > MAX_PAGE_SIZE) {
    throw badUserInput(`\`first\` must be from 1 to ${MAX_PAGE_SIZE}.`);
  }
  return size;
}

export interface Connection<T> {
  edges: { cursor: string; node: T }[];
  pageInfo: { hasNextPage: boolean; endCursor: string | null };
}

/** Builds a page from rows fetched with one extra row, which only says whether more exist. */
export function toConnection<T>(rows: T[], size: number, positionOf: (row: T) => Position): Connection<T> {
  const page = rows.slice(0, size);
  const edges = page.map((node) => ({ cursor: encodeCursor(positionOf(node)), node }));
  return { edges, pageInfo: { hasNextPage: rows.length > size, endCursor: edges.at(-1)?.cursor ?? null } };
}
