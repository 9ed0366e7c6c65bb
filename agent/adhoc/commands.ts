// The three ad-hoc commands (docs/people.md "Ad-hoc commands"): Read sensors, Set output,
// Status. Each is one form with defaults and its result, so it completes in one or two steps.
import { ProtocolError } from "../errors.js";
import { fieldValueText } from "../protocol/field-value.js";
import type { TypeFlag } from "../protocol/readout-request.js";
import { buildForm } from "../protocol/xdata.js";
import { formatSeconds } from "../ops/status-format.js";
import { LIVE_TYPES, MOMENTARY, type ThingApi } from "../people/thing-api.js";
import type { AdhocCommand, Step } from "./registry.js";

export const NODE_READ = "urn:thingd:cmd:read";
export const NODE_SET = "urn:thingd:cmd:set";
export const NODE_STATUS = "urn:thingd:cmd:status";

const KINDS: ReadonlyArray<[TypeFlag, string]> = [
  ["momentary", "Momentary values"],
  ["identity", "Identity"],
  ["status", "Status"],
  ["computed", "Computed"],
  ["peak", "Peak"],
];

async function mayRead(api: ThingApi, from: string): Promise<boolean> {
  try {
    await api.authorizeRead(from, { types: MOMENTARY, nodes: [], fieldNames: new Set() });
    return true;
  } catch (err) {
    if (err instanceof ProtocolError) return false;
    throw err;
  }
}

export function readCommand(api: ThingApi): AdhocCommand {
  return {
    node: NODE_READ,
    name: "Read sensors",
    allowed: (from) => mayRead(api, from),
    start: () =>
      Promise.resolve<Step>({
        status: "executing",
        form: buildForm({
          type: "form",
          title: "Read sensors",
          instructions: "Pick sensors and kinds of values (none picked: all sensors, momentary values).",
          fields: [
            {
              var: "nodes",
              type: "list-multi",
              label: "Sensors",
              options: api.pollers().map((p) => ({ value: p.id })),
              values: api.pollers().map((p) => p.id),
            },
            { var: "kinds", type: "list-multi", label: "Values", options: KINDS.map(([value, label]) => ({ value, label })), values: ["momentary"] },
          ],
        }),
      }),
    async submit(from, values) {
      const ids = api.pollers().map((p) => p.id);
      const nodes = (values.get("nodes") ?? []).filter((n) => ids.includes(n));
      const kinds = new Set((values.get("kinds") ?? []).filter((k): k is TypeFlag => LIVE_TYPES.has(k as TypeFlag)));
      const query = await api.authorizeRead(from, {
        types: kinds.size > 0 ? kinds : MOMENTARY,
        nodes: nodes.map((nodeId) => ({ nodeId })),
        fieldNames: new Set(),
      });
      const outcomes = await api.read(query);
      const items: Array<Record<string, string>> = [];
      for (const o of outcomes) {
        if ("error" in o) items.push({ node: o.nodeId, field: "error", value: o.error, unit: "" });
        else for (const f of o.fields) items.push({ node: o.nodeId, field: f.name, value: fieldValueText(f), unit: f.type === "numeric" ? f.unit : "" });
      }
      return {
        status: "completed",
        form: buildForm({
          type: "result",
          title: "Sensor values",
          reported: [
            { var: "node", label: "Sensor" },
            { var: "field", label: "Field" },
            { var: "value", label: "Value" },
            { var: "unit", label: "Unit" },
          ],
          items,
        }),
      };
    },
  };
}

export function setCommand(api: ThingApi): AdhocCommand {
  const targets = () => api.parameters().map((p) => `${p.node}.${p.name}`);
  return {
    node: NODE_SET,
    name: "Set output",
    // Listed only to those who may control, and only when there is something to set.
    allowed: async (from) => targets().length > 0 && (await api.mayControl(from)),
    start: () => {
      const params = api.parameters();
      return Promise.resolve<Step>({
        status: "executing",
        form: buildForm({
          type: "form",
          title: "Set output",
          fields: [
            {
              var: "parameter",
              type: "list-single",
              label: "Output",
              required: true,
              options: params.map((p) => ({ value: `${p.node}.${p.name}`, label: `${p.node}.${p.name} (now ${p.value ? fieldValueText(p.value) : "?"})` })),
              values: params[0] ? [`${params[0].node}.${params[0].name}`] : [],
            },
            { var: "value", type: "text-single", label: "New value (on/off, a number, ...)", required: true },
          ],
        }),
      });
    },
    async submit(from, values) {
      const target = values.get("parameter")?.[0] ?? "";
      const value = values.get("value")?.[0] ?? "";
      const dot = target.indexOf(".");
      if (dot <= 0 || !targets().includes(target)) return { status: "completed", note: { type: "error", text: `No output "${target}".` } };
      if (value.trim() === "") return { status: "completed", note: { type: "error", text: "No value given." } };
      const out = await api.set(from, target.slice(0, dot), target.slice(dot + 1), value);
      if (!out.ok) {
        if (out.condition === "forbidden") throw new ProtocolError("forbidden", "Access denied.");
        return { status: "completed", note: { type: "error", text: out.reason } };
      }
      return { status: "completed", note: { type: "info", text: `${target} = ${out.value ? fieldValueText(out.value) : value}` } };
    },
  };
}

export function statusCommand(api: ThingApi): AdhocCommand {
  const result = (): Step => {
    const s = api.status();
    return {
      status: "completed",
      form: buildForm({
        type: "result",
        title: "Status",
        fields: [
          { var: "version", label: "thingd", values: [s.version] },
          { var: "uptime", label: "Up", values: [formatSeconds(s.uptimeSeconds)] },
          { var: "xmpp", label: "XMPP", values: [`${s.xmpp.state} as ${s.xmpp.jid}`] },
          { var: "registry", label: "Registry", values: [`${s.registry.status}${s.registry.owner ? `, owner ${s.registry.owner}` : ""}`] },
          ...s.sensors.map((x) => ({
            var: `sensor.${x.id}`,
            label: x.id,
            values: [
              `${x.ageSeconds === undefined ? "never read" : `read ${formatSeconds(x.ageSeconds)} ago`}, ${x.errorCount} errors${x.failing ? `, FAILING: ${x.lastError ?? "?"}` : ""}`,
            ],
          })),
        ],
      }),
    };
  };
  return {
    node: NODE_STATUS,
    name: "Status",
    allowed: (from) => mayRead(api, from),
    start: () => Promise.resolve(result()),
    submit: () => Promise.resolve(result()),
  };
}
