-- KINK (RFC 4430) dissector for Wireshark / tshark, written in Lua.
--
-- Why: Wireshark's built-in "kink" dissector follows draft-ietf-kink-kink-jp-04 and mis-decodes
-- every RFC 4430 message from octet 12 on (CksumLen and NextPayload swapped, payload types 14-21
-- instead of 1-8, Cksum before the payloads). This one decodes the RFC layout and takes UDP port
-- 910 over from the built-in dissector.
--
-- How to load it (see README.md next to this file):
--   tshark -X lua_script:/path/to/kink.lua -r capture.pcap
--   or copy it into ~/.local/lib/wireshark/plugins/ (Wireshark and tshark load it at start).
-- To decrypt the tickets inside AP-REQ / TGT payloads, give Wireshark's Kerberos dissector a keytab:
--   -o kerberos.decrypt:TRUE -o kerberos.file:/path/to/keytab
-- The protocol is named "kink4430" (the name "kink" belongs to the built-in dissector); display
-- filters use that prefix, e.g. kink4430.type == 1, kink4430.isakmp.transform.id == 12.
--
-- Section references: [4430 §x] = RFC 4430, [2408 §x] = ISAKMP, [2407 §x] = IPsec DOI.

local KINK_PORT = 910 -- [4430 §9, §11]
local HEADER_LENGTH = 16 -- [4430 §4]
local KINK_ERROR_LENGTH = 8 -- [4430 §4.2.8]

local kink = Proto("kink4430", "KINK (RFC 4430)")

---------------------------------------------------------------------------------------------------
-- Name tables

local MESSAGE_TYPES = { -- [4430 §4]
  [0] = "RESERVED", [1] = "CREATE", [2] = "DELETE", [3] = "REPLY", [4] = "GETTGT", [5] = "ACK", [6] = "STATUS",
}

local PAYLOAD = { -- [4430 §4.2]
  DONE = 0, AP_REQ = 1, AP_REP = 2, KRB_ERROR = 3, TGT_REQ = 4, TGT_REP = 5, ISAKMP = 6, ENCRYPT = 7, ERROR = 8,
}
local PAYLOAD_NAMES = {}
for name, value in pairs(PAYLOAD) do PAYLOAD_NAMES[value] = "KINK_" .. name end

local DOI_NAMES = { [1] = "IPsec" } -- [4430 §4]

local ERROR_CODES = { -- [4430 §4.2.8]; 4 is RESERVED in the RFC, racoon2 still sends it as KINK_INVMIN
  [0] = "KINK_OK", [1] = "KINK_PROTOERR", [2] = "KINK_INVDOI", [3] = "KINK_INVMAJ",
  [4] = "RESERVED (racoon2: KINK_INVMIN)", [5] = "KINK_INTERR", [6] = "KINK_BADQMVERS", [7] = "KINK_U2UDENIED",
}

local ISAKMP = { -- [2408 §3.1]
  SA = 1, PROPOSAL = 2, TRANSFORM = 3, KE = 4, ID = 5, NONCE = 10, NOTIFY = 11, DELETE = 12,
}
local ISAKMP_PAYLOAD_NAMES = {
  [0] = "NONE", [1] = "Security Association", [2] = "Proposal", [3] = "Transform", [4] = "Key Exchange",
  [5] = "Identification", [6] = "Certificate", [7] = "Certificate Request", [8] = "Hash", [9] = "Signature",
  [10] = "Nonce", [11] = "Notification", [12] = "Delete", [13] = "Vendor ID",
}

local SITUATIONS = { [1] = "SIT_IDENTITY_ONLY", [2] = "SIT_SECRECY", [4] = "SIT_INTEGRITY" } -- [2407 §4.2]

local PROTOCOL_IDS = { [1] = "PROTO_ISAKMP", [2] = "PROTO_IPSEC_AH", [3] = "PROTO_IPSEC_ESP", [4] = "PROTO_IPCOMP" } -- [2407 §4.4.1]

local TRANSFORM_IDS = { -- by protocol id: [2407 §4.4.3-§4.4.5], AES-CBC 12 and AES-CTR 13 from the IANA registry
  [2] = { [2] = "AH_MD5", [3] = "AH_SHA", [4] = "AH_DES", [5] = "AH_SHA2-256", [6] = "AH_SHA2-384", [7] = "AH_SHA2-512" },
  [3] = {
    [1] = "ESP_DES_IV64", [2] = "ESP_DES", [3] = "ESP_3DES", [4] = "ESP_RC5", [5] = "ESP_IDEA", [6] = "ESP_CAST",
    [7] = "ESP_BLOWFISH", [8] = "ESP_3IDEA", [9] = "ESP_DES_IV32", [10] = "ESP_RC4", [11] = "ESP_NULL",
    [12] = "ESP_AES-CBC", [13] = "ESP_AES-CTR",
  },
  [4] = { [1] = "IPCOMP_OUI", [2] = "IPCOMP_DEFLATE", [3] = "IPCOMP_LZS" },
}

