import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import {
  archInfo,
  changelog,
  controlFile,
  debFileName,
  debVersion,
  elfMachine,
  launcherScript,
  md5sumsFile,
  packagedRegistryUnit,
  packagedSensorMap,
  packagedUnit,
  parseArch,
  registryLauncherScript,
} from "../../scripts/package/deb-meta.js";

const repoFile = (rel: string): string => readFileSync(new URL(`../../${rel}`, import.meta.url), "utf8");

describe("deb-meta", () => {
  it("names the package file the Debian way, pre-releases sorting before the release", () => {
    expect(debFileName("0.1.0", "arm64")).toBe("thingd_0.1.0_arm64.deb");
    expect(debVersion("1.2.0-rc.1")).toBe("1.2.0~rc.1");
    expect(() => debVersion("1.2")).toThrow(/semver/);
  });

  it("accepts only the two architectures it can build", () => {
    expect(parseArch("amd64")).toBe("amd64");
    expect(() => parseArch("armhf")).toThrow(/arm64 or amd64.*armhf/);
    expect(() => parseArch(undefined)).toThrow(/missing/);
    expect(archInfo("arm64")).toMatchObject({ npmCpu: "arm64", toolPrefix: "aarch64-linux-gnu-", elfMachine: 183 });
    expect(archInfo("amd64")).toMatchObject({ npmCpu: "x64", toolPrefix: "", elfMachine: 62 });
  });

  it("writes a control file dpkg accepts: fields, continuation lines, final newline", () => {
    const c = controlFile({ version: "0.1.0", arch: "arm64", installedSizeKiB: 130_000, nodeVersion: "24.22.3" });
    expect(c).toMatch(/^Package: thingd\nVersion: 0\.1\.0\nArchitecture: arm64\n/);
    expect(c).toContain("Installed-Size: 130000\n");
    expect(c).toMatch(/^Depends: libc6 \(>= 2\.28\), .*passwd/m);
    expect(c).toContain("Node.js 24.22.3");
    // Every description line after the first starts with a space; no empty line inside.
    const body = c.slice(c.indexOf("Description:")).split("\n").slice(1, -1);
    expect(body.length).toBeGreaterThan(2);
    for (const line of body) expect(line).toMatch(/^ \S/);
    expect(c.endsWith("\n")).toBe(true);
    expect(() => controlFile({ version: "0.1.0", arch: "arm64", installedSizeKiB: 0, nodeVersion: "24" })).toThrow(/Installed-Size/);
  });

  it("points the repository's unit at the bundled runtime and app, keeping the rest of the line", () => {
    const unit = packagedUnit(repoFile("systemd/thingd.service"));
    expect(unit).toMatch(/^ExecStart=\/opt\/thingd\/node\/bin\/node \/opt\/thingd\/app\/dist\/agent\/main\.js run -c \/etc\/thingd\/sensors\.yaml$/m);
    expect(unit.split("\n").filter((l) => !l.startsWith("#") && l.includes("/usr/bin/node"))).toStrictEqual([]);
    expect(() => packagedUnit("[Service]\nExecStart=/usr/bin/thingd run\n")).toThrow(/ExecStart/);
  });

  it("launcher and sensor map name only installed paths", () => {
    expect(launcherScript()).toBe(
      '#!/bin/sh\n# thingd\'s launcher (Debian package): the bundled Node.js runs the bundled app.\nexec /opt/thingd/node/bin/node /opt/thingd/app/dist/agent/main.js "$@"\n',
    );
    const map = packagedSensorMap(repoFile("examples/sensors.yaml"));
    expect(map).toContain("$schema=/opt/thingd/app/schema/sensor-map.schema.json");
    expect(map).toContain("password_file: /etc/thingd/password");
    expect(() => packagedSensorMap("sensors: []\n")).toThrow(/schema/);
  });

  it("thingd-registry: its launcher and unit run the bundled runtime on the app's dist/registry", () => {
    expect(registryLauncherScript()).toBe(
      '#!/bin/sh\n# thingd-registry\'s launcher (Debian package): the bundled Node.js runs the bundled app.\nexec /opt/thingd/node/bin/node /opt/thingd/app/dist/registry/main.js "$@"\n',
    );
    const unit = packagedRegistryUnit(repoFile("systemd/thingd-registry.service"));
    expect(unit).toMatch(
      /^ExecStart=\/opt\/thingd\/node\/bin\/node \/opt\/thingd\/app\/dist\/registry\/main\.js run -c \/etc\/thingd-registry\/registry\.yaml$/m,
    );
    expect(unit).toMatch(/^User=thingd-registry$/m);
    expect(() => packagedRegistryUnit("[Service]\nExecStart=/usr/bin/thingd-registry run\n")).toThrow(/ExecStart/);
  });

  it("changelog is dated from SOURCE_DATE_EPOCH in RFC 2822 form", () => {
    expect(changelog("0.1.0", 1_700_000_000)).toBe(
      "thingd (0.1.0) unstable; urgency=medium\n\n  * Release 0.1.0.\n\n -- thingd maintainers <thingd@localhost>  Tue, 14 Nov 2023 22:13:20 +0000\n",
    );
  });

  it("md5sums are sorted by path, without a leading slash", () => {
    expect(
      md5sumsFile([
        { path: "usr/bin/thingd", md5: "b".repeat(32) },
        { path: "/opt/a", md5: "a".repeat(32) },
      ]),
    ).toBe(`${"a".repeat(32)}  opt/a\n${"b".repeat(32)}  usr/bin/thingd\n`);
  });

  it("reads the ELF machine of a binary, and nothing from other files", () => {
    // The running node binary is an ELF for this machine.
    const head = readFileSync(process.execPath).subarray(0, 20);
    expect(elfMachine(head)).toBe(process.arch === "arm64" ? 183 : 62);
    const aarch64 = Uint8Array.from([0x7f, 0x45, 0x4c, 0x46, 2, 1, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 3, 0, 183, 0]);
    expect(elfMachine(aarch64)).toBe(183);
    expect(elfMachine(Buffer.from("#!/bin/sh\nexec true\n"))).toBeUndefined();
    expect(elfMachine(aarch64.subarray(0, 10))).toBeUndefined();
  });
});
