// The baseline parser for bench/krb: the same AP-REQ, EncTicketPart and Authenticator fields our
// DER walk extracts, read with asn1js (the general-purpose BER/DER library) instead.
import * as asn1js from "asn1js";
import type { ApReq, Authenticator, EncTicketPart, PrincipalName } from "../src/krb/messages/types.ts";

type Node = asn1js.AsnType;

function parse(bytes: Uint8Array): Node {
  const r = asn1js.fromBER(bytes);
  if (r.offset === -1) throw new Error(`asn1js: ${r.result.error}`);
  return r.result;
}

function kids(n: Node): Node[] {
  return (n as asn1js.Sequence).valueBlock.value as Node[];
}

/** Fields of an [APPLICATION n] SEQUENCE by context tag. */
function fields(app: Node): Map<number, Node> {
  const seq = kids(app)[0] as Node;
  const m = new Map<number, Node>();
  for (const f of kids(seq)) m.set(f.idBlock.tagNumber, kids(f)[0] as Node);
  return m;
}

const int = (n: Node) => (n as asn1js.Integer).valueBlock.valueDec;
const str = (n: Node) => (n as asn1js.GeneralString).valueBlock.value;
const octets = (n: Node) => new Uint8Array((n as asn1js.OctetString).valueBlock.valueHexView);
const time = (n: Node) => (n as asn1js.GeneralizedTime).toDate().getTime();
const bits32 = (n: Node) => new DataView((n as asn1js.BitString).valueBlock.valueHexView.slice(0, 4).buffer).getUint32(0);

function principal(n: Node): PrincipalName {
  const f = new Map(kids(n).map((x) => [x.idBlock.tagNumber, kids(x)[0] as Node]));
  return { nameType: int(f.get(0) as Node), nameString: kids(f.get(1) as Node).map(str) };
}

function encData(n: Node) {
  const f = new Map(kids(n).map((x) => [x.idBlock.tagNumber, kids(x)[0] as Node]));
  const e: { etype: number; kvno?: number; cipher: Uint8Array } = { etype: int(f.get(0) as Node), cipher: octets(f.get(2) as Node) };
  if (f.has(1)) e.kvno = int(f.get(1) as Node);
  return e;
}

export function asn1jsApReq(bytes: Uint8Array): ApReq {
  const f = fields(parse(bytes));
  const tf = fields(f.get(3) as Node);
  return {
    apOptions: bits32(f.get(2) as Node),
    ticket: { realm: str(tf.get(1) as Node), sname: principal(tf.get(2) as Node), encPart: encData(tf.get(3) as Node) },
    authenticator: encData(f.get(4) as Node),
  };
}

export function asn1jsEncTicketPart(bytes: Uint8Array): EncTicketPart {
  const f = fields(parse(bytes));
  const key = new Map(kids(f.get(1) as Node).map((x) => [x.idBlock.tagNumber, kids(x)[0] as Node]));
  const tr = new Map(kids(f.get(4) as Node).map((x) => [x.idBlock.tagNumber, kids(x)[0] as Node]));
  const out: EncTicketPart = {
    flags: bits32(f.get(0) as Node),
    key: { keytype: int(key.get(0) as Node), keyvalue: octets(key.get(1) as Node) },
    crealm: str(f.get(2) as Node),
    cname: principal(f.get(3) as Node),
    transited: { trType: int(tr.get(0) as Node), contents: octets(tr.get(1) as Node) },
    authtime: time(f.get(5) as Node),
    endtime: time(f.get(7) as Node),
  };
  if (f.has(6)) out.starttime = time(f.get(6) as Node);
  if (f.has(10)) {
    out.authorizationData = kids(f.get(10) as Node).map((ad) => {
      const m = new Map(kids(ad).map((x) => [x.idBlock.tagNumber, kids(x)[0] as Node]));
      return { adType: int(m.get(0) as Node), adData: octets(m.get(1) as Node) };
    });
  }
  return out;
}

export function asn1jsAuthenticator(bytes: Uint8Array): Authenticator {
  const f = fields(parse(bytes));
  return { crealm: str(f.get(1) as Node), cname: principal(f.get(2) as Node), cusec: int(f.get(4) as Node), ctime: time(f.get(5) as Node) };
}
