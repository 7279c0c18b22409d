// The Wireshark Lua dissector (contrib/wireshark/kink.lua) under tshark: (a) racoon2's real
// messages decode with the header fields and payload offsets recorded in known-answers.json, and
// with the responder's keytab Wireshark's Kerberos dissector decrypts the ticket and authenticator
// inside each AP-REQ; (b) every message type, KINK payload and ISAKMP payload kind, built octet
// by octet with test/helpers/kink-bytes.ts, shows every field as encoded, with no expert info
// and nothing malformed; (c) broken messages raise the matching expert info.
//
// All packets go into one pcap and one tshark run (tshark start-up dominates the cost).
import { readFileSync } from "node:fs";
import { test } from "uvu";
import * as assert from "uvu/assert";
import { MessageType, PayloadType } from "../../src/wire/constants.ts";
import type { IsakmpPayload } from "../../src/wire/isakmp/index.ts";
import { encodeKinkMessage } from "../../src/wire/kink-message.ts";
import { sessionKeySealer } from "../../src/wire/seal.ts";
import { workedExampleChain } from "../helpers/isakmp-bytes.ts";
import { blob, racoonMessages, randomSession, sampleMessages } from "../helpers/kink.ts";
import {
  basicAttribute,
  concat,
  deleteBody,
  epochBody,
  errorBody,
  genericPayload,
  header,
  ISAKMP,
  idBody,
  isakmpBody,
  KINK,
  kinkMessage,
  MSG,
  notifyBody,
  proposalBody,
  saBody,
  transformBody,
  u8,
  u16,
  u32,
  utf8,
  variableAttribute,
} from "../helpers/kink-bytes.ts";
import { ipBytes, readPcapUdp, type UdpPacket } from "../helpers/pcap.ts";
import {
  type DissectedPacket,
  dissect,
  type FieldValue,
  fieldMismatches,
  KERBEROS_KEY_NOTES,
  kinkExperts,
  unexpectedExperts,
  validDatagramProblems,
} from "../helpers/tshark.ts";

const CAPTURE_DIR = new URL("./racoon2-optimistic/", import.meta.url);
const KEYTAB = new URL("responder.keytab", CAPTURE_DIR).pathname;
// Checksum verification is off by default in Wireshark; on here, it checks the pcap writer too.
const TSHARK_PREFS = { "kerberos.decrypt": "TRUE", "kerberos.file": KEYTAB, "ip.check_checksum": "TRUE", "udp.check_checksum": "TRUE" };

// ---------------------------------------------------------------------------------------------
// (a) racoon2's messages

const known = { messages: racoonMessages };
const racoon2 = readPcapUdp(readFileSync(new URL("kink.pcap", CAPTURE_DIR))).filter((p) => p.dport === 910);

const hex = (b: Uint8Array) => Buffer.from(b).toString("hex");
const fromHex = (s: string) => Uint8Array.from(Buffer.from(s, "hex"));

/** Kerberos GeneralizedTime "YYYYMMDDhhmmssZ" as Wireshark shows an absolute UTC time. */
function wiresharkTime(generalized: string): string {
  const [, y, mo, d, h, mi, s] = /^(\d{4})(\d\d)(\d\d)(\d\d)(\d\d)(\d\d)Z$/.exec(generalized)!;
  const month = new Date(Date.UTC(Number(y), Number(mo) - 1)).toLocaleString("en-US", { month: "short", timeZone: "UTC" });
  return `${month} ${Number(d)}, ${y} ${h}:${mi}:${s}.000000000 UTC`;
}

// Kerberos blobs for the synthetic messages: racoon2's first AP-REQ and AP-REP, the ticket
// inside that AP-REQ (a Ticket is what KINK_TGT_REP carries), and a KRB-ERROR built here.
const createMessage = fromHex(known.messages[0]!.message);
const replyMessage = fromHex(known.messages[1]!.message);
const AP_REQ_DER = createMessage.subarray(16 + 8, 16 + known.messages[0]!.payloads[0]!.length);
const AP_REP_DER = replyMessage.subarray(16 + 8, 16 + known.messages[1]!.payloads[0]!.length);

/** The TLVs in a run of DER octets (definite lengths only, as DER requires) [X.690 §8.1, §10.1]. */
function derElements(bytes: Uint8Array): { tlv: Uint8Array; contents: Uint8Array }[] {
  const out: { tlv: Uint8Array; contents: Uint8Array }[] = [];
  for (let offset = 0; offset < bytes.length; ) {
    let length = bytes[offset + 1]!;
    let headerLength = 2;
    if (length & 0x80) {
      const octets = length & 0x7f;
      length = 0;
      for (let i = 0; i < octets; i++) length = length * 256 + bytes[offset + 2 + i]!;
      headerLength += octets;
    }
    out.push({ tlv: bytes.subarray(offset, offset + headerLength + length), contents: bytes.subarray(offset + headerLength, offset + headerLength + length) });
    offset += headerLength + length;
  }
  return out;
}

