// The Thing core: wires the XMPP session to the sensor-data service, registration, presence
// and the small supporting protocols. Wiring only; behaviour lives in the modules it uses.
import os from "node:os";
import type { Logger } from "pino";
import { xml, type Element } from "@xmpp/xml";
import type { ThingConfig } from "./config/types.js";
import { AccessPolicy } from "./access/policy.js";
import type { Poller } from "./sensors/poller.js";
import { Registration } from "./ownership/registration.js";
import { Subscriptions } from "./access/presence.js";
import { SensorDataService } from "./sensordata/service.js";
import { ControlService, type ControlAuthorizer } from "./control/service.js";
import type { StateStore } from "./ownership/state.js";
import { boardSerial } from "./ownership/board.js";
import { VERSION } from "./version.js";
import { NS_CONTROL, NS_DISCO_INFO, NS_DISCO_ITEMS, NS_PING, NS_PROVISIONING, NS_ROSTER, NS_SENSORDATA, NS_VERSION } from "./protocol/ns.js";
import { DISCOVERY_NAMESPACES } from "./protocol/discovery.js";
import { ProvisioningClient } from "./access/provisioning.js";
import { buildDiscoInfo, buildDiscoItems, buildVersion } from "./protocol/service-info.js";
import { ProtocolError } from "./errors.js";
import { IEEE_NAMESPACES } from "./protocol/ieee-sensordata.js";
import { IqRouter } from "./transport/iq-router.js";
import { sendFollowUp, type FollowUp } from "./transport/follow-up.js";
import { DEFAULT_LIMITS, RequestGate } from "./access/gate.js";
import { Supervisor } from "./transport/supervisor.js";
import { discoverServices, Endpoints } from "./transport/endpoints.js";
import type { XmppConnection } from "./transport/connection.js";
import type { BackoffPolicy } from "./transport/backoff.js";
import type { HistorySource } from "./history/outcomes.js";
import { People, PEOPLE_FEATURES } from "./people/people.js";
import { ThingApi, type Reading } from "./people/thing-api.js";
import { DEFAULT_EVENT_LIMITS } from "./events/manager.js";
import { buildCaps, capsVerOf, CAPS_NODE } from "./protocol/caps.js";
import { buildStatusSnapshot, type StatusInputs, type StatusSnapshot } from "./ops/status.js";

export interface ThingOptions {
  config: ThingConfig;
  /** The live sensors (a function, so a reload can swap them). */
  pollers: readonly Poller[] | (() => readonly Poller[]);
  store: StateStore;
  log: Logger;
  /** PEM of the extra CA, read by the caller. */
  ca?: string;
  backoff?: BackoffPolicy;
  /** The local history store, for historical readouts. */
  history?: HistorySource;
  /** Who may use XEP-0325 control; default: owner, else provisioning canControl, else `access.controllers`. */
  authorizeControl?: ControlAuthorizer;
  /** What the daemon adds to the status snapshot (`thingd status`, chat `status`): the clock. */
  statusExtras?: () => Pick<StatusInputs, "clock">;
  /** When the process started (the status uptime); default: when the Thing was made. */
  startedAt?: Date;
}

export class Thing {
  readonly supervisor: Supervisor;
  readonly access: AccessPolicy;
  readonly sensorData: SensorDataService;
  readonly control: ControlService;
  readonly registration: Registration;
  /** The status snapshot (`thingd status`, chat `status`, the status ad-hoc command). */
  readonly statusSnapshot: () => StatusSnapshot;
  /** XEP-0324 client, when `provisioning.jid` is configured. */
  readonly provisioning: ProvisioningClient | undefined;
  readonly #router: IqRouter;
  readonly gate: RequestGate;
  readonly #log: Logger;
  #configOwner: string | undefined;
  readonly #subscriptions: Subscriptions;
  /** Chat, ad-hoc commands, event pushes and alerts (docs/people.md). */
  readonly people: People;
  #peopleConfig: Pick<ThingConfig, "subscriptions" | "alerts">;

