// XEP-0325 Internet of Things - Control, v0.5.1 (Retracted), as pinned in docs/protocol.md §3.2, §5
// and §6.10. Pure parse/build over @xmpp/xml elements; no client, no timers.
import { xml, type Element } from "@xmpp/xml";
import { ProtocolError, type StanzaCondition, type StanzaErrorType } from "../errors.js";
import type { ControlValue, ControlValueType } from "../../drivers/types.js";
import { NS_CONTROL } from "./ns.js";
import type { NodeRef } from "./readout-request.js";
import { buildIqResult } from "./stanza-error.js";
import { parseXsBoolean, parseXsDateTime } from "./xsd.js";

export const NS_DATA_FORMS = "jabber:x:data";

/** Parameter elements of <set>, named as the XEP names them (= ControlValue types). */
export const PARAMETER_TYPES = ["boolean", "int", "long", "double", "string", "date", "time", "dateTime", "duration", "color"] as const satisfies readonly ControlValueType[];

export interface SetParameter {
  name: string;
  type: ControlValueType;
  /** The value attribute as written. */
  lexical: string;
  /** The parsed value, or why the lexical form is not one of `type` (checked by the caller, §5). */
  parsed: { ok: true; value: ControlValue } | { ok: false; problem: string };
}

export interface ControlSet {
  /** Empty = every node having the parameters. */
  nodes: NodeRef[];
  /** In document order (§3.2: applied in that order). */
  parameters: SetParameter[];
  serviceToken?: string;
  deviceToken?: string;
  userToken?: string;
}

/** A refused <set> that names the parameter at fault: <paramError var> inside <error> (§3.2). */
export class ParamError extends ProtocolError {
  override name = "ParamError";
  constructor(
    condition: StanzaCondition,
    message: string,
    readonly param: string,
    type?: StanzaErrorType,
  ) {
    super(condition, message, type);
  }
}

/** XEP-0325 v0.2 response codes, kept beside IQ errors for slixmpp (§5, §6.10). */
export type ResponseCode = "OK" | "NotFound" | "InsufficientPrivileges" | "Locked" | "NotImplemented" | "FormError" | "OtherError";

export function responseCodeFor(condition: StanzaCondition): ResponseCode {
  switch (condition) {
    case "item-not-found":
      return "NotFound";
    case "forbidden":
      return "InsufficientPrivileges";
    case "conflict":
      return "Locked";
    case "feature-not-implemented":
      return "NotImplemented";
    case "bad-request":
      return "FormError";
    default:
      return "OtherError";
  }
}

function isParameterType(name: string): name is ControlValueType {
  return (PARAMETER_TYPES as readonly string[]).includes(name);
}

/** Parses <set xmlns='urn:xmpp:iot:control'> (§3.2). Structural problems throw; bad values are reported per parameter. */
export function parseSet(set: Element): ControlSet {
  const nodes: NodeRef[] = [];
  const parameters: SetParameter[] = [];
  for (const child of set.getChildElements()) {
    const ns = child.getNS();
    if (child.name === "x" && ns === NS_DATA_FORMS) {
      throw new ProtocolError("feature-not-implemented", "Setting parameters with a data form is not supported.");
    }
    if (ns !== NS_CONTROL) continue; // foreign extensions are ignored
    if (child.name === "node") {
      const nodeId = child.attrs.nodeId;
      if (!nodeId) throw new ProtocolError("bad-request", `set/node: missing attribute "nodeId"`);
      nodes.push(compact({ nodeId, sourceId: child.attrs.sourceId, cacheType: child.attrs.cacheType }));
      continue;
    }
    const name = child.attrs.name;
    if (!isParameterType(child.name)) {
      const msg = `set/${child.name}: not a control parameter type`;
      throw name ? new ParamError("bad-request", msg, name) : new ProtocolError("bad-request", msg);
    }
    if (!name) throw new ProtocolError("bad-request", `set/${child.name}: missing attribute "name"`);
    const lexical = child.attrs.value;
    if (lexical === undefined) throw new ParamError("bad-request", `set/${child.name}: missing attribute "value"`, name);
    parameters.push({ name, type: child.name, lexical, parsed: parseControlValue(child.name, lexical) });
  }
  if (parameters.length === 0) throw new ProtocolError("bad-request", "set: no parameter to set");
  const a = set.attrs;
  return compact({ nodes, parameters, serviceToken: a.serviceToken, deviceToken: a.deviceToken, userToken: a.userToken });
}