/** AP-REQ ::= [APPLICATION 14] SEQUENCE { pvno [0], msg-type [1], ap-options [2], ticket [3] Ticket, … } [RFC 4120 §5.5.1]. */
function ticketOf(apReq: Uint8Array): Uint8Array {
  const sequence = derElements(derElements(apReq)[0]!.contents)[0]!;
  const ticketField = derElements(sequence.contents).find((e) => e.tlv[0] === 0xa3)!;
  return derElements(ticketField.contents)[0]!.tlv;
}
const TICKET_DER = ticketOf(AP_REQ_DER);

function tlv(tag: number, ...contents: Uint8Array[]): Uint8Array {
  const body = concat(...contents);
  const length = body.length < 0x80 ? u8(body.length) : concat(u8(0x82), u16(body.length));
  return concat(u8(tag), length, body);
}
const derInt = (n: number) => tlv(0x02, u8(n));
const derString = (s: string) => tlv(0x1b, utf8(s));
/** KRB-ERROR [RFC 4120 §5.9.1]: KRB_AP_ERR_SKEW (37) from kink/responder.kink.test. */
const KRB_ERROR_DER = tlv(
  0x7e,
  tlv(
    0x30,
    tlv(0xa0, derInt(5)),
    tlv(0xa1, derInt(30)),
    tlv(0xa4, tlv(0x18, utf8("20261124021703Z"))),
    tlv(0xa5, derInt(0)),
    tlv(0xa6, derInt(37)),
    tlv(0xa9, derString("KINK.TEST")),
    tlv(0xaa, tlv(0x30, tlv(0xa0, derInt(1)), tlv(0xa1, tlv(0x30, derString("kink"), derString("responder.kink.test"))))),
  ),
);

// ---------------------------------------------------------------------------------------------
// (b), (c) synthetic messages

interface DissectorCase {
  name: string;
  packet: UdpPacket;
  /** Fields beyond those wellFormedFields derives from the octets (for malformed cases: all checked fields). */
  fields: Record<string, FieldValue[]>;
  /** The kink4430.* expert infos the message must raise, in tree order; none for a valid message. */
  experts?: string[];
}

const V4 = { src: "192.0.2.1", dst: "192.0.2.2" };
const V6 = { src: "2001:db8::1", dst: "2001:db8::2" };
const udp = (addresses: { src: string; dst: string }, payload: Uint8Array): UdpPacket => ({ ...addresses, sport: 910, dport: 910, payload });

const EPOCH = 0x7fffffff; // 2038-01-19T03:14:07Z [RFC 4430 §4.2.1]
const EPOCH_SHOWN = "Jan 19, 2038 03:14:07.000000000 UTC";
const CKSUM = Uint8Array.from({ length: 12 }, (_, i) => 0xc0 + i);
const SPI_ESP = fromHex("0a0b0c0d");
const SPI_AH = fromHex("0a0b0c0e");
const SPI_PEER = fromHex("11223344");
const NONCE = Uint8Array.from({ length: 16 }, (_, i) => i + 1);
const KE = Uint8Array.from({ length: 128 }, (_, i) => 255 - i);
const CIPHERTEXT = Uint8Array.from({ length: 112 }, (_, i) => (i * 7) & 0xff);
const PRINC_NAME = "kink/responder.kink.test@KINK.TEST";

// ISAKMP numbers: protocol 2 AH, 3 ESP [RFC 2407 §4.4.1]; ESP 12 AES-CBC, 3 3DES, AH 3 SHA
// [RFC 2407 §4.4.3-§4.4.4]; attribute classes 1 life type, 2 duration, 3 group, 4 encapsulation,
// 5 auth algorithm, 6 key length [RFC 2407 §4.5]; Notify 11 INVALID-SPI, 14 NO-PROPOSAL-CHOSEN,
// 24578 INITIAL-CONTACT [RFC 2408 §3.14.1, RFC 2407 §4.6.3]; ID types [RFC 2407 §4.6.2.1].
const aesTransform = transformBody({
  number: 1,
  id: 12,
  attributes: [basicAttribute(1, 1), basicAttribute(2, 3600), basicAttribute(4, 2), basicAttribute(6, 128), basicAttribute(5, 2), basicAttribute(3, 14)],
});
const AES_TRANSFORM_FIELDS = {
  "kink4430.isakmp.attr.class": [1, 2, 4, 6, 5, 3],
  "kink4430.isakmp.attr.format": [true, true, true, true, true, true],
  "kink4430.isakmp.attr.value": [1, 3600, 2, 128, 2, 14],
};
const espProposal = (spi: Uint8Array) => proposalBody({ number: 1, protocol: 3, spi, transforms: [aesTransform] });
const CREATE_SA = saBody([
  proposalBody({
    number: 1,
    protocol: 3,
    spi: SPI_ESP,
    transforms: [
      aesTransform,
      transformBody({ number: 2, id: 3, attributes: [basicAttribute(1, 2), variableAttribute(2, u32(0x100000)), basicAttribute(4, 1)] }),
    ],
  }),
  proposalBody({
    number: 1,
    protocol: 2,
    spi: SPI_AH,
    transforms: [
      transformBody({ number: 1, id: 3, attributes: [basicAttribute(1, 1), variableAttribute(2, fromHex("0000000100000000")), basicAttribute(5, 2)] }),
    ],
  }),
]);