  constructor(private readonly o: ThingOptions) {
    const { config, store } = o;
    this.#log = o.log.child({ module: "thing" });
    if (config.provisioning) {
      this.provisioning = new ProvisioningClient({
        jid: config.provisioning.jid,
        cacheMs: config.provisioning.cacheMs,
        timeoutMs: config.provisioning.timeoutMs,
        log: o.log.child({ module: "provisioning" }),
        request: (stanza, timeoutMs) => this.supervisor.request(stanza, timeoutMs),
        send: (stanza) => this.supervisor.send(stanza),
      });
    }
    this.access = new AccessPolicy(config.access.readers, () => store.state.owner ?? this.#configOwner, this.provisioning, config.access.controllers);
    this.#configOwner = config.access.owner;

    const reconnectBackoff = o.backoff ?? config.xmpp.reconnect?.network;
    this.supervisor = new Supervisor({
      connection: {
        service: config.xmpp.service,
        domain: config.xmpp.domain,
        jid: config.xmpp.jid,
        password: config.xmpp.password,
        resource: config.xmpp.resource,
        ...(o.ca ? { ca: o.ca } : {}),
        tlsRequired: config.xmpp.tls.required,
      },
      log: o.log.child({ module: "transport" }),
      endpoints: new Endpoints(config.xmpp.services, () => discoverServices(config.xmpp.domain)),
      keepaliveMs: config.xmpp.keepaliveSeconds * 1000,
      ...(reconnectBackoff && { backoff: reconnectBackoff }),
      ...(config.xmpp.reconnect && { conflictBackoff: config.xmpp.reconnect.conflict }),
      ...(config.xmpp.streamManagement === false && { streamManagement: false }),
      install: (conn) => this.#install(conn),
      online: (conn) => this.#online(conn),
      resumed: () => this.#resumed(),
    });

    const pollers = o.pollers;
    this.sensorData = new SensorDataService({
      pollers: typeof pollers === "function" ? pollers : () => pollers,
      access: this.access,
      log: o.log.child({ module: "sensordata" }),
      history: o.history,
    });
    this.control = new ControlService(
      typeof pollers === "function" ? pollers : () => pollers,
      o.authorizeControl ?? ((from, nodeIds, paramNames, tokens) => this.access.mayControl(from, nodeIds, paramNames, tokens)),
      o.log.child({ module: "control" }),
    );

    const serial = boardSerial();
    this.#subscriptions = new Subscriptions({
      access: this.access,
      unclaimed: () => this.provisioning === undefined && store.state.owner === undefined && this.#configOwner === undefined,
      send: (stanza) => this.supervisor.send(stanza),
      log: this.#log,
    });
    this.registration = new Registration({
      onClaimed: (owner) => this.#subscriptions.settle(owner),
      registry: config.registry.jid,
      domain: config.xmpp.domain,
      meta: { ...(serial ? { SN: serial } : {}), ...config.registry.meta },
      store,
      log: o.log.child({ module: "registry" }),
      request: (stanza) => this.supervisor.request(stanza),
      send: (stanza) => this.supervisor.send(stanza),
      isOnline: () => this.supervisor.state === "online",
      ...(o.backoff ? { backoff: o.backoff } : {}),
    });

    this.gate = new RequestGate({
      limits: config.limits ?? DEFAULT_LIMITS,
      exempt: () => [config.xmpp.domain, this.registration.registry],
      isOwner: (from) => this.access.isOwner(from),
      // With provisioning, strangers may be allowed: the sensor-data service asks per request.
      canRead: (from) => this.provisioning !== undefined || this.access.canRead(from),
    });

