// Rules for text FleetQL stores or compares.

/**
 * Characters a name or metric may not hold: controls, line and paragraph separators, and
 * invisible format characters (bidirectional overrides, zero-width spaces) except the
 * zero-width joiner that emoji sequences need.
 */
export const CONTROL_CHARACTER = /[\p{Cc}\p{Zl}\p{Zp}]|(?!\u200D)\p{Cf}/u;
/** Text as FleetQL compares it: trimmed and in Unicode NFC, so that what looks the same is the same. */
export const normalizeText = (text: string) => text.normalize("NFC").trim();

/**
 * True when the text shows something: not only spaces, joiners and other invisible characters
 * (among them the Hangul fillers and the blank Braille pattern, which Unicode counts as letters
 * and symbols).
 */
export const hasVisibleCharacter = (text: string) => /[^\p{Z}\p{Cc}\p{Cf}\s\u115F\u1160\u3164\uFFA0\u2800]/u.test(text);

// Unpaired UTF-16 surrogates (JSON allows "\ud800"; no database stores them faithfully) and
// NUL, which PostgreSQL's text type cannot hold at all.
const UNSTORABLE = /[\p{Cs}\u0000]/u;
const LONE_SURROGATE = /\p{Cs}/u;

/**
 * True when any string inside the value holds a character no database here can store.
 * `allowNul` for text that is never stored as it is (hashed, or escaped inside JSON).
 */
export function hasUnstorableText(value: unknown, allowNul = false): boolean {
  const unstorable = allowNul ? LONE_SURROGATE : UNSTORABLE;
  const stack = [value];
  while (stack.length > 0) {
    const item = stack.pop();
    if (typeof item === "string") {
      if (unstorable.test(item)) return true;
    } else if (item !== null && typeof item === "object" && !(item instanceof Date)) {
      // Keys too: a JSON object's keys are stored as much as its values.
      for (const key of Object.keys(item)) stack.push(key, (item as Record<string, unknown>)[key]);
    }
  }
  return false;
}