local ATTRIBUTE_CLASSES = { -- [2407 §4.5]
  [1] = "SA Life Type", [2] = "SA Life Duration", [3] = "Group Description", [4] = "Encapsulation Mode",
  [5] = "Authentication Algorithm", [6] = "Key Length", [7] = "Key Rounds", [8] = "Compress Dictionary Size",
  [9] = "Compress Private Algorithm",
}
local ATTRIBUTE_VALUES = { -- by class [2407 §4.5]
  [1] = { [1] = "seconds", [2] = "kilobytes" },
  [3] = { [1] = "768-bit MODP", [2] = "1024-bit MODP", [5] = "1536-bit MODP", [14] = "2048-bit MODP" },
  [4] = { [1] = "Tunnel", [2] = "Transport" },
  [5] = {
    [1] = "HMAC-MD5", [2] = "HMAC-SHA", [3] = "DES-MAC", [4] = "KPDK",
    [5] = "HMAC-SHA2-256", [6] = "HMAC-SHA2-384", [7] = "HMAC-SHA2-512",
  },
}

local ID_TYPES = { -- [2407 §4.6.2.1]
  [1] = "ID_IPV4_ADDR", [2] = "ID_FQDN", [3] = "ID_USER_FQDN", [4] = "ID_IPV4_ADDR_SUBNET", [5] = "ID_IPV6_ADDR",
  [6] = "ID_IPV6_ADDR_SUBNET", [7] = "ID_IPV4_ADDR_RANGE", [8] = "ID_IPV6_ADDR_RANGE", [9] = "ID_DER_ASN1_DN",
  [10] = "ID_DER_ASN1_GN", [11] = "ID_KEY_ID",
}

local NOTIFY_TYPES = { -- [2408 §3.14.1], [2407 §4.6.3]
  [1] = "INVALID-PAYLOAD-TYPE", [2] = "DOI-NOT-SUPPORTED", [3] = "SITUATION-NOT-SUPPORTED", [4] = "INVALID-COOKIE",
  [5] = "INVALID-MAJOR-VERSION", [6] = "INVALID-MINOR-VERSION", [7] = "INVALID-EXCHANGE-TYPE",
  [8] = "INVALID-FLAGS", [9] = "INVALID-MESSAGE-ID", [10] = "INVALID-PROTOCOL-ID", [11] = "INVALID-SPI",
  [12] = "INVALID-TRANSFORM-ID", [13] = "ATTRIBUTES-NOT-SUPPORTED", [14] = "NO-PROPOSAL-CHOSEN",
  [15] = "BAD-PROPOSAL-SYNTAX", [16] = "PAYLOAD-MALFORMED", [17] = "INVALID-KEY-INFORMATION",
  [18] = "INVALID-ID-INFORMATION", [19] = "INVALID-CERT-ENCODING", [20] = "INVALID-CERTIFICATE",
  [21] = "CERT-TYPE-UNSUPPORTED", [22] = "INVALID-CERT-AUTHORITY", [23] = "INVALID-HASH-INFORMATION",
  [24] = "AUTHENTICATION-FAILED", [25] = "INVALID-SIGNATURE", [26] = "ADDRESS-NOTIFICATION",
  [27] = "NOTIFY-SA-LIFETIME", [28] = "CERTIFICATE-UNAVAILABLE", [29] = "UNSUPPORTED-EXCHANGE-TYPE",
  [30] = "UNEQUAL-PAYLOAD-LENGTHS", [16384] = "CONNECTED", [24576] = "RESPONDER-LIFETIME",
  [24577] = "REPLAY-STATUS", [24578] = "INITIAL-CONTACT",
}

---------------------------------------------------------------------------------------------------
-- Fields

