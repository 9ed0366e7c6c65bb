// The e2e start-up every suite repeats: a real Prosody on loopback with the test users and the
// registry component, the test Thing Registry, a temp dir with the password file and the sensor
// map, and the real thingd process, registered. And the matching teardown for afterAll.
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { startProsody, type ProsodyServer } from "../../scripts/lib/local-prosody.js";
import { startRegistry, type TestRegistry } from "../../scripts/lib/test-registry.js";
import { runThingd, type AgentProcess } from "./agent-process.js";
import { ClientPool } from "./clients.js";

export interface ThingStack {
  server: ProsodyServer;
  registry: TestRegistry;
  agent: AgentProcess;
  dir: string;
}

export interface ThingStackOptions {
  /** Accounts on the server, each with the password `<user>-pw` ("thing" is the Thing's). */
  users: readonly string[];
  /** mkdtemp prefix, e.g. "thingd-e2e-". */
  tmpPrefix: string;
  /** The sensor map, written to <dir>/sensors.yaml; `passwordFile: "./secret"` holds thing-pw. */
  sensorMap(server: ProsodyServer, dir: string): string;
  /** Runs in the new dir before thingd starts; what it returns is runThingd's `wrap`. */
  prepare?(dir: string): Promise<string[] | void>;
}

/** Starts it all; if a step fails, stops what had started (the caller never sees it) and rethrows. */
export async function startThingStack(o: ThingStackOptions): Promise<ThingStack> {
  const started: Partial<ThingStack> = {};
  try {
    const server = (started.server = await startProsody({
      users: o.users.map((u) => ({ user: u, password: `${u}-pw` })),
      components: [{ domain: "registry.localhost", secret: "registry-secret" }],
    }));
    const registry = (started.registry = await startRegistry(server, { domain: "registry.localhost", secret: "registry-secret" }));
    const dir = (started.dir = await mkdtemp(path.join(tmpdir(), o.tmpPrefix)));
    const wrap = (await o.prepare?.(dir)) ?? [];
    await writeFile(path.join(dir, "secret"), "thing-pw\n");
    await writeFile(path.join(dir, "sensors.yaml"), o.sensorMap(server, dir));
    const agent = (started.agent = runThingd(["run", "-c", path.join(dir, "sensors.yaml"), "--log-level", "debug"], {}, wrap));
    await agent.waitForLog((l) => l.msg === "registered with the Thing Registry", 30_000);
    return { server, registry, agent, dir };
  } catch (err) {
    await tearDown({ agent: started.agent, components: [started.registry], server: started.server, dir: started.dir }).catch(() => {});
    throw err;
  }
}

export interface TearDownParts {
  /** A pool, or single clients (undefined ones are skipped). */
  clients?: ClientPool | ReadonlyArray<{ stop(): Promise<unknown> } | undefined>;
  agent?: AgentProcess | undefined;
  /** Components and other helpers, stopped in this order after thingd. */
  components?: Array<{ stop(): Promise<unknown> } | undefined>;
  server?: ProsodyServer | undefined;
  dir?: string | undefined;
}

/** Stops what there is (beforeAll may have failed half-way): clients, thingd (SIGKILL), components, Prosody; removes the dir. */
export async function tearDown(p: TearDownParts): Promise<void> {
  if (p.clients instanceof ClientPool) await p.clients.stopAll();
  else await Promise.allSettled((p.clients ?? []).flatMap((c) => (c ? [c.stop()] : [])));
  await p.agent?.stop("SIGKILL");
  for (const c of p.components ?? []) await c?.stop();
  await p.server?.stop();
  if (p.dir) await rm(p.dir, { recursive: true, force: true });
}
