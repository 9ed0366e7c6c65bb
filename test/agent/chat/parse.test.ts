import { describe, expect, it } from "vitest";
import { parseBody, parseLine, splitTarget } from "../../../agent/chat/parse.js";

describe("IoT chat commands", () => {
  it("parses the IoTGateway-style commands", () => {
    expect(parseLine("?")).toStrictEqual({ kind: "read", full: false });
    expect(parseLine("??")).toStrictEqual({ kind: "read", full: true });
    expect(parseLine("temp?")).toStrictEqual({ kind: "read", full: false, prefix: "temp" });
    expect(parseLine(" Temp ?? ")).toStrictEqual({ kind: "read", full: true, prefix: "Temp" });
    expect(parseLine("#")).toStrictEqual({ kind: "menu", extended: false });
    expect(parseLine("##")).toStrictEqual({ kind: "menu", extended: true });
    expect(parseLine("Help")).toStrictEqual({ kind: "menu", extended: false });
    expect(parseLine("hi")).toStrictEqual({ kind: "menu", extended: false });
    expect(parseLine(":=")).toStrictEqual({ kind: "params" });
    expect(parseLine("relay:=")).toStrictEqual({ kind: "params", name: "relay" });
    expect(parseLine("relay1.relay := on")).toStrictEqual({ kind: "set", name: "relay1.relay", value: "on" });
    expect(parseLine("STATUS")).toStrictEqual({ kind: "status" });
    expect(parseLine("what is this")).toStrictEqual({ kind: "unknown", text: "what is this" });
    expect(parseLine("   ")).toBeUndefined();
  });

  it("every line is a command, at most ten", () => {
    expect(parseBody("temp?\n\n:=\r\n#").map((c) => c.kind)).toStrictEqual(["read", "params", "menu"]);
    expect(parseBody(Array(30).fill("?").join("\n"))).toHaveLength(10);
  });

  it("splits node.param", () => {
    expect(splitTarget("relay1.relay")).toStrictEqual({ node: "relay1", name: "relay" });
    expect(splitTarget("relay")).toStrictEqual({ name: "relay" });
    expect(splitTarget(".relay")).toStrictEqual({ name: ".relay" });
  });
});