local f = {
  -- header [4430 §4]
  type = ProtoField.uint8("kink4430.type", "Type", base.DEC, MESSAGE_TYPES),
  mjver = ProtoField.uint8("kink4430.mjver", "MjVer", base.DEC, nil, 0xF0),
  resrvd = ProtoField.uint8("kink4430.resrvd", "RESRVED", base.HEX, nil, 0x0F),
  length = ProtoField.uint16("kink4430.length", "Length", base.DEC),
  doi = ProtoField.uint32("kink4430.doi", "Domain of Interpretation", base.DEC, DOI_NAMES),
  xid = ProtoField.uint32("kink4430.xid", "Transaction ID (XID)", base.DEC),
  next_payload = ProtoField.uint8("kink4430.next_payload", "Next Payload", base.DEC, PAYLOAD_NAMES),
  ackreq = ProtoField.bool("kink4430.ackreq", "ACKREQ", 8, nil, 0x80),
  reserved2 = ProtoField.uint8("kink4430.reserved2", "RESERVED2", base.HEX, nil, 0x7F),
  cksum_len = ProtoField.uint16("kink4430.cksum_len", "CksumLen", base.DEC),
  cksum = ProtoField.bytes("kink4430.cksum", "Cksum"),
  trailer = ProtoField.bytes("kink4430.trailer", "Octets after Length"),
  -- generic payload header [4430 §4.1]
  payload = ProtoField.uint8("kink4430.payload", "Payload", base.DEC, PAYLOAD_NAMES),
  payload_next = ProtoField.uint8("kink4430.payload.next", "Next Payload", base.DEC, PAYLOAD_NAMES),
  payload_reserved = ProtoField.uint8("kink4430.payload.reserved", "RESERVED", base.HEX),
  payload_length = ProtoField.uint16("kink4430.payload.length", "Payload Length", base.DEC),
  payload_data = ProtoField.bytes("kink4430.payload.data", "Payload data"),
  padding = ProtoField.bytes("kink4430.padding", "Padding"),
  -- payload bodies [4430 §4.2.1-§4.2.8]
  epoch = ProtoField.absolute_time("kink4430.epoch", "EPOCH", base.UTC),
  epoch_raw = ProtoField.uint32("kink4430.epoch.raw", "EPOCH (seconds since 1970)", base.DEC),
  ap_req = ProtoField.bytes("kink4430.ap_req", "AP-REQ (DER)"),
  ap_rep = ProtoField.bytes("kink4430.ap_rep", "AP-REP (DER)"),
  krb_error = ProtoField.bytes("kink4430.krb_error", "KRB-ERROR (DER)"),
  princ_name = ProtoField.string("kink4430.princ_name", "PrincName"),
  tgt = ProtoField.bytes("kink4430.tgt", "TGT (DER Ticket)"),
  ciphertext_len = ProtoField.uint16("kink4430.ciphertext_len", "Ciphertext length"),
  ciphertext = ProtoField.bytes("kink4430.ciphertext", "Ciphertext"),
  error_code = ProtoField.uint32("kink4430.error_code", "ErrorCode", base.DEC, ERROR_CODES),
  -- KINK_ISAKMP [4430 §4.2.6]
  inner_next = ProtoField.uint8("kink4430.isakmp.inner_next", "InnerNextPload", base.DEC, ISAKMP_PAYLOAD_NAMES),
  qm_version = ProtoField.uint8("kink4430.isakmp.qm_version", "QMVersion", base.HEX),
  qm_major = ProtoField.uint8("kink4430.isakmp.qm_major", "QMMaj", base.DEC, nil, 0xF0),
  qm_minor = ProtoField.uint8("kink4430.isakmp.qm_minor", "QMMin", base.DEC, nil, 0x0F),
  isakmp_reserved = ProtoField.uint16("kink4430.isakmp.reserved", "RESERVED", base.HEX),
  -- ISAKMP generic payload header [2408 §3.2]
  isakmp_payload = ProtoField.uint8("kink4430.isakmp.payload", "ISAKMP payload", base.DEC, ISAKMP_PAYLOAD_NAMES),
  isakmp_next = ProtoField.uint8("kink4430.isakmp.next_payload", "Next Payload", base.DEC, ISAKMP_PAYLOAD_NAMES),
  isakmp_payload_reserved = ProtoField.uint8("kink4430.isakmp.payload_reserved", "RESERVED", base.HEX),
  isakmp_length = ProtoField.uint16("kink4430.isakmp.payload_length", "Payload Length", base.DEC),
  isakmp_data = ProtoField.bytes("kink4430.isakmp.payload_data", "Payload data"),
  -- shared by Proposal, Notify, Delete [2408 §3.5, §3.14, §3.15]
  protocol_id = ProtoField.uint8("kink4430.isakmp.protocol_id", "Protocol-ID", base.DEC, PROTOCOL_IDS),
  spi_size = ProtoField.uint8("kink4430.isakmp.spi_size", "SPI Size", base.DEC),
  spi = ProtoField.bytes("kink4430.isakmp.spi", "SPI"),
  -- SA [2407 §4.6.1]
  sa_doi = ProtoField.uint32("kink4430.isakmp.sa.doi", "DOI", base.DEC, DOI_NAMES),
  sa_situation = ProtoField.uint32("kink4430.isakmp.sa.situation", "Situation", base.HEX, SITUATIONS),
  -- Proposal [2408 §3.5]
  proposal_number = ProtoField.uint8("kink4430.isakmp.proposal.number", "Proposal #", base.DEC),
  proposal_transforms = ProtoField.uint8("kink4430.isakmp.proposal.transforms", "# of Transforms", base.DEC),
  -- Transform [2408 §3.6]
  transform_number = ProtoField.uint8("kink4430.isakmp.transform.number", "Transform #", base.DEC),
  transform_id = ProtoField.uint8("kink4430.isakmp.transform.id", "Transform-ID", base.DEC),
  transform_reserved = ProtoField.uint16("kink4430.isakmp.transform.reserved", "RESERVED2", base.HEX),
  -- SA attributes [2408 §3.3]
  attr_format = ProtoField.bool("kink4430.isakmp.attr.format", "Basic (TV) format", 16, nil, 0x8000),
  attr_class = ProtoField.uint16("kink4430.isakmp.attr.class", "Class", base.DEC, ATTRIBUTE_CLASSES, 0x7FFF),
  attr_length = ProtoField.uint16("kink4430.isakmp.attr.length", "Length", base.DEC),
  attr_value = ProtoField.uint32("kink4430.isakmp.attr.value", "Value", base.DEC),
  attr_value_bytes = ProtoField.bytes("kink4430.isakmp.attr.value_bytes", "Value"),
  -- Nonce, KE [2408 §3.13, §3.7]
  nonce = ProtoField.bytes("kink4430.isakmp.nonce", "Nonce data"),
  ke = ProtoField.bytes("kink4430.isakmp.ke", "Key Exchange data"),
  -- ID [2407 §4.6.2]
  id_type = ProtoField.uint8("kink4430.isakmp.id.type", "ID Type", base.DEC, ID_TYPES),
  id_protocol = ProtoField.uint8("kink4430.isakmp.id.protocol", "Protocol ID", base.DEC),
  id_port = ProtoField.uint16("kink4430.isakmp.id.port", "Port", base.DEC),
  id_ipv4 = ProtoField.ipv4("kink4430.isakmp.id.ipv4", "IPv4 address"),
  id_ipv4_mask = ProtoField.ipv4("kink4430.isakmp.id.ipv4_mask", "IPv4 netmask"),
  id_ipv4_start = ProtoField.ipv4("kink4430.isakmp.id.ipv4_start", "IPv4 range start"),
  id_ipv4_end = ProtoField.ipv4("kink4430.isakmp.id.ipv4_end", "IPv4 range end"),
  id_ipv6 = ProtoField.ipv6("kink4430.isakmp.id.ipv6", "IPv6 address"),
  id_ipv6_mask = ProtoField.ipv6("kink4430.isakmp.id.ipv6_mask", "IPv6 netmask"),
  id_ipv6_start = ProtoField.ipv6("kink4430.isakmp.id.ipv6_start", "IPv6 range start"),
  id_ipv6_end = ProtoField.ipv6("kink4430.isakmp.id.ipv6_end", "IPv6 range end"),
  id_data = ProtoField.bytes("kink4430.isakmp.id.data", "Identification data"),
  -- Notify [2408 §3.14]
  notify_doi = ProtoField.uint32("kink4430.isakmp.notify.doi", "DOI", base.DEC, DOI_NAMES),
  notify_type = ProtoField.uint16("kink4430.isakmp.notify.type", "Notify Message Type", base.DEC, NOTIFY_TYPES),
  notify_data = ProtoField.bytes("kink4430.isakmp.notify.data", "Notification data"),
  -- Delete [2408 §3.15]
  delete_doi = ProtoField.uint32("kink4430.isakmp.delete.doi", "DOI", base.DEC, DOI_NAMES),
  delete_spi_count = ProtoField.uint16("kink4430.isakmp.delete.spi_count", "# of SPIs", base.DEC),
}
kink.fields = f

