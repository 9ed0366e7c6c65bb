// Why a connection ended, from the errors xmpp.js really produces (parsed from real elements).
import { describe, expect, it } from "vitest";
import { xml } from "@xmpp/xml";
import StreamError from "@xmpp/connection/lib/StreamError.js";
import SASLError from "@xmpp/sasl/lib/SASLError.js";
import StanzaError from "@xmpp/middleware/lib/StanzaError.js";
import { failureKind } from "../../../agent/transport/failure.js";
import { backoffDelay, DEFAULT_CONFLICT_BACKOFF } from "../../../agent/transport/backoff.js";

const NS_STREAMS = "urn:ietf:params:xml:ns:xmpp-streams";
const NS_SASL = "urn:ietf:params:xml:ns:xmpp-sasl";
const NS_STANZAS = "urn:ietf:params:xml:ns:xmpp-stanzas";

describe("failureKind", () => {
  it("a stream error <conflict/> (Prosody: Replaced by new connection) is a conflict", () => {
    const el = xml("stream:error", {}, xml("conflict", { xmlns: NS_STREAMS }), xml("text", { xmlns: NS_STREAMS }, "Replaced by new connection"));
    expect(failureKind(StreamError.fromElement(el))).toBe("conflict");
  });

  it("a resource-binding <conflict/> stanza error is a conflict", () => {
    const el = xml("error", { type: "cancel" }, xml("conflict", { xmlns: NS_STANZAS }));
    expect(failureKind(StanzaError.fromElement(el))).toBe("conflict");
  });

  it("SASL not-authorized, account-disabled and credentials-expired are a refused login", () => {
    for (const condition of ["not-authorized", "account-disabled", "credentials-expired"]) {
      expect(failureKind(SASLError.fromElement(xml("failure", { xmlns: NS_SASL }, xml(condition))))).toBe("auth");
    }
  });

  it("a temporary SASL failure, other stream errors, socket and TLS errors are ordinary outages", () => {
    expect(failureKind(SASLError.fromElement(xml("failure", { xmlns: NS_SASL }, xml("temporary-auth-failure"))))).toBe("network");
    expect(failureKind(StreamError.fromElement(xml("stream:error", {}, xml("system-shutdown", { xmlns: NS_STREAMS }))))).toBe("network");
    expect(failureKind(Object.assign(new Error("read ECONNRESET"), { code: "ECONNRESET" }))).toBe("network");
    expect(failureKind(Object.assign(new Error("unable to verify the first certificate"), { code: "UNABLE_TO_VERIFY_LEAF_SIGNATURE" }))).toBe("network");
    expect(failureKind(undefined)).toBe("network");
  });
});

describe("the conflict back-off", () => {
  it("starts between 15 and 30 s and doubles up to 15 min", () => {
    expect([0, 1, 4, 5, 10].map((a) => backoffDelay(a, DEFAULT_CONFLICT_BACKOFF, 0))).toStrictEqual([15_000, 30_000, 240_000, 450_000, 450_000]);
    expect([0, 1, 4, 5, 10].map((a) => backoffDelay(a, DEFAULT_CONFLICT_BACKOFF, 0.999_999))).toStrictEqual([30_000, 60_000, 480_000, 900_000, 900_000]);
  });
});
