// `npm run bench:registry`: thingd-registry with 10,000 registered Things on a local Prosody.
// Prints claim and search p50 (IQ round trip from an XMPP client through the server, the
// claim including its fsync) and the memory one registration costs in the store with its
// indexes. Options: --things N (default 10000), --n SAMPLES (default 200).
import { spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { xml } from "@xmpp/xml";
import { startProsody } from "./lib/local-prosody.js";
import { ReaderClient } from "./lib/reader-client.js";
import { readFile } from "node:fs/promises";
import { fromStored, type StoredThing } from "../registry/store/record.js";
import { ThingStore } from "../registry/store/things.js";
import { SNAPSHOT_FILE } from "../registry/store/journal.js";
import { parseSearch } from "../registry/protocol/search.js";

const MAIN = fileURLToPath(new URL("../registry/main.js", import.meta.url));
const NS = "urn:xmpp:iot:discovery";
const DOMAIN = "things.localhost";
const p50 = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? NaN;

const { values } = parseArgs({ options: { things: { type: "string", default: "10000" }, n: { type: "string", default: "200" } } });
const N = Number(values.things);
const SAMPLES = Number(values.n);

/** Even i: claimed and public (searchable); odd i: unclaimed, waiting for a claim. */
function fleet(): StoredThing[] {
  return Array.from({ length: N }, (_, i) => ({
    jid: `t${i}@localhost`,
    address: `t${i}@localhost/gw`,
    ns: NS,
    tags: [
      { name: "MAN", type: "str" as const, value: "example.com" },
      { name: "MODEL", type: "str" as const, value: `m${i % 50}` },
      { name: "SN", type: "str" as const, value: String(100000 + i) },
      { name: "V", type: "num" as const, value: String(1 + (i % 7) / 10) },
      ...(i % 2 === 0 ? [] : [{ name: "KEY", type: "str" as const, value: randomBytes(16).toString("hex") }]),
    ],
    ...(i % 2 === 0 ? { owner: `o${i % 100}@localhost` } : {}),
    isPublic: true,
  }));
}

function memoryPerThing(things: StoredThing[]): { perThing: number; store: ThingStore } {
  const gc = (globalThis as { gc?: () => void }).gc;
  gc?.();
  const before = process.memoryUsage().heapUsed;
  const store = new ThingStore();
  for (const t of things) store.put(fromStored(t), true);
  gc?.();
  const after = process.memoryUsage().heapUsed;
  if (store.size !== things.length) throw new Error("store lost Things");
  return { perThing: (after - before) / things.length, store };
}

/** p50 of the registry's own work for one search (no network), µs. */
function inProcessSearchUs(store: ThingStore, ops: ReturnType<typeof xml>[]): number {
  const req = parseSearch(xml("search", { xmlns: NS, maxCount: "20" }, ...ops));
  const xs: number[] = [];
  for (let k = 0; k < SAMPLES; k++) {
    const t = process.hrtime.bigint();
    store.search(req);
    xs.push(Number(process.hrtime.bigint() - t) / 1e3);
  }
  return p50(xs);
}

const things = fleet();
const { perThing, store: localStore } = memoryPerThing(JSON.parse(JSON.stringify(things)) as StoredThing[]);
const localIndexed = inProcessSearchUs(localStore, [xml("strEq", { name: "MODEL", value: "m4" }), xml("numRange", { name: "V", min: "1", max: "2" })]);
const localScan = inProcessSearchUs(localStore, [xml("strMask", { name: "SN", value: "1099*", wildcard: "*" })]);

const server = await startProsody({ users: [{ user: "bench", password: "bench-pw" }], components: [{ domain: DOMAIN, secret: "bench-secret" }] });
const dir = await mkdtemp(path.join(tmpdir(), "thingd-bench-registry-"));
try {
  await mkdir(path.join(dir, "state"), { recursive: true });
  await writeFile(path.join(dir, "state", SNAPSHOT_FILE), JSON.stringify({ version: 1, n: 0, things }));
  await writeFile(
    path.join(dir, "registry.yaml"),
    `component:\n  service: xmpp://127.0.0.1:${server.componentPort}\n  jid: ${DOMAIN}\n  secret: bench-secret\nstate_dir: ./state\n`,
  );
  const child = spawn(process.execPath, [MAIN, "run", "-c", path.join(dir, "registry.yaml")], { stdio: ["ignore", "pipe", "inherit"] });
  let loadMs = NaN;
  await new Promise<void>((resolve, reject) => {
    let buf = "";
    child.stdout.setEncoding("utf8").on("data", (c: string) => {
      buf += c;
      const m = /"ms":(\d+)[^\n]*"registry state loaded"/.exec(buf);
      if (m) loadMs = Number(m[1]);
      if (buf.includes('"component online"')) resolve();
    });
    child.on("exit", (code) => reject(new Error(`thingd-registry exited (${code})`)));
  });
  const client = await ReaderClient.connect({
    service: server.service,
    domain: "localhost",
    jid: "bench@localhost",
    password: "bench-pw",
    ca: await readFile(server.caFile, "utf8"),
  });
  const time = async (f: () => Promise<unknown>) => {
    const t = process.hrtime.bigint();
    await f();
    return Number(process.hrtime.bigint() - t) / 1e6;
  };
  const claims: number[] = [];
  for (let k = 0; k < SAMPLES; k++) {
    const t = things[2 * k + 1]!;
    const mine = xml("mine", { xmlns: NS }, ...t.tags.map((g) => xml(g.type, { name: g.name, value: g.value })));
    claims.push(
      await time(async () => {
        const r = await client.iq(xml("iq", { type: "set", to: DOMAIN }, mine));
        if (r.attrs.type !== "result") throw new Error(`claim failed: ${r.toString()}`);
      }),
    );
  }
  const search = async (ops: ReturnType<typeof xml>[]) => {
    const xs: number[] = [];
    for (let k = 0; k < SAMPLES; k++) {
      xs.push(
        await time(async () => {
          const r = await client.iq(xml("iq", { type: "get", to: DOMAIN }, xml("search", { xmlns: NS, maxCount: "20" }, ...ops)));
          if (r.getChild("found", NS)?.getChildren("thing").length === 0) throw new Error("search found nothing");
        }),
      );
    }
    return xs;
  };
  const indexed = await search([xml("strEq", { name: "MODEL", value: "m4" }), xml("numRange", { name: "V", min: "1", max: "2" })]);
  const scan = await search([xml("strMask", { name: "SN", value: "1099*", wildcard: "*" })]);
  const ping = await search([xml("strEq", { name: "MODEL", value: "m4" })]);
  await client.stop();
  child.kill("SIGTERM");
  console.log(`thingd-registry, ${N} Things (half claimed and public), ${SAMPLES} samples each, IQ round trips through Prosody:`);
  console.log(`  state load at start          ${loadMs} ms`);
  console.log(`  claim (<mine>, fsync'd) p50   ${p50(claims).toFixed(2)} ms`);
  console.log(`  search strEq+numRange p50     ${p50(indexed).toFixed(2)} ms   (equality index)`);
  console.log(`  search strEq p50              ${p50(ping).toFixed(2)} ms`);
  console.log(`  search strMask p50            ${p50(scan).toFixed(2)} ms   (scan of every public Thing)`);
  console.log(`  in-process search strEq+numRange p50   ${localIndexed.toFixed(1)} µs   strMask p50 ${localScan.toFixed(1)} µs`);
  console.log(
    `  memory per Thing (heap)       ${Math.round(perThing)} bytes${(globalThis as { gc?: unknown }).gc ? "" : " (run with --expose-gc for a steadier number)"}`,
  );
} finally {
  await server.stop();
  await rm(dir, { recursive: true, force: true });
}