local e = {
  short_datagram = ProtoExpert.new("kink4430.short_datagram", "Datagram shorter than the 16-octet KINK header",
    expert.group.MALFORMED, expert.severity.ERROR),
  length_beyond_datagram = ProtoExpert.new("kink4430.length_beyond_datagram", "Length runs past the end of the datagram",
    expert.group.MALFORMED, expert.severity.ERROR),
  length_too_small = ProtoExpert.new("kink4430.length_too_small", "Length is smaller than the 16-octet header",
    expert.group.MALFORMED, expert.severity.ERROR),
  bad_version = ProtoExpert.new("kink4430.bad_version", "MjVer is not 1 (RFC 4430 §4)",
    expert.group.PROTOCOL, expert.severity.WARN),
  bad_doi = ProtoExpert.new("kink4430.bad_doi", "DOI is not 1 (IPsec), the only DOI defined (RFC 4430 §4)",
    expert.group.PROTOCOL, expert.severity.WARN),
  bad_cksum_len = ProtoExpert.new("kink4430.bad_cksum_len", "CksumLen does not fit in Length",
    expert.group.MALFORMED, expert.severity.ERROR),
  misaligned = ProtoExpert.new("kink4430.misaligned", "Not on a 4-octet boundary (RFC 4430 §4.1)",
    expert.group.MALFORMED, expert.severity.ERROR),
  payload_truncated = ProtoExpert.new("kink4430.payload_truncated", "Payload runs past the end of the message",
    expert.group.MALFORMED, expert.severity.ERROR),
  payload_too_short = ProtoExpert.new("kink4430.payload_too_short", "Payload Length too small for this payload",
    expert.group.MALFORMED, expert.severity.ERROR),
  error_length = ProtoExpert.new("kink4430.error_length", "KINK_ERROR Payload Length is not 8 (RFC 4430 §4.2.8)",
    expert.group.MALFORMED, expert.severity.ERROR),
  encrypt_not_last = ProtoExpert.new("kink4430.encrypt_not_last", "KINK_ENCRYPT must be the last payload (RFC 4430 §4.2.7)",
    expert.group.PROTOCOL, expert.severity.WARN),
  unknown_payload = ProtoExpert.new("kink4430.unknown_payload", "Unknown KINK payload type",
    expert.group.PROTOCOL, expert.severity.WARN),
  unused_octets = ProtoExpert.new("kink4430.unused_octets", "Octets between the last payload and the Cksum",
    expert.group.MALFORMED, expert.severity.WARN),
  isakmp_truncated = ProtoExpert.new("kink4430.isakmp.truncated", "ISAKMP payload runs past its container",
    expert.group.MALFORMED, expert.severity.ERROR),
  isakmp_unused_octets = ProtoExpert.new("kink4430.isakmp.unused_octets", "Octets after the last ISAKMP payload",
    expert.group.MALFORMED, expert.severity.WARN),
  isakmp_unexpected_payload = ProtoExpert.new("kink4430.isakmp.unexpected_payload",
    "ISAKMP payload type not used in KINK Quick Mode (RFC 4430 §5)", expert.group.PROTOCOL, expert.severity.WARN),
  transform_count = ProtoExpert.new("kink4430.isakmp.transform_count", "# of Transforms differs from the Transforms present",
    expert.group.MALFORMED, expert.severity.ERROR),
  id_length = ProtoExpert.new("kink4430.isakmp.id.bad_length", "Identification data length does not match its ID Type",
    expert.group.MALFORMED, expert.severity.ERROR),
  id_type_not_allowed = ProtoExpert.new("kink4430.isakmp.id.type_not_allowed",
    "ID Type not allowed in KINK (RFC 4430 §5.3 allows 1, 4, 5, 6, 7, 8)", expert.group.PROTOCOL, expert.severity.WARN),
}
kink.experts = e

kink.prefs.udp_port = Pref.uint("UDP port", KINK_PORT, "UDP port of KINK (RFC 4430 §9: 910)")


---------------------------------------------------------------------------------------------------
-- Helpers

local function align4(n) -- payloads and the Cksum start on 4-octet boundaries [4430 §4.1]
  return n + (4 - n % 4) % 4
