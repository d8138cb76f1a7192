// PostgreSQL may abort a transaction that collided with another (a deadlock, or a
// serialization failure) so that the other can go on; run again, it succeeds. SQLite
// serializes writes and never does this.

/** Prisma's code for a write conflict or deadlock, and PostgreSQL's own codes for them. */
const CONFLICT_CODES = new Set(["P2034", "40P01", "40001"]);

export function isTransactionConflict(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === "string" && CONFLICT_CODES.has(code);
}

/** Runs a transaction, running it again (up to three times in all) when it lost a conflict. */
export async function retryingConflicts<T>(transaction: () => Promise<T>): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await transaction();
    } catch (error) {
      if (attempt >= 3 || !isTransactionConflict(error)) throw error;
      await new Promise((resolve) => setTimeout(resolve, 5 * attempt + Math.random() * 10));
    }
  }
}