    const startedAt = o.startedAt ?? new Date();
    this.statusSnapshot = (): StatusSnapshot =>
      buildStatusSnapshot({
        pollers: livePollers(),
        supervisor: this.supervisor,
        state: store.state,
        jid: config.xmpp.jid,
        registryJid: config.registry.jid,
        startedAt,
        version: VERSION,
        memoryUsage: process.memoryUsage(),
        pid: process.pid,
        now: new Date(),
        ...o.statusExtras?.(),
      });
    const livePollers = typeof pollers === "function" ? pollers : () => pollers;
    const api: ThingApi = new ThingApi({
      pollers: livePollers,
      access: this.access,
      control: this.control,
      status: () => this.statusSnapshot(),
    });
    this.#peopleConfig = config;
    this.people = new People({
      api,
      send: (...stanzas) => this.supervisor.send(...stanzas),
      ownJid: () => config.xmpp.jid,
      owner: () => store.state.owner ?? this.#configOwner,
      eventLimits: () => this.#peopleConfig.subscriptions ?? DEFAULT_EVENT_LIMITS,
      alerts: config.alerts ?? [],
      log: o.log,
    });

    const name = `thingd ${config.xmpp.resource}`;
    this.#router = new IqRouter(this.#log, config.xmpp.domain)
      .on("get", NS_SENSORDATA, "req", this.sensorData.handleRequest)
      .on("get,set", NS_SENSORDATA, "cancel", this.sensorData.handleCancel)
      .on("get", NS_DISCO_INFO, "query", ({ child }) => {
        const node = child.attrs.node;
        const info = this.#discoInfo(name);
        if (node === `${CAPS_NODE}#${capsVerOf(info)}`) return this.#discoInfo(name, node); // XEP-0115 §6.2
        if (node) {
          const own = this.people.discoInfo(node);
          if (!own) throw new ProtocolError("item-not-found", `Unknown node "${node}".`);
          return own;
        }
        return info;
      })
      .on("get", NS_DISCO_ITEMS, "query", async ({ stanza, child, from }) => {
        const node = child.attrs.node;
        return (await this.people.discoItems(node, from, stanza.attrs.to ?? config.xmpp.jid)) ?? buildDiscoItems(node);
      })
      .on("get", NS_PING, "ping", () => undefined)
      // Strangers learn nothing (a version to look up exploits for, the kernel): as if there
      // were no such service. The owner and readers get it with the OS.
      .on("get", NS_VERSION, "query", ({ from }) => {
        if (!this.access.canRead(from)) throw new ProtocolError("service-unavailable", "");
        return buildVersion("thingd", VERSION, `${os.type()} ${os.release()}`);
      });
    for (const ns of DISCOVERY_NAMESPACES) {
      this.#router
        .on("set", ns, "claimed", this.registration.handleClaimed)
        .on("set", ns, "removed", this.registration.handleRemoved)
        .on("set", ns, "disowned", this.registration.handleDisowned);
    }
    if (this.provisioning) this.#router.on("set", NS_PROVISIONING, "clearCache", this.provisioning.handleClearCache);
    // The IEEE successor dialect (docs/protocol.md §1.8), in each of its namespaces; IoTGateway
    // accepts <req> and <cancel> in get and set alike.
    for (const ns of IEEE_NAMESPACES) {
      this.#router.on("get,set", ns, "req", this.sensorData.handleRequest).on("get,set", ns, "cancel", this.sensorData.handleCancel);
    }
    this.#router.on("set", NS_CONTROL, "set", this.control.handleSet).on("get", NS_CONTROL, "getForm", this.control.handleGetForm);
    this.people.route(this.#router);
  }