end

-- Wireshark 4.0 registers no handle named "kerberos"; its UDP port-88 entry decodes a bare
-- AP-REQ, AP-REP, KRB-ERROR or Ticket. Looked up on first use, once every handoff has run.
local kerberos
local function kerberos_dissector()
  if kerberos == nil then
    kerberos = DissectorTable.get("udp.port"):get_dissector(88) or false
  end
  return kerberos
end

-- A DER blob as a bytes field, decoded under that item by the Kerberos dissector (which, given
-- kerberos.decrypt and kerberos.file, also decrypts tickets and authenticators).
local function add_kerberos(field, tvb, pinfo, tree, offset, length)
  local item = tree:add(field, tvb(offset, length))
  local dissector = kerberos_dissector()
  if dissector then
    dissector:call(tvb(offset, length):tvb(), pinfo, item)
  end
end

-- For numbers whose names depend on another field (Transform-ID by Protocol-ID, attribute values
-- by class), which a field's own value string cannot express.
local function name_of(names, value)
  local name = names and names[value]
  return name and (name .. " (" .. value .. ")") or tostring(value)
end

-- Reports an ISAKMP payload body of `have` octets that needs `need`; true if so.
local function too_short(tree, have, need)
  if have >= need then return false end
  tree:add_proto_expert_info(e.isakmp_truncated, "Body has " .. have .. " octets, needs " .. need)
  return true
end

---------------------------------------------------------------------------------------------------
-- ISAKMP Quick Mode payloads inside KINK_ISAKMP [4430 §4.2.6, §5; 2408 §3]

local isakmp_decoders -- by ISAKMP payload type, filled in below

-- Walks an ISAKMP payload chain in [offset, stop): 4-octet generic header per payload, no
-- alignment between payloads [2408 §3.2]. SA bodies hold a Proposal chain and Proposals a
-- Transform chain [2408 §3.4-§3.6], so the same walk serves all three levels. Returns the number
-- of payloads decoded.
local function walk_isakmp_chain(tvb, tree, next_type, offset, stop, ctx)
  local count = 0
  while next_type ~= 0 do
    if offset + 4 > stop then
      tree:add_proto_expert_info(e.isakmp_truncated,
        (ISAKMP_PAYLOAD_NAMES[next_type] or ("Payload type " .. next_type)) .. " announced but no room for it")
      return count
    end
    local length = tvb(offset + 2, 2):uint()
    local item = tree:add(f.isakmp_payload, tvb(offset, math.min(math.max(length, 4), stop - offset)), next_type)
    item:add(f.isakmp_next, tvb(offset, 1))
    item:add(f.isakmp_payload_reserved, tvb(offset + 1, 1))
    local length_item = item:add(f.isakmp_length, tvb(offset + 2, 2))
    if length < 4 or offset + length > stop then
      length_item:add_proto_expert_info(e.isakmp_truncated, "Payload Length " .. length .. " does not fit in "
        .. (stop - offset) .. " remaining octets")
      return count
    end
    local decode = isakmp_decoders[next_type]
    if decode then
      decode(tvb, item, offset + 4, offset + length, ctx)
    else
      if length > 4 then item:add(f.isakmp_data, tvb(offset + 4, length - 4)) end
      item:add_proto_expert_info(e.isakmp_unexpected_payload)
    end
    count = count + 1
    next_type = tvb(offset, 1):uint()
    offset = offset + length
  end
  if offset < stop then
    tree:add_proto_expert_info(e.isakmp_unused_octets, (stop - offset) .. " octets after the last payload")
  end
  return count
end

-- SA attributes: basic (TV: high bit set, 2-octet value) or variable (TLV) [2408 §3.3].
local function dissect_attributes(tvb, tree, offset, stop)
  while offset + 4 <= stop do
    local format_and_class = tvb(offset, 2):uint()
    local basic = format_and_class >= 0x8000
    local class = format_and_class % 0x8000
    local value_offset = basic and offset + 2 or offset + 4
    local value_length = basic and 2 or tvb(offset + 2, 2):uint()
    local attr_end = value_offset + value_length
    local label = "Attribute: " .. (ATTRIBUTE_CLASSES[class] or ("class " .. class))
    if attr_end > stop then
      tree:add(tvb(offset, stop - offset), label)
        :add_proto_expert_info(e.isakmp_truncated, "Attribute value runs past the Transform")
      return
    end
    local item = tree:add(tvb(offset, attr_end - offset), label)
    item:add(f.attr_format, tvb(offset, 2))
    item:add(f.attr_class, tvb(offset, 2))
    if not basic then item:add(f.attr_length, tvb(offset + 2, 2)) end
    if value_length > 4 then
      item:add(f.attr_value_bytes, tvb(value_offset, value_length))
    elseif value_length > 0 then
      local value = tvb(value_offset, value_length):uint()
      item:add(f.attr_value, tvb(value_offset, value_length), value)
      item:append_text(" = " .. name_of(ATTRIBUTE_VALUES[class], value))
    end
    offset = attr_end
  end
  if offset < stop then
    tree:add_proto_expert_info(e.isakmp_unused_octets, (stop - offset) .. " octets after the last attribute")
  end
end

-- Address layout per ID Type: octets per address, then the fields the addresses fill in order
-- [2407 §4.6.2.2-§4.6.2.8]; RFC 4430 §5.3 allows exactly these types.
local ID_ADDRESSES = {
  [1] = { 4, f.id_ipv4 },
  [4] = { 4, f.id_ipv4, f.id_ipv4_mask },
  [5] = { 16, f.id_ipv6 },
  [6] = { 16, f.id_ipv6, f.id_ipv6_mask },
  [7] = { 4, f.id_ipv4_start, f.id_ipv4_end },
  [8] = { 16, f.id_ipv6_start, f.id_ipv6_end },
}

