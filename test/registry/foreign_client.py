#!/usr/bin/python3
"""A foreign XMPP client for the registry e2e tests: slixmpp (Debian python3-slixmpp), not
thingd's code. It logs in, then reads JSON commands on stdin, one a line, and prints one JSON
answer a line on stdout:

  {"op": "iq", "to": JID, "type": "set"|"get", "payload": "<mine xmlns=.../>"}
      -> {"type": "result"|"error", "xml": "<iq .../>"}
  {"op": "chat", "to": JID, "body": TEXT}   (waits for the next chat message from `to`)
      -> {"body": TEXT}
  {"op": "quit"}

Usage: foreign_client.py JID PASSWORD HOST PORT CA_FILE
"""
import asyncio
import json
import sys

import slixmpp
from slixmpp.exceptions import IqError, IqTimeout
from slixmpp.xmlstream import ET


class ForeignClient(slixmpp.ClientXMPP):
    def __init__(self, jid, password):
        super().__init__(jid, password)
        self.inbox = asyncio.Queue()
        self.started = False
        self.add_event_handler("disconnected", lambda e: sys.stderr.write("disconnected %r\n" % (e,)))
        self.add_event_handler("session_start", self.on_start)
        self.add_event_handler("message", self.on_message)
        self.add_event_handler("failed_auth", lambda _e: self.answer({"fatal": "auth failed"}))

    def answer(self, obj):
        sys.stdout.write(json.dumps(obj) + "\n")
        sys.stdout.flush()

    async def on_start(self, _event):
        sys.stderr.write("session started\n")
        self.send_presence()
        await self.get_roster()
        if self.started:
            return
        self.started = True
        self.answer({"ready": True})
        self.runner = asyncio.ensure_future(self.commands())

    def on_message(self, msg):
        if msg["type"] in ("chat", "normal"):
            self.inbox.put_nowait(msg)

    async def commands(self):
        reader = asyncio.StreamReader()
        await asyncio.get_running_loop().connect_read_pipe(lambda: asyncio.StreamReaderProtocol(reader), sys.stdin)
        while True:
            line = await reader.readline()
            if not line:
                break
            try:
                cmd = json.loads(line)
            except ValueError:
                self.answer({"fatal": "bad command"})
                continue
            if cmd["op"] == "quit":
                break
            sys.stderr.write("cmd %s\n" % line.decode().strip()[:200])
            try:
                self.answer(await self.run(cmd))
            except Exception as err:  # report, keep serving
                self.answer({"exception": repr(err)})
        self.disconnect()

    async def run(self, cmd):
        if cmd["op"] == "iq":
            iq = self.make_iq(id=self.new_id(), ito=cmd["to"], itype=cmd["type"])
            iq.append(ET.fromstring(cmd["payload"]))
            try:
                reply = await iq.send(timeout=cmd.get("timeout", 20))
            except IqError as err:
                reply = err.iq
            except IqTimeout:
                return {"type": "timeout"}
            return {"type": reply["type"], "xml": str(reply)}
        if cmd["op"] == "chat":
            while not self.inbox.empty():
                self.inbox.get_nowait()
            self.send_message(mto=cmd["to"], mbody=cmd["body"], mtype="chat")
            while True:
                msg = await asyncio.wait_for(self.inbox.get(), cmd.get("timeout", 20))
                if msg["from"].bare == cmd["to"]:
                    return {"body": msg["body"]}
        return {"fatal": "unknown op"}


def main():
    jid, password, host, port, ca_file = sys.argv[1:6]
    client = ForeignClient(jid, password)
    client.ca_certs = ca_file
    client.connect((host, int(port)))
    asyncio.get_event_loop().run_until_complete(client.disconnected)


if __name__ == "__main__":
    main()