  #discoInfo(name: string, node?: string): Element {
    return buildDiscoInfo(name, node, [...(this.control.hasParameters ? [NS_CONTROL] : []), ...PEOPLE_FEATURES]);
  }

  /** Every good reading of every sensor (event pushes and alerts come from these). */
  onReading(nodeId: string, reading: Reading): void {
    this.people.onReading(nodeId, reading);
  }

  /** Apply reloaded `subscriptions` limits and `alerts` (SIGHUP). */
  updatePeople(config: Pick<ThingConfig, "subscriptions" | "alerts">): void {
    this.#peopleConfig = config;
    this.people.alerts.setRules(config.alerts ?? []);
  }

  /** Apply a reloaded `access` section (SIGHUP); takes effect for the next request. */
  updateAccess(access: ThingConfig["access"]): void {
    this.#configOwner = access.owner;
    this.access.setReaders(access.readers);
    this.access.setControllers(access.controllers);
  }

  start(): void {
    this.supervisor.start();
    this.people.start();
  }

  async stop(): Promise<void> {
    this.registration.stop();
    this.sensorData.cancelAll();
    this.people.stop();
    await this.supervisor.stop();
  }

  #install(conn: XmppConnection): void {
    conn.middleware.use(async (ctx: { stanza: Element }, next: () => Promise<unknown>) => {
      const { stanza } = ctx;
      try {
        if (stanza.name === "iq") {
          const refused = this.gate.check(stanza); // strangers and floods, before any parsing
          if (refused) return void (await conn.entity.send(refused));
          const out = await this.#router.dispatch(stanza);
          if (!out) return await next();
          if (out.send.length === 1) await conn.entity.send(out.send[0]!);
          else if (out.send.length > 1) await conn.entity.sendMany(out.send); // one socket write
          if (out.followUp) this.#follow(out.followUp);
          return undefined;
        }
        if (stanza.name === "presence") {
          this.registration.handlePresence(stanza);
          this.people.handlePresence(stanza);
          return void (await this.#subscriptions.handle(stanza));
        }
        if (stanza.name === "message" && this.provisioning) await this.provisioning.handleMessage(stanza);
        const set = stanza.name === "message" && stanza.attrs.type !== "error" ? stanza.getChild("set", NS_CONTROL) : undefined;
        if (set) return void this.control.handleMessage(stanza, set); // fire-and-forget: no reply (§3.2)
        if (stanza.name === "message" && (await this.people.handleMessage(stanza))) return undefined;
      } catch (err) {
        // Nothing from the network may crash the agent.
        this.#log.error({ err, stanza: stanza.toString().slice(0, 500) }, "failed to handle stanza");
        return undefined;
      }
      return next();
    });
  }

  /**
   * Sends what a handler yields after its reply (a readout's data), in order, each batch in one
   * write on whatever session is current by then; runs on its own, the next stanza need not wait.
   */
  #follow(followUp: FollowUp): void {
    void sendFollowUp(followUp, (batch) => this.supervisor.send(...batch)).catch((err: unknown) => {
      this.#log.error({ err }, "failed to send a follow-up");
    });
  }

  /**
   * A lost session resumed (XEP-0198, docs/reconnect.md "Stream management"): the server kept
   * our presence, roster and subscriptions, so nothing of #online is repeated (no second
   * presence, no registry round trip); only a registration the blip interrupted carries on.
   */
  async #resumed(): Promise<void> {
    // Registered earlier in this run: returns without a stanza. Claimed: nothing to redo.
    const status = this.o.store.state.status;
    if (status !== "CLAIMED" && status !== "REMOVED") await this.registration.ensureRegistered();
  }

  /** Every new session: roster, initial presence, registration (docs/protocol.md §4). */
  async #online(conn: XmppConnection): Promise<void> {
    try {
      await conn.iqCaller.request(xml("iq", { type: "get" }, xml("query", { xmlns: NS_ROSTER })), 15_000);
    } catch (err) {
      this.#log.warn({ err }, "roster request failed");
    }
    // XEP-0115 caps: clients see our commands and features without asking (docs/people.md).
    await conn.entity.send(xml("presence", {}, buildCaps(capsVerOf(this.#discoInfo(`thingd ${this.o.config.xmpp.resource}`)))));
    await this.registration.ensureRegistered();
  }
}