isakmp_decoders = {
  [ISAKMP.SA] = function(tvb, tree, offset, stop) -- [2407 §4.6.1]
    if too_short(tree, stop - offset, 8) then return end
    tree:add(f.sa_doi, tvb(offset, 4))
    tree:add(f.sa_situation, tvb(offset + 4, 4))
    walk_isakmp_chain(tvb, tree, ISAKMP.PROPOSAL, offset + 8, stop, {})
  end,
  [ISAKMP.PROPOSAL] = function(tvb, tree, offset, stop) -- [2408 §3.5]
    if too_short(tree, stop - offset, 4) then return end
    local protocol_id = tvb(offset + 1, 1):uint()
    local spi_size = tvb(offset + 2, 1):uint()
    local declared = tvb(offset + 3, 1):uint()
    tree:add(f.proposal_number, tvb(offset, 1))
    tree:add(f.protocol_id, tvb(offset + 1, 1))
    tree:add(f.spi_size, tvb(offset + 2, 1))
    local count_item = tree:add(f.proposal_transforms, tvb(offset + 3, 1))
    tree:append_text(": #" .. tvb(offset, 1):uint() .. " " .. (PROTOCOL_IDS[protocol_id] or protocol_id))
    if too_short(tree, stop - offset, 4 + spi_size) then return end
    if spi_size > 0 then tree:add(f.spi, tvb(offset + 4, spi_size)) end
    local found = walk_isakmp_chain(tvb, tree, ISAKMP.TRANSFORM, offset + 4 + spi_size, stop, { protocol_id = protocol_id })
    if found ~= declared then
      count_item:add_proto_expert_info(e.transform_count, declared .. " declared, " .. found .. " present")
    end
  end,
  [ISAKMP.TRANSFORM] = function(tvb, tree, offset, stop, ctx) -- [2408 §3.6]
    if too_short(tree, stop - offset, 4) then return end
    local id = tvb(offset + 1, 1):uint()
    local id_text = name_of(TRANSFORM_IDS[ctx.protocol_id], id)
    tree:add(f.transform_number, tvb(offset, 1))
    tree:add(f.transform_id, tvb(offset + 1, 1)):set_text("Transform-ID: " .. id_text)
    tree:add(f.transform_reserved, tvb(offset + 2, 2))
    tree:append_text(": #" .. tvb(offset, 1):uint() .. " " .. id_text)
    dissect_attributes(tvb, tree, offset + 4, stop)
  end,
  [ISAKMP.KE] = function(tvb, tree, offset, stop) -- [2408 §3.7]
    if stop > offset then tree:add(f.ke, tvb(offset, stop - offset)) end
  end,
  [ISAKMP.NONCE] = function(tvb, tree, offset, stop) -- [2408 §3.13]
    if stop > offset then tree:add(f.nonce, tvb(offset, stop - offset)) end
  end,
  [ISAKMP.ID] = function(tvb, tree, offset, stop) -- [2407 §4.6.2]
    if too_short(tree, stop - offset, 4) then return end
    local id_type = tvb(offset, 1):uint()
    local type_item = tree:add(f.id_type, tvb(offset, 1))
    tree:add(f.id_protocol, tvb(offset + 1, 1))
    tree:add(f.id_port, tvb(offset + 2, 2))
    tree:append_text(": " .. (ID_TYPES[id_type] or id_type))
    local data, data_length = offset + 4, stop - offset - 4
    local layout = ID_ADDRESSES[id_type]
    if not layout then
      type_item:add_proto_expert_info(e.id_type_not_allowed)
    elseif data_length ~= layout[1] * (#layout - 1) then
      type_item:add_proto_expert_info(e.id_length, data_length .. " octets, " .. ID_TYPES[id_type] .. " needs "
        .. layout[1] * (#layout - 1))
    else
      for i = 2, #layout do
        tree:add(layout[i], tvb(data + (i - 2) * layout[1], layout[1]))
      end
      return
    end
    if data_length > 0 then tree:add(f.id_data, tvb(data, data_length)) end
  end,
  [ISAKMP.NOTIFY] = function(tvb, tree, offset, stop) -- [2408 §3.14]
    if too_short(tree, stop - offset, 8) then return end
    local spi_size = tvb(offset + 5, 1):uint()
    tree:add(f.notify_doi, tvb(offset, 4))
    tree:add(f.protocol_id, tvb(offset + 4, 1))
    tree:add(f.spi_size, tvb(offset + 5, 1))
    tree:add(f.notify_type, tvb(offset + 6, 2))
    tree:append_text(": " .. name_of(NOTIFY_TYPES, tvb(offset + 6, 2):uint()))
    if too_short(tree, stop - offset, 8 + spi_size) then return end
    if spi_size > 0 then tree:add(f.spi, tvb(offset + 8, spi_size)) end
    local data = offset + 8 + spi_size
    if stop > data then tree:add(f.notify_data, tvb(data, stop - data)) end
  end,
  [ISAKMP.DELETE] = function(tvb, tree, offset, stop) -- [2408 §3.15]
    if too_short(tree, stop - offset, 8) then return end
    local spi_size = tvb(offset + 5, 1):uint()
    local spi_count = tvb(offset + 6, 2):uint()
    tree:add(f.delete_doi, tvb(offset, 4))
    tree:add(f.protocol_id, tvb(offset + 4, 1))
    tree:add(f.spi_size, tvb(offset + 5, 1))
    tree:add(f.delete_spi_count, tvb(offset + 6, 2))
    local spis_end = offset + 8 + spi_size * spi_count
    if too_short(tree, stop - offset, spis_end - offset) then return end
    for spi = offset + 8, spis_end - 1, math.max(spi_size, 1) do
      tree:add(f.spi, tvb(spi, spi_size))
    end
    if stop > spis_end then
      tree:add_proto_expert_info(e.isakmp_unused_octets, (stop - spis_end) .. " octets after the last SPI")
    end
  end,
}

---------------------------------------------------------------------------------------------------
-- KINK payloads [4430 §4.2]

-- Each decoder gets the body (after the generic header): offset and length; `min` is the
-- smallest body that holds the fixed fields and a non-empty value.
local function epoch_then_der(der_field) -- KINK_AP_REQ, KINK_AP_REP [4430 §4.2.1, §4.2.2]
  return {
    min = 5,
    dissect = function(tvb, pinfo, tree, offset, length)
      local seconds = tvb(offset, 4):uint()
      tree:add(f.epoch, tvb(offset, 4), NSTime.new(seconds, 0))
      tree:add(f.epoch_raw, tvb(offset, 4))
      add_kerberos(der_field, tvb, pinfo, tree, offset + 4, length - 4)
    end,
  }
end

local function der_only(der_field) -- KINK_KRB_ERROR, KINK_TGT_REP [4430 §4.2.3, §4.2.5]
  return {
    min = 1,
    dissect = function(tvb, pinfo, tree, offset, length)
      add_kerberos(der_field, tvb, pinfo, tree, offset, length)
    end,
  }
end

local kink_decoders = {
  [PAYLOAD.AP_REQ] = epoch_then_der(f.ap_req),
  [PAYLOAD.AP_REP] = epoch_then_der(f.ap_rep),
  [PAYLOAD.KRB_ERROR] = der_only(f.krb_error),
  [PAYLOAD.TGT_REP] = der_only(f.tgt),
  [PAYLOAD.TGT_REQ] = { -- [4430 §4.2.4]: the name's length is the payload's, no terminator
    min = 1,
    dissect = function(tvb, _, tree, offset, length)
      tree:add(f.princ_name, tvb(offset, length))
      tree:append_text(": " .. tvb(offset, length):string())
    end,
  },
  [PAYLOAD.ISAKMP] = { -- [4430 §4.2.6]
    min = 4,
    dissect = function(tvb, _, tree, offset, length)
      local version = tvb(offset + 1, 1):uint()
      tree:add(f.inner_next, tvb(offset, 1))
      local version_item = tree:add(f.qm_version, tvb(offset + 1, 1))
      version_item:append_text(" (" .. math.floor(version / 16) .. "." .. version % 16 .. ")")
      version_item:add(f.qm_major, tvb(offset + 1, 1))
      version_item:add(f.qm_minor, tvb(offset + 1, 1))
      tree:add(f.isakmp_reserved, tvb(offset + 2, 2))
      walk_isakmp_chain(tvb, tree, tvb(offset, 1):uint(), offset + 4, offset + length, {})
    end,
  },
  [PAYLOAD.ENCRYPT] = { -- [4430 §4.2.7]
    min = 1,
    dissect = function(tvb, _, tree, offset, length)
      tree:add(f.ciphertext_len, tvb(offset, length), length):set_generated()
      tree:add(f.ciphertext, tvb(offset, length))
      tree:add(tvb(offset, length), "Encrypted with the ticket's session key, key usage 39 (RFC 4430 §4.2.7, §8): "
        .. "this Lua dissector has no Kerberos crypto, so the inner payloads are not shown")
    end,
  },
  [PAYLOAD.ERROR] = { -- [4430 §4.2.8]
    min = 4,
    dissect = function(tvb, _, tree, offset)
      tree:add(f.error_code, tvb(offset, 4))
      tree:append_text(": " .. name_of(ERROR_CODES, tvb(offset, 4):uint()))
    end,
  },
}

-- Walks the payload chain from the header up to `stop` (the Cksum, or the end of what was
-- captured); appends each payload's name to `names`. Returns where the chain ended, or nil if
-- it broke off on a malformed payload (already reported).
local function dissect_payloads(tvb, pinfo, root, next_type, stop, names)
  local offset = HEADER_LENGTH
  while next_type ~= PAYLOAD.DONE do
    local name = PAYLOAD_NAMES[next_type] or ("payload " .. next_type)
    if offset + 4 > stop then
      root:add_proto_expert_info(e.payload_truncated, name .. " announced, but the message ends at octet " .. stop)
      return nil
    end
    names[#names + 1] = name
    local length = tvb(offset + 2, 2):uint()
    local item = root:add(f.payload, tvb(offset, math.min(math.max(length, 4), stop - offset)), next_type)
    item:add(f.payload_next, tvb(offset, 1))
    item:add(f.payload_reserved, tvb(offset + 1, 1))
    local length_item = item:add(f.payload_length, tvb(offset + 2, 2))
    if length < 4 then
      length_item:add_proto_expert_info(e.payload_too_short, "Payload Length " .. length .. " is shorter than its header")
      return nil
    end
    if offset + length > stop then
      length_item:add_proto_expert_info(e.payload_truncated, "Payload Length " .. length .. " runs to octet "
        .. offset + length .. ", the message ends at octet " .. stop)
      return nil
    end
    local decoder = kink_decoders[next_type]
    if next_type == PAYLOAD.ERROR and length ~= KINK_ERROR_LENGTH then
      length_item:add_proto_expert_info(e.error_length)
    elseif not decoder then
      item:add_proto_expert_info(e.unknown_payload, "Unknown payload type " .. next_type
        .. (next_type >= 128 and " (private use)" or ""))
      if length > 4 then item:add(f.payload_data, tvb(offset + 4, length - 4)) end
    elseif length - 4 < decoder.min then
      length_item:add_proto_expert_info(e.payload_too_short)
    else
      decoder.dissect(tvb, pinfo, item, offset + 4, length - 4)
    end
    next_type = tvb(offset, 1):uint()
    if next_type ~= PAYLOAD.DONE and decoder == kink_decoders[PAYLOAD.ENCRYPT] then
      item:add_proto_expert_info(e.encrypt_not_last)
    end
    local payload_end = offset + length
    offset = align4(payload_end)
    -- Padding is not counted in Payload Length and its contents are not checked [4430 §4.1];
    -- after the last payload it may be cut short by the end of the message.
    local pad = math.min(offset, stop) - payload_end
    if pad > 0 then root:add(f.padding, tvb(payload_end, pad)) end
  end
  return offset
end

---------------------------------------------------------------------------------------------------
-- The message [4430 §4]

function kink.dissector(tvb, pinfo, tree)
  local captured = tvb:len()
  pinfo.cols.protocol:set("KINK")
  local root = tree:add(kink, tvb())
  if captured < HEADER_LENGTH then
    root:add_proto_expert_info(e.short_datagram)
    pinfo.cols.info:set("Short datagram (" .. captured .. " octets)")
    return captured
  end

  local type = tvb(0, 1):uint()
  local length = tvb(2, 2):uint()
  local xid = tvb(8, 4):uint()
  local first_payload = tvb(12, 1):uint()
  local ackreq = tvb(13, 1):uint() >= 0x80
  local cksum_len = tvb(14, 2):uint()

  root:add(f.type, tvb(0, 1))
  local version_item = root:add(f.mjver, tvb(1, 1))
  if math.floor(tvb(1, 1):uint() / 16) ~= 1 then version_item:add_proto_expert_info(e.bad_version) end
  root:add(f.resrvd, tvb(1, 1))
  local length_item = root:add(f.length, tvb(2, 2))
  local doi_item = root:add(f.doi, tvb(4, 4))
  if tvb(4, 4):uint() ~= 1 then doi_item:add_proto_expert_info(e.bad_doi) end
  root:add(f.xid, tvb(8, 4))
  root:add(f.next_payload, tvb(12, 1))
  root:add(f.ackreq, tvb(13, 1))
  root:add(f.reserved2, tvb(13, 1))
  local cksum_len_item = root:add(f.cksum_len, tvb(14, 2))

  -- Length counts the Cksum; octets after Length are permitted and ignored [4430 §4].
  local message_end = length
  if length < HEADER_LENGTH then
    length_item:add_proto_expert_info(e.length_too_small)
    message_end = captured
  elseif length > captured then
    length_item:add_proto_expert_info(e.length_beyond_datagram, "Length " .. length .. ", datagram " .. captured
      .. " octets")
  end
  local cksum_start = message_end
  if cksum_len > message_end - HEADER_LENGTH then
    cksum_len_item:add_proto_expert_info(e.bad_cksum_len, "CksumLen " .. cksum_len .. " with Length " .. length)
    cksum_len = 0
  elseif cksum_len > 0 then
    cksum_start = message_end - cksum_len
    if cksum_start % 4 ~= 0 then
      cksum_len_item:add_proto_expert_info(e.misaligned, "Cksum starts at octet " .. cksum_start)
    end
  end

  local names = {}
  local payloads_end = math.min(cksum_start, captured)
  local chain_end = dissect_payloads(tvb, pinfo, root, first_payload, payloads_end, names)
  if chain_end and chain_end < payloads_end then
    root:add(f.payload_data, tvb(chain_end, payloads_end - chain_end))
      :add_proto_expert_info(e.unused_octets, (payloads_end - chain_end) .. " octets")
  end
  if cksum_len > 0 and message_end <= captured then
    root:add(f.cksum, tvb(cksum_start, cksum_len))
  end
  if captured > message_end then
    root:add(f.trailer, tvb(message_end, captured - message_end))
  end

  local summary = (MESSAGE_TYPES[type] or ("Type " .. type)) .. " XID=" .. xid .. (ackreq and " ACKREQ" or "") .. ": "
    .. (#names > 0 and table.concat(names, ", ") or "no payloads")
  root:append_text(", " .. summary)
  -- Set last: the Kerberos dissector writes its own columns when it decodes a blob.
  pinfo.cols.protocol:set("KINK")
  pinfo.cols.info:set(summary)
  return captured
end

-- Registered on the port only (no heuristic: every UDP payload would look like some KINK type).
-- Adding the port replaces the built-in draft-era "kink" dissector's entry [4430 §9].
local registered_port
local function register_port(port)
  local udp = DissectorTable.get("udp.port")
  if registered_port then udp:remove(registered_port, kink) end
  udp:add(port, kink)
  registered_port = port
end

register_port(kink.prefs.udp_port)

function kink.prefs_changed()
  if kink.prefs.udp_port ~= registered_port then register_port(kink.prefs.udp_port) end
end
