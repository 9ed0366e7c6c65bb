// The login form: JID, password (never stored), WebSocket URL found by XEP-0156 or entered,
// Thing Registry found on the JID's domain (disco#items, as thingd does) or entered.
import { h } from "./dom.js";
import { discoverWebSocket } from "./host-meta.js";
import { Session } from "./session.js";
import { webSocketUrlProblem } from "./url-policy.js";

const SERVICE_KEY = "thingd-console.service";
const JID_KEY = "thingd-console.jid";
const REGISTRY_KEY = "thingd-console.registry";

export function loginView(onLogin: (s: Session) => void): HTMLElement {
  const params = new URLSearchParams(location.search);
  const jid = h("input", { id: "jid", name: "jid", type: "email", autocomplete: "username", required: true, placeholder: "owner@example.org", value: params.get("jid") ?? localStorage.getItem(JID_KEY) ?? "" });
  const password = h("input", { id: "password", name: "password", type: "password", autocomplete: "current-password", required: true });
  const service = h("input", { id: "service", name: "service", type: "url", placeholder: "found from the JID's domain (host-meta), or wss://host/xmpp-websocket", value: params.get("service") ?? localStorage.getItem(SERVICE_KEY) ?? "" });
  const registry = h("input", { id: "registry", name: "registry", type: "text", placeholder: "found on the JID's domain, or registry.example.org", value: params.get("registry") ?? localStorage.getItem(REGISTRY_KEY) ?? "" });
  const message = h("p", { id: "login-message", role: "alert", class: "message" });
  const submit = h("button", { type: "submit" }, "Log in");
  const form = h(
    "form",
    { class: "login", "aria-labelledby": "login-title" },
    h("h1", { id: "login-title" }, "thingd console"),
    h("label", { for: "jid" }, "JID"),
    jid,
    h("label", { for: "password" }, "Password"),
    password,
    h("label", { for: "service" }, "WebSocket URL (optional)"),
    service,
    h("label", { for: "registry" }, "Thing Registry (optional)"),
    registry,
    submit,
    message,
  );
  form.addEventListener("submit", (ev) => {
    ev.preventDefault();
    message.textContent = "";
    submit.disabled = true;
    void login()
      .catch((err: Error) => {
        message.textContent = err.message;
      })
      .finally(() => {
        submit.disabled = false;
      });
  });

  async function login(): Promise<void> {
    let url = service.value.trim();
    if (!url) {
      message.textContent = "Looking up the WebSocket endpoint…";
      const domain = jid.value.split("@")[1]?.split("/")[0] ?? "";
      url = (await discoverWebSocket(domain)) ?? "";
      if (!url) throw new Error(`${domain || "The server"} does not announce a WebSocket endpoint (host-meta); enter its URL.`);
      message.textContent = "";
    }
    const problem = webSocketUrlProblem(url);
    if (problem) throw new Error(`WebSocket URL: ${problem}`);
    const session = await Session.login({ service: url, jid: jid.value.trim(), password: password.value, pollMs: Number(params.get("poll")) || 2_000, registry: registry.value.trim(), statusMs: Number(params.get("status")) || 30_000 });
    password.value = "";
    localStorage.setItem(SERVICE_KEY, service.value.trim());
    localStorage.setItem(JID_KEY, jid.value.trim());
    localStorage.setItem(REGISTRY_KEY, registry.value.trim());
    onLogin(session);
  }
  return form;
}
