// The demo's people part: how to reach the Thing from a chat app, one chat exchange and one
// pushed value (an IEEE event subscription), so a new user sees both.
import { xml, type Element } from "@xmpp/xml";
import { buildSubscribe, NS_IEEE_EVENTS } from "../../agent/protocol/events.js";
import { parseIeeeResp } from "../../agent/protocol/ieee-sensordata.js";
import type { ReaderClient } from "./reader-client.js";

export async function showPeople(owner: ReaderClient, thing: string): Promise<void> {
  const bare = thing.split("/")[0]!;
  console.log(`\nFrom a chat app (Conversations, Gajim, Dino, Monal, ...) logged in as the owner, add ${bare}`);
  console.log("as a contact and write `?` (every value), `temp?`, `:=` (outputs), `status` or `#` (the menu).");
  console.log("Apps with ad-hoc commands (Gajim, Psi, Movim, Cheogram) also list Read sensors and Status.\n");

  const answer = owner.waitFor((el) => el.name === "message" && el.attrs.from?.startsWith(bare) === true && el.getChild("body") !== undefined);
  await owner.conn.entity.send(xml("message", { to: bare, type: "chat" }, xml("body", {}, "?")));
  console.log("owner> ?");
  console.log(`thing> ${(await answer).getChildText("body")?.split("\n").join("\n       ")}`);

  const isPush = (el: Element) => el.name === "message" && el.getChild("resp", "urn:ieee:iot:sd:1.0")?.attrs.id === "demo";
  const push = owner.waitFor(isPush, 15_000);
  await owner.iq(
    xml("iq", { type: "get", to: thing }, buildSubscribe(NS_IEEE_EVENTS, { id: "demo", nodes: ["room"], fields: [{ name: "temperature" }], minInt: "PT1S" })),
  );
  console.log("\nSubscribed to room temperature changes (urn:ieee:iot:events:1.0); waiting for a push…");
  const fields = parseIeeeResp((await push).getChild("resp")!).fields;
  for (const f of fields) console.log(`pushed: ${f.node} ${f.name} = ${f.value} ${f.unit ?? ""}`);
  await owner.iq(xml("iq", { type: "set", to: thing }, xml("unsubscribe", { xmlns: NS_IEEE_EVENTS, id: "demo" })));
}
