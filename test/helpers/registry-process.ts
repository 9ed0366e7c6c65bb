// The real `thingd-registry` as a child process (scripts/lib/registry-process.ts, shared with the
// fleet benchmark); and the slixmpp foreign client (test/registry/foreign_client.py).
import { spawn, spawnSync } from "node:child_process";
import { appendFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import type { ProsodyServer } from "../../scripts/lib/local-prosody.js";

export { REGISTRY_MAIN, runRegistryProcess, writeRegistryConfig, type RegistryProcess } from "../../scripts/lib/registry-process.js";

const FOREIGN_CLIENT = fileURLToPath(new URL("../registry/foreign_client.py", import.meta.url));

export interface ForeignReply {
  type?: string;
  xml?: string;
  body?: string;
  exception?: string;
  fatal?: string;
}

export interface ForeignClient {
  iq(to: string, type: "get" | "set", payload: string): Promise<ForeignReply>;
  chat(to: string, body: string): Promise<string>;
  stop(): Promise<void>;
}

/** Debian's python3 (which has python3-slixmpp), not whatever python3 is first on PATH. */
function python(): string {
  for (const p of ["/usr/bin/python3", "python3"]) {
    if (spawnSync(p, ["-c", "import slixmpp"]).status === 0) return p;
  }
  throw new Error("slixmpp is not installed: run `apt-get install -y python3-slixmpp` (Debian/Ubuntu)");
}

export async function foreignClient(server: ProsodyServer, user: string): Promise<ForeignClient> {
  const child = spawn(python(), [FOREIGN_CLIENT, `${user}@localhost`, `${user}-pw`, "127.0.0.1", String(server.c2sPort), server.caFile], {
    stdio: ["pipe", "pipe", "pipe"],
  });
  let buf = "";
  let err = "";
  const queue: Array<(r: ForeignReply) => void> = [];
  let ready: (() => void) | undefined;
  child.stderr.setEncoding("utf8").on("data", (c: string) => {
    err += c;
    if (process.env.REGISTRY_E2E_LOGS) appendFileSync(`${process.env.REGISTRY_E2E_LOGS}.${user}`, c);
  });
  child.stdout.setEncoding("utf8").on("data", (chunk: string) => {
    buf += chunk;
    let i;
    while ((i = buf.indexOf("\n")) >= 0) {
      const r = JSON.parse(buf.slice(0, i)) as ForeignReply & { ready?: boolean };
      buf = buf.slice(i + 1);
      if (r.ready) ready?.();
      else queue.shift()?.(r);
    }
  });
  await new Promise<void>((resolve, reject) => {
    const t = setTimeout(() => reject(new Error(`slixmpp client ${user} did not log in: ${err}`)), 20_000);
    ready = () => (clearTimeout(t), resolve());
    child.on("exit", (code) => reject(new Error(`slixmpp client exited (${code}): ${err}`)));
  });
  // One command at a time: answers come back in order.
  let chain: Promise<unknown> = Promise.resolve();
  const send = (cmd: object): Promise<ForeignReply> => {
    const run = chain.then(
      () =>
        new Promise<ForeignReply>((resolve) => {
          queue.push(resolve);
          child.stdin.write(`${JSON.stringify(cmd)}\n`);
        }),
    );
    chain = run.catch(() => undefined);
    return run;
  };
  return {
    iq: (to, type, payload) => send({ op: "iq", to, type, payload }),
    async chat(to, body) {
      const r = await send({ op: "chat", to, body });
      if (r.body === undefined) throw new Error(`no chat answer: ${JSON.stringify(r)}`);
      return r.body;
    },
    async stop() {
      if (child.exitCode !== null) return;
      child.stdin.write(`${JSON.stringify({ op: "quit" })}\n`);
      const t = setTimeout(() => child.kill("SIGKILL"), 3_000);
      await new Promise((r) => child.on("exit", r));
      clearTimeout(t);
    },
  };
}
