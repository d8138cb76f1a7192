// Prometheus metrics, served at GET /metrics. Each server has a registry of its own (tests
// run several in one process). Labels are bounded by the schema, never by what a client
// sends: an operation is named by its root field, not by the client's operationName.
import { collectDefaultMetrics, Counter, Histogram, Registry } from "prom-client";

// The process's metrics (memory, CPU, event loop) exist once per process, however many servers
// it runs (the tests run several): one registry, created on first use.
let processMetrics: Registry | null = null;
function processRegistry(): Registry {
  if (!processMetrics) {
    processMetrics = new Registry();
    processMetrics.setDefaultLabels({ service: "fleetql" });
    collectDefaultMetrics({ register: processMetrics, prefix: "fleetql_" });
  }
  return processMetrics;
}

export type KeyVerificationResult = "valid" | "invalid" | "missing" | "slowed";

export class FleetMetrics {
  readonly registry = new Registry();
  readonly requests = new Counter({
    name: "fleetql_graphql_requests_total",
    help: "GraphQL requests by operation (root field) and outcome code (OK when no error).",
    labelNames: ["operation", "outcome"] as const,
    registers: [this.registry],
  });
  readonly duration = new Histogram({
    name: "fleetql_graphql_request_duration_seconds",
    help: "Time from the request's arrival at Apollo Server to its answer, by operation.",
    labelNames: ["operation"] as const,
    buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
    registers: [this.registry],
  });
  readonly readingsAccepted = new Counter({
    name: "fleetql_readings_accepted_total",
    help: "Readings stored (a duplicate batch stores none).",
    registers: [this.registry],
  });
  readonly keyVerifications = new Counter({
    name: "fleetql_api_key_verifications_total",
    help: "Device key checks by result: valid, invalid (refused), missing (empty key), slowed (address over its refused-key budget).",
    labelNames: ["result"] as const,
    registers: [this.registry],
  });

  readonly keyLookups = new Counter({
    name: "fleetql_api_key_lookups_total",
    help: "Device keys looked up in the database: a key's first use on this instance, or its first after a change; the rest are answered from memory.",
    registers: [this.registry],
  });

  constructor() {
    this.registry.setDefaultLabels({ service: "fleetql" });
  }

  /** The server's own metrics followed by the process's. */
  async text(): Promise<string> {
    return (await this.registry.metrics()) + (await processRegistry().metrics());
  }

  get contentType(): string {
    return this.registry.contentType;
  }

  keyChecked(result: KeyVerificationResult): void {
    this.keyVerifications.inc({ result });
  }
}
