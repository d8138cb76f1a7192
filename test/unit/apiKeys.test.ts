import { describe, expect, it } from "vitest";
import { API_KEY_LENGTH, crc32, digestsEqual, hashApiKey, isWellFormedApiKey, mintApiKey } from "../../src/auth/apiKeys.js";

describe("API keys", () => {
  it("mints keys of the documented shape: fq_, 43 characters of entropy, 6 of checksum", () => {
    const { key, keyPrefix } = mintApiKey();
    expect(key).toMatch(/^fq_[0-9A-Za-z]{49}$/);
    expect(key.length).toBe(API_KEY_LENGTH);
    expect(key.startsWith(keyPrefix)).toBe(true);
    expect(keyPrefix).toHaveLength(9);
  });

  it("mints a different key every time", () => {
    const keys = new Set(Array.from({ length: 1000 }, () => mintApiKey().key));
    expect(keys.size).toBe(1000);
  });

  it("stores the SHA-256 digest of the key, never the key", () => {
    const { key, keyHash } = mintApiKey();
    expect(keyHash).toMatch(/^[0-9a-f]{64}$/);
    expect(keyHash).toBe(hashApiKey(key));
    expect(keyHash).not.toContain(key.slice(3));
  });

  it("recognises its own keys and refuses any one-character change by checksum", () => {
    const { key } = mintApiKey();
    expect(isWellFormedApiKey(key)).toBe(true);
    let refused = 0;
    for (let i = 3; i < key.length; i++) {
      const changed = key.slice(0, i) + (key[i] === "Z" ? "Y" : "Z") + key.slice(i + 1);
      if (!isWellFormedApiKey(changed)) refused++;
    }
    expect(refused).toBe(key.length - 3);
  });

  it("refuses keys of the wrong shape", () => {
    for (const key of ["", "fq_", "fq_short", `xx_${"a".repeat(49)}`, `fq_${"a".repeat(48)}!`, `fq_${"a".repeat(50)}`]) {
      expect(isWellFormedApiKey(key)).toBe(false);
    }
  });

  it("ends every key with the documented checksum: the CRC32 of the rest in 6 base62 digits", () => {
    const digits = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
    for (let i = 0; i < 200; i++) {
      const { key } = mintApiKey();
      const checksum = crc32(key.slice(0, -6));
      const expected = [5, 4, 3, 2, 1, 0].map((power) => digits[Math.floor(checksum / 62 ** power) % 62]).join("");
      expect(key.slice(-6)).toBe(expected);
      expect(isWellFormedApiKey(key)).toBe(true);
    }
  });

  it("computes the standard CRC32", () => {
    expect(crc32("123456789")).toBe(0xcbf43926);
  });

  it("compares digests in constant time and only equal ones as equal", () => {
    const a = hashApiKey("a");
    expect(digestsEqual(a, a)).toBe(true);
    expect(digestsEqual(a, hashApiKey("b"))).toBe(false);
    expect(digestsEqual(a, "abc")).toBe(false);
  });
});