/** IPv4/IPv6 ID payloads: type, data, and the dissector fields the addresses land in. */
const ipv4Id = idBody({ type: 1, protocol: 17, port: 910, data: ipBytes("192.0.2.1") });
const ipv4SubnetId = idBody({ type: 4, protocol: 0, port: 0, data: concat(ipBytes("198.51.100.0"), ipBytes("255.255.255.0")) });
const ipv4RangeId = idBody({ type: 7, protocol: 6, port: 443, data: concat(ipBytes("203.0.113.10"), ipBytes("203.0.113.20")) });
const ipv6Id = idBody({ type: 5, protocol: 17, port: 910, data: ipBytes("2001:db8::1") });
const ipv6SubnetId = idBody({ type: 6, protocol: 0, port: 0, data: concat(ipBytes("2001:db8:1::"), ipBytes("ffff:ffff:ffff:ffff::")) });
const ipv6RangeId = idBody({ type: 8, protocol: 58, port: 0, data: concat(ipBytes("2001:db8::100"), ipBytes("2001:db8::1ff")) });

const NO_ISAKMP = { "kink4430.isakmp.payload": [] };

const validCases: DissectorCase[] = [
  {
    name: "CREATE: AP_REQ + ISAKMP{SA(ESP 2 transforms, AH bundle), Nonce, KE, ID_IPV4_ADDR, ID_IPV4_ADDR_SUBNET, Notify} + Cksum",
    packet: udp(
      V4,
      kinkMessage({ type: MSG.CREATE, xid: 7, cksum: CKSUM }, [
        [KINK.AP_REQ, epochBody(EPOCH, AP_REQ_DER)],
        [
          KINK.ISAKMP,
          isakmpBody([
            [ISAKMP.SA, CREATE_SA],
            [ISAKMP.NONCE, NONCE],
            [ISAKMP.KE, KE],
            [ISAKMP.ID, ipv4Id],
            [ISAKMP.ID, ipv4SubnetId],
            [ISAKMP.NOTIFY, notifyBody({ protocol: 3, type: 24578, spi: SPI_ESP, data: new Uint8Array(0) })],
          ]),
        ],
      ]),
    ),
    fields: {
      "kink4430.epoch": [EPOCH_SHOWN],
      "kink4430.epoch.raw": [EPOCH],
      "kink4430.ap_req": [AP_REQ_DER],
      "kink4430.isakmp.inner_next": [ISAKMP.SA],
      "kink4430.isakmp.qm_version": ["0x10"],
      "kink4430.isakmp.qm_major": [1],
      "kink4430.isakmp.qm_minor": [0],
      "kink4430.isakmp.reserved": ["0x0000"],
      "kink4430.isakmp.payload": [1, 2, 3, 3, 2, 3, 10, 4, 5, 5, 11],
      "kink4430.isakmp.sa.doi": [1],
      "kink4430.isakmp.sa.situation": ["0x00000001"],
      "kink4430.isakmp.proposal.number": [1, 1],
      "kink4430.isakmp.protocol_id": [3, 2, 3],
      "kink4430.isakmp.spi_size": [4, 4, 4],
      "kink4430.isakmp.proposal.transforms": [2, 1],
      "kink4430.isakmp.spi": [SPI_ESP, SPI_AH, SPI_ESP],
      "kink4430.isakmp.transform.number": [1, 2, 1],
      "kink4430.isakmp.transform.id": [12, 3, 3],
      "kink4430.isakmp.attr.class": [1, 2, 4, 6, 5, 3, 1, 2, 4, 1, 2, 5],
      "kink4430.isakmp.attr.format": [true, true, true, true, true, true, true, false, true, true, false, true],
      "kink4430.isakmp.attr.length": [4, 8],
      "kink4430.isakmp.attr.value": [1, 3600, 2, 128, 2, 14, 2, 0x100000, 1, 1, 2],
      "kink4430.isakmp.attr.value_bytes": [fromHex("0000000100000000")],
      "kink4430.isakmp.nonce": [NONCE],
      "kink4430.isakmp.ke": [KE],
      "kink4430.isakmp.id.type": [1, 4],
      "kink4430.isakmp.id.protocol": [17, 0],
      "kink4430.isakmp.id.port": [910, 0],
      "kink4430.isakmp.id.ipv4": ["192.0.2.1", "198.51.100.0"],
      "kink4430.isakmp.id.ipv4_mask": ["255.255.255.0"],
      "kink4430.isakmp.notify.doi": [1],
      "kink4430.isakmp.notify.type": [24578],
      "kink4430.isakmp.notify.data": [],
      "kink4430.padding": [new Uint8Array(3)],
      "kerberos.ap_req_element": [""],
    },
  },
  {
    name: "REPLY with ACKREQ: AP_REP + ISAKMP{SA, Nonce, ID_IPV4_ADDR_RANGE ×2} + Cksum",
    packet: udp(
      V4,
      kinkMessage({ type: MSG.REPLY, xid: 7, ackreq: true, cksum: CKSUM }, [
        [KINK.AP_REP, epochBody(EPOCH, AP_REP_DER)],
        [
          KINK.ISAKMP,
          isakmpBody([
            [ISAKMP.SA, saBody([espProposal(SPI_PEER)])],
            [ISAKMP.NONCE, NONCE],
            [ISAKMP.ID, ipv4RangeId],
            [ISAKMP.ID, ipv4RangeId],
          ]),
        ],
      ]),
    ),
    fields: {
      "kink4430.ap_rep": [AP_REP_DER],
      "kink4430.isakmp.payload": [1, 2, 3, 10, 5, 5],
      "kink4430.isakmp.spi": [SPI_PEER],
      ...AES_TRANSFORM_FIELDS,
      "kink4430.isakmp.id.type": [7, 7],
      "kink4430.isakmp.id.protocol": [6, 6],
      "kink4430.isakmp.id.port": [443, 443],
      "kink4430.isakmp.id.ipv4_start": ["203.0.113.10", "203.0.113.10"],
      "kink4430.isakmp.id.ipv4_end": ["203.0.113.20", "203.0.113.20"],
      "kerberos.ap_rep_element": [""],
    },
  },
  {
    name: "CREATE over IPv6: AP_REQ + ISAKMP{SA, Nonce, ID_IPV6_ADDR, ID_IPV6_ADDR_SUBNET} + Cksum",
    packet: udp(
      V6,
      kinkMessage({ type: MSG.CREATE, xid: 8, cksum: CKSUM }, [
        [KINK.AP_REQ, epochBody(EPOCH, AP_REQ_DER)],
        [
          KINK.ISAKMP,
          isakmpBody([
            [ISAKMP.SA, saBody([espProposal(SPI_ESP)])],
            [ISAKMP.NONCE, NONCE],
            [ISAKMP.ID, ipv6Id],
            [ISAKMP.ID, ipv6SubnetId],
          ]),
        ],
      ]),
    ),
    fields: {
      "kink4430.isakmp.payload": [1, 2, 3, 10, 5, 5],
      "kink4430.isakmp.id.type": [5, 6],
      "kink4430.isakmp.id.ipv6": ["2001:db8::1", "2001:db8:1::"],
      "kink4430.isakmp.id.ipv6_mask": ["ffff:ffff:ffff:ffff::"],
      "kink4430.isakmp.id.ipv4": [],
    },
  },
  {
    name: "REPLY over IPv6: AP_REP + ISAKMP{SA, ID_IPV6_ADDR_RANGE ×2} + Cksum",
    packet: udp(
      V6,
      kinkMessage({ type: MSG.REPLY, xid: 8, cksum: CKSUM }, [
        [KINK.AP_REP, epochBody(EPOCH, AP_REP_DER)],
        [
          KINK.ISAKMP,
          isakmpBody([
            [ISAKMP.SA, saBody([espProposal(SPI_PEER)])],
            [ISAKMP.ID, ipv6RangeId],
            [ISAKMP.ID, ipv6RangeId],
          ]),
        ],
      ]),
    ),
    fields: {
      "kink4430.isakmp.payload": [1, 2, 3, 5, 5],
      "kink4430.isakmp.id.type": [8, 8],
      "kink4430.isakmp.id.protocol": [58, 58],
      "kink4430.isakmp.id.ipv6_start": ["2001:db8::100", "2001:db8::100"],
      "kink4430.isakmp.id.ipv6_end": ["2001:db8::1ff", "2001:db8::1ff"],
    },
  },
  {
    name: "CREATE: AP_REQ + KINK_ENCRYPT (opaque) + Cksum",
    packet: udp(
      V4,
      kinkMessage({ type: MSG.CREATE, xid: 9, cksum: CKSUM }, [
        [KINK.AP_REQ, epochBody(EPOCH, AP_REQ_DER)],
        [KINK.ENCRYPT, CIPHERTEXT],
      ]),
    ),
    fields: { "kink4430.ciphertext_len": [112], "kink4430.ciphertext": [CIPHERTEXT], ...NO_ISAKMP },
  },
  {
    name: "DELETE: AP_REQ + ISAKMP{Delete ESP (2 SPIs), Delete AH} + Cksum",
    packet: udp(
      V4,
      kinkMessage({ type: MSG.DELETE, xid: 10, cksum: CKSUM }, [
        [KINK.AP_REQ, epochBody(EPOCH, AP_REQ_DER)],
        [
          KINK.ISAKMP,
          isakmpBody([
            [ISAKMP.DELETE, deleteBody({ protocol: 3, spis: [SPI_ESP, SPI_PEER] })],
            [ISAKMP.DELETE, deleteBody({ protocol: 2, spis: [SPI_AH] })],
          ]),
        ],
      ]),
    ),
    fields: {
      "kink4430.isakmp.inner_next": [ISAKMP.DELETE],
      "kink4430.isakmp.payload": [12, 12],
      "kink4430.isakmp.delete.doi": [1, 1],
      "kink4430.isakmp.protocol_id": [3, 2],
      "kink4430.isakmp.spi_size": [4, 4],
      "kink4430.isakmp.delete.spi_count": [2, 1],
      "kink4430.isakmp.spi": [SPI_ESP, SPI_PEER, SPI_AH],
    },
  },
  {
    name: "REPLY to DELETE: AP_REP + ISAKMP{Delete, Notify INVALID-SPI with SPI} + Cksum",
    packet: udp(
      V4,
      kinkMessage({ type: MSG.REPLY, xid: 10, cksum: CKSUM }, [
        [KINK.AP_REP, epochBody(EPOCH, AP_REP_DER)],
        [
          KINK.ISAKMP,
          isakmpBody([
            [ISAKMP.DELETE, deleteBody({ protocol: 3, spis: [SPI_PEER] })],
            [ISAKMP.NOTIFY, notifyBody({ protocol: 3, type: 11, spi: SPI_ESP, data: new Uint8Array(0) })],
          ]),
        ],
      ]),
    ),
    fields: {
      "kink4430.isakmp.payload": [12, 11],
      "kink4430.isakmp.delete.spi_count": [1],
      "kink4430.isakmp.notify.type": [11],
      "kink4430.isakmp.spi": [SPI_PEER, SPI_ESP],
    },
  },
  {
    name: "STATUS: AP_REQ + ISAKMP{Notify INITIAL-CONTACT, no SPI, with data} + Cksum",
    packet: udp(
      V4,
      kinkMessage({ type: MSG.STATUS, xid: 11, cksum: CKSUM }, [
        [KINK.AP_REQ, epochBody(EPOCH, AP_REQ_DER)],
        [KINK.ISAKMP, isakmpBody([[ISAKMP.NOTIFY, notifyBody({ protocol: 3, type: 24578, spi: new Uint8Array(0), data: utf8("hello") })]])],
      ]),
    ),
    fields: {
      "kink4430.isakmp.payload": [11],
      "kink4430.isakmp.notify.type": [24578],
      "kink4430.isakmp.spi_size": [0],
      "kink4430.isakmp.spi": [],
      "kink4430.isakmp.notify.data": [utf8("hello")],
    },
  },
  {
    name: "REPLY, IPsec-DOI error: AP_REP + KINK_ERROR(KINK_PROTOERR) + ISAKMP{Notify NO-PROPOSAL-CHOSEN} + Cksum",
    packet: udp(
      V4,
      kinkMessage({ type: MSG.REPLY, xid: 12, cksum: CKSUM }, [
        [KINK.AP_REP, epochBody(EPOCH, AP_REP_DER)],
        [KINK.ERROR, errorBody(1)],
        [KINK.ISAKMP, isakmpBody([[ISAKMP.NOTIFY, notifyBody({ protocol: 3, type: 14, spi: new Uint8Array(0), data: new Uint8Array(0) })]])],
      ]),
    ),
    fields: { "kink4430.error_code": [1], "kink4430.isakmp.notify.type": [14] },
  },
  {
    name: "ACK: AP_REQ only + Cksum; RESERVED2 bits set (ignored on receipt) without ACKREQ",
    packet: udp(V4, kinkMessage({ type: MSG.ACK, xid: 7, reserved2: 0x7f, cksum: CKSUM }, [[KINK.AP_REQ, epochBody(EPOCH, AP_REQ_DER)]])),
    fields: { ...NO_ISAKMP },
  },
  {
    name: "REPLY, Kerberos error with a key: AP_REP + KINK_KRB_ERROR + Cksum",
    packet: udp(
      V4,
      kinkMessage({ type: MSG.REPLY, xid: 13, cksum: CKSUM }, [
        [KINK.AP_REP, epochBody(EPOCH, AP_REP_DER)],
        [KINK.KRB_ERROR, KRB_ERROR_DER],
      ]),
    ),
    fields: { "kink4430.krb_error": [KRB_ERROR_DER], "kerberos.error_code": [37] },
  },
  {
    name: "REPLY: lone KINK_KRB_ERROR, no Cksum",
    packet: udp(V4, kinkMessage({ type: MSG.REPLY, xid: 14 }, [[KINK.KRB_ERROR, KRB_ERROR_DER]])),
    fields: { "kink4430.krb_error": [KRB_ERROR_DER], "kerberos.error_code": [37], "kink4430.cksum": [] },
  },
  {
    name: "GETTGT: KINK_TGT_REQ (PrincName, padded)",
    packet: udp(V4, kinkMessage({ type: MSG.GETTGT, xid: 15 }, [[KINK.TGT_REQ, utf8(PRINC_NAME)]])),
    fields: { "kink4430.princ_name": [PRINC_NAME], "kink4430.padding": [new Uint8Array(2)] },
  },
  {
    name: "GETTGT: KINK_TGT_REQ whose PrincName is not padded at the end of the message",
    packet: udp(
      V4,
      concat(header({ type: MSG.GETTGT, length: 16 + 4 + 30, xid: 16, nextPayload: KINK.TGT_REQ }), genericPayload(0, utf8("kink/b.example.com@EXAMPLE.COM"))),
    ),
    fields: { "kink4430.princ_name": ["kink/b.example.com@EXAMPLE.COM"], "kink4430.padding": [] },
  },
  {
    name: "REPLY to GETTGT: KINK_TGT_REP (DER Ticket)",
    packet: udp(V4, kinkMessage({ type: MSG.REPLY, xid: 15 }, [[KINK.TGT_REP, TICKET_DER]])),
    fields: { "kink4430.tgt": [TICKET_DER], "kerberos.tkt_vno": [5], "kerberos.encTicketPart_element": [""] },
  },
  ...[0, 1, 2, 3, 4, 5, 6, 7].map(
    (code): DissectorCase => ({
      name: `REPLY: lone KINK_ERROR code ${code}`,
      packet: udp(V4, kinkMessage({ type: MSG.REPLY, xid: 20 + code }, [[KINK.ERROR, errorBody(code)]])),
      fields: { "kink4430.error_code": [code] },
    }),
  ),
  {
    name: "ACK followed by octets beyond Length (permitted, RFC 4430 §4)",
    packet: udp(V4, concat(kinkMessage({ type: MSG.ACK, xid: 30, cksum: CKSUM }, [[KINK.AP_REQ, epochBody(EPOCH, AP_REQ_DER)]]), fromHex("deadbeef"))),
    fields: { "kink4430.trailer": [fromHex("deadbeef")] },
  },
];

