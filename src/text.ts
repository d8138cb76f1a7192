// Rules for text FleetQL stores or compares.

/**
 * Characters a name or metric may not hold: controls, line and paragraph separators, and
 * invisible format characters (bidirectional overrides, zero-width spaces) except the
 * zero-width joiner that emoji sequences need.
 */
export const CONTROL_CHARACTER = /[\p{Cc}\p{Zl}\p{Zp}]|(?!\u200D)\p{Cf}/u;
const LONE_SURROGATE = /\p{Cs}/u;

/** True when any string inside the value holds an unpaired UTF-16 surrogate. */
export function hasLoneSurrogate(value: unknown): boolean {
  const stack = [value];
  while (stack.length > 0) {
    const item = stack.pop();
    if (typeof item === "string") {
      if (LONE_SURROGATE.test(item)) return true;
    } else if (item !== null && typeof item === "object" && !(item instanceof Date)) {
      for (const child of Object.values(item)) stack.push(child);
    }
  }
  return false;
}
