// Apollo's integration suite is written against @jest/globals; vitest provides the same API,
// except for hooks in jest's callback style (`afterEach((done) => …)`), turned into promises here.
import { afterAll as vAfterAll, afterEach as vAfterEach, beforeAll as vBeforeAll, beforeEach as vBeforeEach, vi } from "vitest";

export { describe, expect, it, test } from "vitest";
export const jest = vi;

type Hook = (...args: any[]) => unknown; // jest hooks take either no argument or a done callback

function withoutDoneCallback(fn: Hook): () => unknown {
  if (fn.length === 0) return fn;
  return () => new Promise<void>((resolve, reject) => fn((error?: unknown) => (error ? reject(error) : resolve())));
}

export const afterAll = (fn: Hook, timeout?: number) => vAfterAll(withoutDoneCallback(fn), timeout);
export const afterEach = (fn: Hook, timeout?: number) => vAfterEach(withoutDoneCallback(fn), timeout);
export const beforeAll = (fn: Hook, timeout?: number) => vBeforeAll(withoutDoneCallback(fn), timeout);
export const beforeEach = (fn: Hook, timeout?: number) => vBeforeEach(withoutDoneCallback(fn), timeout);