// (c) Broken messages: each must raise exactly the listed expert infos and never crash the dissector.
const apReqPayload = genericPayload(0, epochBody(EPOCH, AP_REQ_DER));
const malformedCases: DissectorCase[] = [
  {
    name: "Payload Length runs past the end of the message",
    packet: udp(
      V4,
      concat(
        header({ type: MSG.ACK, length: 16 + apReqPayload.length, xid: 40, nextPayload: KINK.AP_REQ }),
        genericPayload(0, epochBody(EPOCH, AP_REQ_DER), apReqPayload.length + 100),
      ),
    ),
    fields: { "kink4430.payload.length": [apReqPayload.length + 100], "kink4430.ap_req": [] },
    experts: ["kink4430.payload_truncated"],
  },
  {
    name: "Next Payload announces a payload the message has no room for",
    packet: udp(V4, header({ type: MSG.ACK, length: 16, xid: 41, nextPayload: KINK.AP_REQ })),
    fields: { "kink4430.payload": [] },
    experts: ["kink4430.payload_truncated"],
  },
  {
    name: "Payload Length smaller than the generic header",
    packet: udp(V4, concat(header({ type: MSG.REPLY, length: 24, xid: 42, nextPayload: KINK.ERROR }), genericPayload(0, errorBody(1), 2))),
    fields: { "kink4430.error_code": [] },
    experts: ["kink4430.payload_too_short"],
  },
  {
    name: "KINK_ERROR with Payload Length 12",
    packet: udp(V4, kinkMessage({ type: MSG.REPLY, xid: 43 }, [[KINK.ERROR, concat(errorBody(1), u32(0))]])),
    fields: { "kink4430.payload.length": [12] },
    experts: ["kink4430.error_length"],
  },
  {
    name: "Unknown payload type 9",
    packet: udp(V4, kinkMessage({ type: MSG.REPLY, xid: 44 }, [[9, u32(0x01020304)]])),
    fields: { "kink4430.payload": [9], "kink4430.payload.data": [u32(0x01020304)] },
    experts: ["kink4430.unknown_payload"],
  },
  {
    name: "MjVer 2",
    packet: udp(V4, kinkMessage({ type: MSG.REPLY, xid: 45, versionByte: 0x20 }, [[KINK.ERROR, errorBody(3)]])),
    fields: { "kink4430.mjver": [2], "kink4430.error_code": [3] },
    experts: ["kink4430.bad_version"],
  },
  {
    name: "Length beyond the datagram",
    packet: udp(V4, concat(header({ type: MSG.REPLY, length: 32, xid: 46, nextPayload: KINK.ERROR }), genericPayload(0, errorBody(1)))),
    fields: { "kink4430.length": [32], "kink4430.error_code": [1] },
    experts: ["kink4430.length_beyond_datagram"],
  },
  {
    name: "Cksum not on a 4-octet boundary",
    packet: udp(
      V4,
      concat(header({ type: MSG.ACK, length: 16 + apReqPayload.length + 12, xid: 47, nextPayload: KINK.AP_REQ, cksumLen: 12 }), apReqPayload, CKSUM),
    ),
    fields: { "kink4430.cksum": [CKSUM] },
    experts: ["kink4430.misaligned"],
  },
  {
    name: "Datagram shorter than the header",
    packet: udp(V4, fromHex("0510001000000001")),
    fields: { "kink4430.type": [] },
    experts: ["kink4430.short_datagram"],
  },
  {
    name: "ISAKMP payload runs past KINK_ISAKMP; ID of a type RFC 4430 does not allow; ID data of the wrong length",
    packet: udp(
      V4,
      kinkMessage({ type: MSG.STATUS, xid: 48 }, [
        [
          KINK.ISAKMP,
          concat(
            isakmpBody([
              [ISAKMP.ID, idBody({ type: 2, protocol: 0, port: 0, data: utf8("host.example") })],
              [ISAKMP.ID, idBody({ type: 1, protocol: 0, port: 0, data: ipBytes("2001:db8::1") })],
              [ISAKMP.NONCE, NONCE],
            ]).subarray(0, -4),
          ),
        ],
      ]),
    ),
    fields: { "kink4430.isakmp.payload": [5, 5, 10], "kink4430.isakmp.id.type": [2, 1] },
    experts: ["kink4430.isakmp.id.type_not_allowed", "kink4430.isakmp.id.bad_length", "kink4430.isakmp.truncated"],
  },
];

