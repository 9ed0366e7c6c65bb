"""A foreign XEP-0050 client for the people e2e test: slixmpp (Debian python3-slixmpp) lists the
Thing's commands, runs "Status" (one step) and "Read sensors" the way a GUI client does (execute,
take the form with its defaults, complete), and prints what it saw as JSON on stdout.

Usage: adhoc_client.py JID PASSWORD HOST PORT CA_FILE TARGET_JID
"""
import asyncio
import json
import sys

import slixmpp

COMMANDS = "http://jabber.org/protocol/commands"


class AdhocClient(slixmpp.ClientXMPP):
    def __init__(self, jid, password, target, ca):
        super().__init__(jid, password)
        self.target = target
        self.ca_certs = ca
        self.out = {}
        self.done = asyncio.get_event_loop().create_future()
        for plugin in ("xep_0030", "xep_0004", "xep_0050"):
            self.register_plugin(plugin)
        self.add_event_handler("session_start", self.start)

    async def start(self, _event):
        try:
            self.send_presence()
            items = await self["xep_0030"].get_items(jid=self.target, node=COMMANDS, timeout=10)
            self.out["commands"] = [name for (_jid, _node, name) in items["disco_items"]["items"]]
            status = await self["xep_0050"].send_command(self.target, "urn:thingd:cmd:status", timeout=10)
            self.out["status"] = {
                "status": status["command"]["status"],
                "fields": dict(status["command"]["form"]["values"]),
            }
            session = {"next": self.on_form, "error": self.on_error}
            self["xep_0050"].start_command(self.target, "urn:thingd:cmd:read", session)
        except Exception as err:  # reported, not raised: the test reads the JSON
            self.out["error"] = repr(err)
            self.finish()

    def on_form(self, iq, session):
        form = iq["command"]["form"]
        fields = form.get_fields()
        self.out["read_form"] = {"status": iq["command"]["status"], "fields": list(fields.keys())}
        answer = self["xep_0004"].make_form(ftype="submit")
        for var, field in fields.items():
            answer.add_field(var=var, value=field["value"])
        session["payload"] = answer
        session["next"] = self.on_result
        self["xep_0050"].complete_command(session)

    def on_result(self, iq, _session):
        form = iq["command"]["form"]
        self.out["read"] = {
            "status": iq["command"]["status"],
            "rows": [" ".join(str(item[k]) for k in ("node", "field", "value", "unit")) for item in form["items"]],
        }
        self.finish()

    def on_error(self, iq, _session):
        self.out["error"] = iq["error"]["condition"]
        self.finish()

    def finish(self):
        if not self.done.done():
            self.done.set_result(True)


async def main():
    jid, password, host, port, ca, target = sys.argv[1:7]
    client = AdhocClient(jid, password, target, ca)
    client.connect(address=(host, int(port)))
    try:
        await asyncio.wait_for(client.done, 30)
    except asyncio.TimeoutError:
        client.out["error"] = "timeout"
    print(json.dumps(client.out))
    client.disconnect()
    await asyncio.sleep(0.2)


if __name__ == "__main__":
    asyncio.run(main())
