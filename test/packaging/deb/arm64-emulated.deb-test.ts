// The arm64 .deb, unpacked anywhere (dpkg-deb -x), runs its own Node.js on its own app under
// qemu-user (qemu-aarch64-static -L / with Debian's libc6:arm64 and libstdc++6:arm64): the CLI,
// every native addon, and `run` against a real Prosody with the test registry, answering a
// momentary readout. Emulation is slow (~10x): timeouts are generous, nothing is timed here
// (scripts/package/bench.ts measures).
import { rm, writeFile } from "node:fs/promises";
import path from "node:path";
import { xml } from "@xmpp/xml";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { LAYOUT } from "../../../scripts/package/deb-meta.js";
import { startProsody, type ProsodyServer } from "../../../scripts/lib/local-prosody.js";
import { startRegistry, type TestRegistry } from "../../../scripts/lib/test-registry.js";
import { localXmppSection } from "../../../scripts/lib/sensor-map-yaml.js";
import { runThingd, type AgentProcess } from "../../helpers/agent-process.js";
import { ClientPool } from "../../helpers/clients.js";
import { ROOM_SENSOR } from "../../helpers/sensor-maps.js";
import { tearDown } from "../../helpers/thing-stack.js";
import { debProgram, releaseDeb, requireArm64Userland, run, unpack, VERSION, wrapFor } from "./deb-helpers.js";

const EMULATED = 180_000;
let root: string;
let program: string[];

beforeAll(async () => {
  requireArm64Userland();
  root = await unpack(releaseDeb("arm64"));
  program = debProgram(root, true);
}, EMULATED);

afterAll(async () => {
  if (root) await rm(root, { recursive: true, force: true });
});

const thingd = (...args: string[]) => run(program[0]!, [...program.slice(1), ...args], { timeout: EMULATED });

describe("arm64 .deb under qemu-user", () => {
  it(
    "is an arm64 runtime of the pinned major, not the host's node",
    async () => {
      const { stdout } = await run(program[0]!, [...program.slice(1, 4), "-p", "`${process.arch} ${process.versions.node}`"], { timeout: EMULATED });
      expect(stdout.trim()).toMatch(/^arm64 24\.\d+\.\d+$/);
    },
    EMULATED,
  );

  it(
    "--version prints the package version",
    async () => {
      const { stdout } = await thingd("--version");
      expect(stdout.trim()).toBe(VERSION);
    },
    EMULATED,
  );

  it(
    "check and read work on a simulated sensor",
    async () => {
      const map = path.join(root, "sensors.yaml");
      await writeFile(map, `xmpp:\n  service: xmpp://127.0.0.1:5222\n  jid: thing@localhost\n  password: unused\nstate_dir: ./state\nsensors:\n${ROOM_SENSOR}`);
      expect((await thingd("check", "-c", map)).stdout).toContain(": OK (1 sensor; state in ");
      const read = (await thingd("read", "-c", map)).stdout;
      expect(read).toMatch(/^room\s+temperature\s+21\.4\s+°C$/m);
    },
    EMULATED,
  );

  it(
    "loads i2c-bus, onoff (epoll), serialport and koffi, and calls into each loaded binary",
    async () => {
      // Written into the unpacked app so require() resolves its node_modules.
      const probe = path.join(root, LAYOUT.app, "native-probe.cjs");
      await writeFile(
        probe,
        `const out = {};
const koffi = require("koffi");
out.koffiGetpid = koffi.load("libc.so.6").func("int getpid()")() === process.pid;
require("i2c-bus");
const { Gpio } = require("onoff");
out.gpioAccessible = typeof Gpio.accessible;
const { Epoll } = require("epoll");
new Epoll(() => {}).close();
out.epoll = "created and closed";
const { autoDetect } = require("@serialport/bindings-cpp");
require("serialport");
autoDetect().open({ path: "/nonexistent/tty-probe", baudRate: 9600 }).then(
  () => { out.serial = "opened?"; done(); },
  (e) => { out.serial = e.message; done(); });
function done() {
  out.native = Object.keys(require.cache).filter((k) => k.endsWith(".node")).map((k) => k.split("node_modules/")[1]).sort();
  console.log(JSON.stringify(out));
}
`,
      );
      const { stdout } = await run(program[0]!, [...program.slice(1, 4), probe], { timeout: EMULATED, cwd: path.dirname(probe) });
      const out = JSON.parse(stdout) as Record<string, unknown>;
      expect(out).toStrictEqual({
        koffiGetpid: true,
        gpioAccessible: "boolean",
        epoll: "created and closed",
        serial: expect.stringMatching(/ENOENT|No such file/),
        native: [
          "@koromix/koffi-linux-arm64/linux_arm64/koffi.node",
          "@serialport/bindings-cpp/prebuilds/linux-arm64/@serialport+bindings-cpp.armv8.glibc.node",
          "epoll/build/Release/epoll.node",
          "i2c-bus/build/Release/i2c.node",
        ],
      });
    },
    EMULATED,
  );
});

describe("arm64 .deb under qemu-user: run against Prosody", () => {
  let server: ProsodyServer | undefined;
  let registry: TestRegistry | undefined;
  let agent: AgentProcess | undefined;
  const clients = new ClientPool(() => server!);

  beforeAll(async () => {
    server = await startProsody({
      users: ["thing", "reader"].map((u) => ({ user: u, password: `${u}-pw` })),
      components: [{ domain: "registry.localhost", secret: "registry-secret" }],
    });
    registry = await startRegistry(server, { domain: "registry.localhost", secret: "registry-secret" });
    const map = path.join(root, "run.yaml");
    await writeFile(
      map,
      `${localXmppSection(server, { resource: "gateway", password: "thing-pw" })}registry:\n  jid: registry.localhost\naccess:\n  readers: [reader@localhost]\nstate_dir: ./run-state\nsensors:\n${ROOM_SENSOR}`,
    );
    agent = runThingd(["run", "-c", map], {}, wrapFor(program));
  }, EMULATED);

  afterAll(() => tearDown({ clients, agent, components: [registry], server }));

  it(
    "comes online and registers with the Thing Registry",
    async () => {
      await agent!.waitForLog((l) => l.msg === "online", EMULATED);
      const reg = await registry!.waitForRegistration(() => true, EMULATED);
      expect(reg.from).toBe("thing@localhost/gateway");
      expect(reg.tags.KEY?.value).toMatch(/^[0-9a-f]{32}$/);
    },
    EMULATED * 2,
  );

  it(
    "answers a momentary readout from the harness client",
    async () => {
      const reader = await clients.client("reader");
      const r = await reader.read("thing@localhost/gateway", { momentary: "true" }, [xml("node", { nodeId: "room" })]);
      expect(r.reply.attrs.type).toBe("result");
      expect(r.fields.map((f) => [f.node, f.name, f.value, f.unit])).toStrictEqual([["room", "temperature", "21.40", "°C"]]);
    },
    EMULATED,
  );
});