// ---------------------------------------------------------------------------------------------
// One tshark run for everything: racoon2's packets first (the Kerberos dissector learns the
// session key from the CREATE's ticket and decrypts the later AP-REPs with it).

// Datagrams from the codec itself (src/wire): every message type of the encoder's samples,
// keyed with a real aes256 session key, the ISAKMP chain in clear where the sample has it, and
// the worked example of kink.md §13. The dissector must show each exactly as encoded.
const ISAKMP_TYPE_NUMBER: Record<IsakmpPayload["type"], number> = { sa: 1, ke: 4, id: 5, nonce: 10, notify: 11, delete: 12 };
const encoderSealer = sessionKeySealer(randomSession(18));
const encoderCases: DissectorCase[] = [
  ...sampleMessages().map(({ name, msg, keyed }) => ({ name, msg, keyed })),
  {
    name: "kink.md §13.2 CREATE",
    keyed: true,
    msg: {
      type: MessageType.CREATE,
      xid: 1,
      payloads: [
        { type: PayloadType.AP_REQ, epoch: 1, apReq: blob(431, 1) },
        { type: PayloadType.ENCRYPT, inner: [{ type: PayloadType.ISAKMP, qmVersion: 0x10, payloads: workedExampleChain() }] },
      ],
    },
  },
].map(({ name, msg, keyed }, i) => {
  const clear = msg.payloads.flatMap((p) => (p.type === PayloadType.ISAKMP ? p.payloads : []));
  // The dissector lists nested Proposal (2) and Transform (3) payloads in wire order too.
  const shown = clear.flatMap((q) =>
    q.type === "sa" ? [1, ...q.proposals.flatMap((pr) => [2, ...pr.transforms.map(() => 3)])] : [ISAKMP_TYPE_NUMBER[q.type]],
  );
  const fields: Record<string, FieldValue[]> = shown.length > 0 ? { "kink4430.isakmp.payload": shown } : {};
  return { name: `encoder: ${name}`, packet: udp(i % 2 ? V6 : V4, encodeKinkMessage(msg, keyed ? encoderSealer : undefined)), fields };
});
validCases.push(...encoderCases);

