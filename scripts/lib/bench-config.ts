// The sensor map `npm run bench` runs thingd with. Its client is the owner, and the throughput
// phase sends far more than the default per-account rate (100/s × owner_factor 20 = 2,000/s):
// without its own limits the benchmark would measure `resource-constraint` refusals, not
// readouts. So it sets limits it never reaches (the rate limiter itself stays on the path).
import type { ProsodyServer } from "./local-prosody.js";
import { localXmppSection } from "./sensor-map-yaml.js";

export const BENCH_LIMITS = "limits:\n  requests_per_second: 1000000\n  burst: 1000000\n  owner_factor: 1\n";

export function benchSensorMap(server: Pick<ProsodyServer, "service" | "caFile">, resource: string, sensors: string): string {
  return `${localXmppSection(server as ProsodyServer, { resource })}access:\n  owner: reader@localhost\n${BENCH_LIMITS}state_dir: ./state-${resource}\n${sensors}`;
}
