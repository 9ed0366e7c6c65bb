// Crash-test helper for test/agent/state-kill.test.ts: opens a StateStore on argv[2], loads it
// (creating the KEY on first run), prints `key=<KEY>` once, then rewrites the state in a tight
// loop until it is killed. Built by `npx tsc -p tsconfig.json` to dist/test/fakes/state-writer.js.
import { pino } from "pino";
import { StateStore, type RegistrationStatus } from "../../agent/ownership/state.js";

const dir = process.argv[2];
if (!dir) {
  process.stderr.write("usage: state-writer <state-dir>\n");
  process.exit(2);
}

const store = new StateStore(dir, pino({ level: "silent" }));
const state = await store.load();
process.stdout.write(`key=${state.key}\n`);

for (let n = 0; ; n++) {
  const status: RegistrationStatus = n % 2 === 0 ? "REGISTERED" : "CLAIMED";
  await store.update({ status, owner: `owner-${n}@localhost`, registry: "registry.localhost", isPublic: n % 3 === 0 });
}