const cases = [...validCases, ...malformedCases];
// Run once; a failure (tshark missing, script not loading) is kept and fails every test alike.
let outcome: { packets: DissectedPacket[] } | { error: unknown } | undefined;
function results(): DissectedPacket[] {
  if (!outcome) {
    try {
      const after = racoon2.at(-1)!.time!;
      const synthetic = cases.map((c, i) => ({ ...c.packet, time: after + (i + 1) / 1000 }));
      outcome = { packets: dissect([...racoon2, ...synthetic], { prefs: TSHARK_PREFS }) };
    } catch (error) {
      outcome = { error };
    }
  }
  if ("error" in outcome) throw outcome.error;
  return outcome.packets;
}
const racoon2Result = (i: number) => results()[i]!;
const caseResult = (c: DissectorCase) => results()[racoon2.length + cases.indexOf(c)]!;
const count = (p: DissectedPacket, name: string) => p.fields.get(name)?.length ?? 0;
const shows = (p: DissectedPacket, name: string) => (p.fields.get(name) ?? []).map((o) => o.show);

test("racoon2 capture: the UDP 910 datagrams are the messages known-answers.json records", () => {
  assert.equal(
    racoon2.map((p) => ({ src: p.src, dst: p.dst, hex: hex(p.payload) })),
    known.messages.map((m) => ({ src: m.src, dst: m.dst, hex: m.message })),
  );
});

