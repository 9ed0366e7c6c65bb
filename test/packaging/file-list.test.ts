import { describe, expect, it } from "vitest";
import { archInfo } from "../../scripts/package/deb-meta.js";
import { isConsoleFile, keepDistFile, pruneModulePath } from "../../scripts/package/file-list.js";

describe("file-list", () => {
  it("ships the agent, the drivers, the bundle and the registry, not tests, dev scripts or source maps", () => {
    expect(keepDistFile("dist/thingd.bundle.mjs")).toBe(true);
    expect(keepDistFile("dist/agent/main.js")).toBe(true);
    expect(keepDistFile("dist/drivers/bme280.js")).toBe(true);
    expect(keepDistFile("dist/agent/main.js.map")).toBe(false);
    expect(keepDistFile("dist/test/e2e/thing.e2e.test.js")).toBe(false);
    expect(keepDistFile("dist/scripts/package/build.js")).toBe(false);
    expect(keepDistFile("dist/registry/main.js")).toBe(true);
    expect(keepDistFile("dist/registry/main.js.map")).toBe(false);
    // The console goes to /usr/share/thingd/console (build.ts), not into the app's dist/.
    expect(keepDistFile("dist/console/console.js")).toBe(false);
  });

  it("ships the console's page, script, styles and split-off chunks, nothing else of dist/console", () => {
    for (const f of ["index.html", "console.js", "console.css", "chunk-AB12CD34.js"]) expect(isConsoleFile(f), f).toBe(true);
    for (const f of ["console.js.map", "main.js", "chunk-x.js.map", "notes.txt"]) expect(isConsoleFile(f), f).toBe(false);
  });

  it("keeps only the target's glibc serialport prebuild", () => {
    const arm = archInfo("arm64");
    const p = "node_modules/@serialport/bindings-cpp/prebuilds";
    expect(pruneModulePath(`${p}/linux-arm64`, arm)).toBe(false);
    expect(pruneModulePath(`${p}/linux-arm64/@serialport+bindings-cpp.armv8.glibc.node`, arm)).toBe(false);
    expect(pruneModulePath(`${p}/linux-arm64/@serialport+bindings-cpp.armv8.musl.node`, arm)).toBe(true);
    expect(pruneModulePath(`${p}/linux-x64`, arm)).toBe(true);
    expect(pruneModulePath(`${p}/win32-x64/@serialport+bindings-cpp.node`, arm)).toBe(true);
    expect(pruneModulePath(`${p}/linux-x64/@serialport+bindings-cpp.glibc.node`, archInfo("amd64"))).toBe(false);
    expect(pruneModulePath(`${p}/linux-arm64`, archInfo("amd64"))).toBe(true);
  });

  it("keeps the compiled gyp addon and its parent folders, drops the build intermediates", () => {
    const arm = archInfo("arm64");
    expect(pruneModulePath("node_modules/i2c-bus/build", arm)).toBe(false);
    expect(pruneModulePath("node_modules/i2c-bus/build/Release", arm)).toBe(false);
    expect(pruneModulePath("node_modules/i2c-bus/build/Release/i2c.node", arm)).toBe(false);
    expect(pruneModulePath("node_modules/i2c-bus/build/Release/obj.target", arm)).toBe(true);
    expect(pruneModulePath("node_modules/i2c-bus/build/Makefile", arm)).toBe(true);
    expect(pruneModulePath("node_modules/epoll/build/Release/epoll.node", arm)).toBe(false);
    expect(pruneModulePath("node_modules/epoll/build/config.gypi", arm)).toBe(true);
    expect(pruneModulePath("node_modules/i2c-bus/i2c-bus.js", arm)).toBe(false);
  });

  it("drops a package's tests, examples, repository files and npm's .bin links, not its code", () => {
    const arm = archInfo("arm64");
    expect(pruneModulePath("node_modules/.bin", arm)).toBe(true);
    expect(pruneModulePath("node_modules/pino/test", arm)).toBe(true);
    expect(pruneModulePath("node_modules/i2c-bus/integration-test", arm)).toBe(true);
    expect(pruneModulePath("node_modules/@xmpp/jid/example", arm)).toBe(true);
    expect(pruneModulePath("node_modules/file-uri-to-path/.npmignore", arm)).toBe(true);
    expect(pruneModulePath("node_modules/pino/index.html", arm)).toBe(true);
    expect(pruneModulePath("node_modules/pino/lib/tools.js", arm)).toBe(false);
    expect(pruneModulePath("node_modules/zod/v4/core/tests", arm)).toBe(false);
    expect(pruneModulePath("dist/test", arm)).toBe(false);
  });

  it("drops koffi's musl build of the target", () => {
    expect(pruneModulePath("node_modules/@koromix/koffi-linux-arm64/musl_arm64/koffi.node", archInfo("arm64"))).toBe(true);
    expect(pruneModulePath("node_modules/@koromix/koffi-linux-arm64/linux_arm64/koffi.node", archInfo("arm64"))).toBe(false);
  });
});
