// API keys: "fq_" + 43 base62 characters of entropy (256 bits) + 6 base62 characters of
// CRC32 over the rest. The checksum lets FleetQL (and secret scanners) refuse a mistyped
// or made-up key without a database look-up. Only the SHA-256 digest is ever stored.
import { createHash, randomBytes, timingSafeEqual } from "node:crypto";

export const API_KEY_PREFIX = "fq_";
const BASE62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
const ENTROPY_BYTES = 32;
const ENTROPY_CHARS = 43; // ceil(256 / log2(62))
const CHECKSUM_CHARS = 6; // ceil(32 / log2(62))
export const API_KEY_LENGTH = API_KEY_PREFIX.length + ENTROPY_CHARS + CHECKSUM_CHARS;
const DISPLAY_PREFIX_CHARS = API_KEY_PREFIX.length + 6;
const KEY_SHAPE = new RegExp(`^${API_KEY_PREFIX}[0-9A-Za-z]{${ENTROPY_CHARS + CHECKSUM_CHARS}}$`);

function toBase62(value: bigint, width: number): string {
  let out = "";
  for (let i = 0; i < width; i++) {
    out = BASE62[Number(value % 62n)] + out;
    value /= 62n;
  }
  return out;
}

const CRC32_TABLE = (() => {
  const table = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    table[n] = c >>> 0;
  }
  return table;
})();

function crc32Of(length: number, byteAt: (index: number) => number): number {
  let crc = 0xffffffff;
  for (let i = 0; i < length; i++) crc = CRC32_TABLE[(crc ^ byteAt(i)) & 0xff]! ^ (crc >>> 8);
  return (crc ^ 0xffffffff) >>> 0;
}

/** The CRC32 of the text's UTF-8 bytes. */
export function crc32(text: string): number {
  const bytes = Buffer.from(text, "utf8");
  return crc32Of(bytes.length, (i) => bytes[i]!);
}

/** The checksum characters of a key's body, which is ASCII (its shape is checked first). */
function checksumOf(body: string): string {
  // Per device call: character codes (ASCII is its own UTF-8) and number arithmetic, not a
  // Buffer and BigInts.
  let value = crc32Of(body.length, (i) => body.charCodeAt(i));
  let out = "";
  for (let i = 0; i < CHECKSUM_CHARS; i++) {
    out = BASE62[value % 62] + out;
    value = Math.floor(value / 62);
  }
  return out;
}

export interface MintedKey {
  /** The plain key: shown to the owner once, never stored. */
  key: string;
  keyHash: string;
  keyPrefix: string;
}

export function mintApiKey(): MintedKey {
  const entropy = toBase62(BigInt(`0x${randomBytes(ENTROPY_BYTES).toString("hex")}`), ENTROPY_CHARS);
  const body = API_KEY_PREFIX + entropy;
  const key = body + checksumOf(body);
  return { key, keyHash: hashApiKey(key), keyPrefix: key.slice(0, DISPLAY_PREFIX_CHARS) };
}

export function hashApiKey(key: string): string {
  return createHash("sha256").update(key).digest("hex");
}

/** True when the key has FleetQL's shape and a matching checksum: a cheap, offline pre-check. */
export function isWellFormedApiKey(key: string): boolean {
  if (key.length !== API_KEY_LENGTH || !KEY_SHAPE.test(key)) return false;
  const body = key.slice(0, -CHECKSUM_CHARS);
  return checksumOf(body) === key.slice(-CHECKSUM_CHARS);
}

export function digestsEqual(a: string, b: string): boolean {
  const left = Buffer.from(a, "hex");
  const right = Buffer.from(b, "hex");
  return left.length === right.length && timingSafeEqual(left, right);
}
