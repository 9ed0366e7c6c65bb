// Child process for test/registry/journal-kill.test.ts: opens a registry state folder and
// claims Things as fast as it can, printing `acked N` once claim N is on disk (the moment the
// registry would answer the claimer). The test kills it with SIGKILL at a random moment.
import { pino } from "pino";
import { Journal } from "../../registry/store/journal.js";
import { fromStored, recordKey, toStored } from "../../registry/store/record.js";
import { ThingStore } from "../../registry/store/things.js";

const dir = process.argv[2];
if (!dir) throw new Error("usage: registry-journal-writer DIR");
let last: Promise<void> = Promise.resolve();
const journal: Journal = new Journal(
  dir,
  pino({ level: "silent" }),
  () => [...store.all()].map(toStored),
  () => store.size,
);
const store = new ThingStore((c) => {
  last = journal.append("put" in c ? { put: toStored(c.put) } : c);
});
const loaded = await journal.open((t) => recordKey(t.jid, t));
for (const t of loaded.things.values()) store.put(fromStored(t), true);
let n = store.size;
process.stdout.write(`loaded ${n}\n`);
for (;;) {
  const i = n++;
  store.put({
    jid: `t${i}@localhost`,
    address: `t${i}@localhost/r`,
    ns: "urn:xmpp:iot:discovery",
    tags: new Map([["SN", { name: "SN", type: "str", value: String(i) }]]),
    owner: `o${i}@localhost`,
    selfOwned: false,
    isPublic: true,
    removed: false,
  });
  const done = last;
  void done.then(
    () => process.stdout.write(`acked ${i}\n`),
    (err: unknown) => process.stderr.write(`journal write failed: ${String(err)}\n`),
  );
  if (i % 8 === 0) await done;
}