test("racoon2 messages: header, payload offsets and lengths, padding, Cksum as recorded; no expert info, nothing malformed", () => {
  known.messages.forEach((m, i) => {
    const p = racoon2Result(i);
    const epoch = m.ap_req?.epoch ?? m.ap_rep!.epoch;
    const expected: Record<string, FieldValue[]> = {
      "kink4430.type": [m.type],
      "kink4430.xid": [m.xid],
      "kink4430.length": [m.length],
      "kink4430.ackreq": [m.ackreq],
      "kink4430.cksum_len": [m.cksum_len],
      "kink4430.cksum": [fromHex(m.cksum)],
      "kink4430.payload": m.payloads.map((x) => x.type),
      "kink4430.payload.length": m.payloads.map((x) => x.length),
      "kink4430.padding": m.payloads.filter((x) => x.pad > 0).map((x) => new Uint8Array(x.pad)),
      "kink4430.epoch.raw": [epoch],
      "kink4430.ciphertext_len": m.encrypt ? [m.encrypt.ciphertext_len] : [],
    };
    assert.equal(validDatagramProblems(p, fromHex(m.message), expected), [], `frame ${m.frame}`);
    const start = p.fields.get("kink4430")![0]!.pos;
    assert.equal(
      p.fields.get("kink4430.payload")!.map((o) => o.pos - start),
      m.payloads.map((x) => x.offset),
      `frame ${m.frame} payload offsets`,
    );
  });
});

