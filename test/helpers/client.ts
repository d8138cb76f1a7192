// A plain GraphQL-over-HTTP client: tests see exactly what a device or a person would.
import { randomUUID } from "node:crypto";
import { expect } from "vitest";

export interface GqlResponse<T = any> {
  status: number;
  headers: Headers;
  body: { data?: T | null; errors?: { message: string; extensions?: { code?: string; [k: string]: unknown }; path?: unknown[] }[] };
}

export interface GqlOptions {
  token?: string;
  headers?: Record<string, string>;
}

export async function gql<T = any>(url: string, query: string, variables?: Record<string, unknown>, options: GqlOptions = {}): Promise<GqlResponse<T>> {
  const response = await fetch(url, {
    method: "POST",
    headers: {
      "content-type": "application/json",
      ...(options.token && { authorization: `Bearer ${options.token}` }),
      ...options.headers,
    },
    body: JSON.stringify({ query, variables }),
  });
  const text = await response.text();
  let body;
  try {
    body = JSON.parse(text);
  } catch {
    throw new Error(`non-JSON response (${response.status}): ${text.slice(0, 200)}`);
  }
  return { status: response.status, headers: response.headers, body };
}

/** Asserts the response failed with exactly this code and HTTP status. */
export function expectError(response: GqlResponse, code: string, status: number): void {
  expect(response.body.errors?.[0]?.extensions?.code, JSON.stringify(response.body)).toBe(code);
  expect(response.status).toBe(status);
  const text = JSON.stringify(response.body);
  expect(text).not.toMatch(/stacktrace|at .+\.ts:\d+|SQLITE|prisma/i);
}

export function expectData<T>(response: GqlResponse<T>): T {
  expect(response.body.errors, JSON.stringify(response.body.errors)).toBeUndefined();
  expect(response.status).toBe(200);
  return response.body.data as T;
}

export const PASSWORD = "correct horse battery staple";

export interface TestUser {
  id: string;
  email: string;
  password: string;
  token: string;
}

export async function signUpUser(url: string): Promise<TestUser> {
  const email = `owner-${randomUUID()}@example.com`;
  const data = expectData(
    await gql(url, `mutation($e: EmailAddress!, $p: String!) { signUp(email: $e, password: $p) { token user { id } } }`, { e: email, p: PASSWORD }),
  );
  return { id: data.signUp.user.id, email, password: PASSWORD, token: data.signUp.token };
}

export interface TestDevice {
  id: string;
  name: string;
  apiKey: string;
}

export async function addDevice(url: string, token: string, name = `device-${randomUUID().slice(0, 8)}`): Promise<TestDevice> {
  const data = expectData(
    await gql(url, `mutation($n: String!) { addDevice(name: $n) { apiKey device { id name } } }`, { n: name }, { token }),
  );
  return { id: data.addDevice.device.id, name: data.addDevice.device.name, apiKey: data.addDevice.apiKey };
}

export const HEARTBEAT = `mutation($k: String!, $s: JSON) { heartbeat(apiKey: $k, status: $s) { deviceId serverTime } }`;
export const REPORT = `mutation($k: String!, $r: [ReadingInput!]!, $b: String) { reportReadings(apiKey: $k, readings: $r, batchId: $b) { accepted duplicate } }`;
