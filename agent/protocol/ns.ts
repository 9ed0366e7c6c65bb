// Namespaces we speak. XEP-0323 v0.6 (Retracted), XEP-0347 v0.5.1 (Deferred); see docs/protocol.md.
export const NS_SENSORDATA = "urn:xmpp:iot:sensordata";
export const NS_DISCOVERY = "urn:xmpp:iot:discovery";
export const NS_STANZAS = "urn:ietf:params:xml:ns:xmpp-stanzas";
export const NS_DISCO_INFO = "http://jabber.org/protocol/disco#info";
export const NS_DISCO_ITEMS = "http://jabber.org/protocol/disco#items";
export const NS_PING = "urn:xmpp:ping";
export const NS_VERSION = "jabber:iq:version";
export const NS_ROSTER = "jabber:iq:roster";
/** The IEEE/NFI id-based successor of XEP-0323 (docs/protocol.md §1.8); the first is the current one. */
export const NS_IEEE_SENSORDATA = "urn:ieee:iot:sd:1.0";
export const NS_IEEE_SENSORDATA_ALIASES = ["urn:ieee:iot:sd", "urn:nfi:iot:sd:1.0"] as const;
/** XEP-0347's IEEE successor namespace: the same element names (docs/protocol.md §1.8). */
export const NS_DISCOVERY_IEEE = "urn:ieee:iot:disco:1.0";
export const NS_PROVISIONING = "urn:xmpp:iot:provisioning";
export const NS_CONTROL = "urn:xmpp:iot:control";