test("racoon2 messages: with the responder's keytab the tickets and authenticators decrypt, and the AP-REPs with the learnt session key", () => {
  known.messages.forEach((m, i) => {
    const p = racoon2Result(i);
    if (m.ap_req) {
      assert.is(count(p, "kerberos.encTicketPart_element"), 1, `frame ${m.frame}`);
      assert.equal(shows(p, "kerberos.crealm"), ["KINK.TEST", "KINK.TEST"], `frame ${m.frame}: ticket and authenticator`);
      assert.equal(shows(p, "kerberos.CNameString"), ["kink", "initiator.kink.test", "kink", "initiator.kink.test"]);
      assert.equal(shows(p, "kerberos.ctime"), [wiresharkTime(m.ap_req.authenticator.ctime)], `frame ${m.frame}`);
      assert.equal(shows(p, "kerberos.cusec"), [String(m.ap_req.authenticator.cusec)], `frame ${m.frame}`);
    } else {
      assert.is(count(p, "kerberos.encAPRepPart_element"), 1, `frame ${m.frame}`);
      assert.equal(shows(p, "kerberos.ctime"), [wiresharkTime(m.ap_rep!.ctime)], `frame ${m.frame}`);
      assert.equal(shows(p, "kerberos.cusec"), [String(m.ap_rep!.cusec)], `frame ${m.frame}`);
    }
  });
});

for (const c of validCases) {
  test(`valid: ${c.name}`, () => {
    const p = caseResult(c);
    assert.equal(validDatagramProblems(p, c.packet.payload, c.fields), []);
  });
}

for (const c of malformedCases) {
  test(`malformed: ${c.name}`, () => {
    const p = caseResult(c);
    assert.equal(fieldMismatches(p, c.fields), []);
    assert.equal(kinkExperts(p), c.experts ?? []);
    // A dissector exception or Lua error would add an expert info of its own (_ws.malformed.expert, _ws.lua.error).
    assert.equal(unexpectedExperts(p, new Set([...KERBEROS_KEY_NOTES, ...(c.experts ?? [])])), []);
  });
}

test("names: message types, payload types, KINK_ERROR codes (4 as racoon2's KINK_INVMIN), transform IDs by protocol", () => {
  const labels = (p: DissectedPacket, name: string) => (p.fields.get(name) ?? []).map((o) => o.label);
  const errors = validCases.filter((c) => c.name.startsWith("REPLY: lone KINK_ERROR")).map((c) => labels(caseResult(c), "kink4430.error_code")[0]);
  assert.equal(errors, [
    "ErrorCode: KINK_OK (0)",
    "ErrorCode: KINK_PROTOERR (1)",
    "ErrorCode: KINK_INVDOI (2)",
    "ErrorCode: KINK_INVMAJ (3)",
    "ErrorCode: RESERVED (racoon2: KINK_INVMIN) (4)",
    "ErrorCode: KINK_INTERR (5)",
    "ErrorCode: KINK_BADQMVERS (6)",
    "ErrorCode: KINK_U2UDENIED (7)",
  ]);
  const create = caseResult(validCases[0]!);
  assert.equal(labels(create, "kink4430.type"), ["Type: CREATE (1)"]);
  assert.equal(labels(create, "kink4430.payload"), ["Payload: KINK_AP_REQ (1)", "Payload: KINK_ISAKMP (6)"]);
  assert.equal(labels(create, "kink4430.isakmp.transform.id"), ["Transform-ID: ESP_AES-CBC (12)", "Transform-ID: ESP_3DES (3)", "Transform-ID: AH_SHA (3)"]);
});

test("pcap writer: Wireshark finds every IPv4 header checksum and every UDP checksum (IPv4 and IPv6) good", () => {
  const good = (name: string) => results().filter((p) => shows(p, name).join() === "1").length;
  const ipv4 = [...racoon2, ...cases.map((c) => c.packet)].filter((p) => p.src.includes(".")).length;
  assert.is(good("ip.checksum.status"), ipv4);
  assert.is(good("udp.checksum.status"), results().length);
  assert.ok(ipv4 < results().length, "IPv6 packets included");
});

test("summary (tree line and Info column): message type, XID, ACKREQ, payload list", () => {
  const summary = (c: DissectorCase) => caseResult(c).fields.get("kink4430")![0]!.label;
  assert.is(summary(validCases[0]!), "KINK (RFC 4430), CREATE XID=7: KINK_AP_REQ, KINK_ISAKMP");
  assert.is(summary(validCases[1]!), "KINK (RFC 4430), REPLY XID=7 ACKREQ: KINK_AP_REP, KINK_ISAKMP");
  assert.is(summary(malformedCases[1]!), "KINK (RFC 4430), ACK XID=41: no payloads");
});

test.run();
