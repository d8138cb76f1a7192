// Apollo's integration suite is written against @jest/globals; vitest provides the same API.
import { vi } from "vitest";

export { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, test } from "vitest";
export const jest = vi;