const INT = /^[+-]?\d+$/;
const DOUBLE = /^([+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?|[+-]?INF|NaN)$/;
const ZONE = "(Z|[+-](\\d{2}):(\\d{2}))?";
const DATE = new RegExp(`^-?\\d{4,}-(\\d{2})-(\\d{2})${ZONE}$`);
const TIME = new RegExp(`^(\\d{2}):(\\d{2}):(\\d{2})(\\.\\d+)?${ZONE}$`);
const DURATION = /^-?P(?=\d|T\d)(\d+Y)?(\d+M)?(\d+D)?(T(?=\d)(\d+H)?(\d+M)?(\d+(\.\d+)?S)?)?$/;
const COLOR = /^[0-9A-Fa-f]{6}([0-9A-Fa-f]{2})?$/;
const INT32 = [-(2n ** 31n), 2n ** 31n - 1n] as const;
const INT64 = [-(2n ** 63n), 2n ** 63n - 1n] as const;

function zoneOk(hh: string | undefined, mm: string | undefined): boolean {
  return hh === undefined || (Number(hh) <= 14 && Number(mm) <= 59);
}

/** One parameter's lexical form as its XML Schema type (XEP-0325 §3.2). */
export function parseControlValue(type: ControlValueType, lexical: string): SetParameter["parsed"] {
  const v = lexical.trim();
  const bad = (what: string) => ({ ok: false as const, problem: `expected ${what}, got "${lexical}"` });
  const ok = (value: ControlValue) => ({ ok: true as const, value });
  switch (type) {
    case "boolean":
      try {
        return ok({ type, value: parseXsBoolean(v, "value")! });
      } catch {
        return bad("xs:boolean (true, false, 1, 0)");
      }
    case "int":
    case "long": {
      const [min, max] = type === "int" ? INT32 : INT64;
      const what = type === "int" ? "a 32-bit integer (xs:int)" : "a 64-bit integer (xs:long)";
      if (!INT.test(v)) return bad(what);
      const n = BigInt(v);
      if (n < min || n > max) return bad(what);
      return type === "int" ? ok({ type, value: Number(n) }) : ok({ type, value: n });
    }
    case "double":
      if (!DOUBLE.test(v)) return bad("xs:double");
      return ok({ type, value: v.endsWith("INF") ? (v.startsWith("-") ? -Infinity : Infinity) : Number(v) });
    case "string":
      return ok({ type, value: lexical });
    case "date": {
      const m = DATE.exec(v);
      if (!m || Number(m[1]) < 1 || Number(m[1]) > 12 || Number(m[2]) < 1 || Number(m[2]) > 31 || !zoneOk(m[4], m[5])) return bad("xs:date (YYYY-MM-DD)");
      return ok({ type, value: v });
    }
    case "time": {
      const m = TIME.exec(v);
      if (!m || Number(m[1]) > 23 || Number(m[2]) > 59 || Number(m[3]) > 59 || !zoneOk(m[6], m[7])) return bad("xs:time (hh:mm:ss)");
      return ok({ type, value: v });
    }
    case "dateTime":
      try {
        return ok({ type, value: parseXsDateTime(v, "value") });
      } catch {
        return bad("xs:dateTime");
      }
    case "duration":
      return DURATION.test(v) ? ok({ type, value: v }) : bad("xs:duration (e.g. PT5M)");
    case "color":
      return COLOR.test(v) ? ok({ type, value: v.toUpperCase() }) : bad("a colour RRGGBB or RRGGBBAA");
  }
}

/** <setResponse responseCode='OK'/> (v0.2 code kept for slixmpp, §6.10). */
export function buildSetResponse(code: ResponseCode = "OK"): Element {
  return xml("setResponse", { xmlns: NS_CONTROL, responseCode: code });
}

export function buildParamError(param: string, text: string): Element {
  return xml("paramError", { xmlns: NS_CONTROL, var: param }, text);
}

export function buildSetResult(request: Element): Element {
  return buildIqResult(request, buildSetResponse());
}

function compact<T extends object>(o: T): T {
  for (const k of Object.keys(o) as Array<keyof T>) if (o[k] === undefined) delete o[k];
  return o;
}
