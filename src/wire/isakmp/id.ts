// ID payloads IDci/IDcr [RFC 2407 §4.6.2], limited to the address types KINK allows
// [RFC 4430 §5.3]: a single address, an address with a netmask, or an address range.

import { formatAddress, parseAddress } from "../ip-address.ts";
import { IdType, IsakmpPayloadType, idTypeName } from "./constants.ts";
import { compareAddresses, maskFromPrefix, prefixFromMask } from "./ip.ts";
import type { IdAddress, IdPayload } from "./types.ts";
import { type Fail, fit, type PayloadCodec, U8_MAX, U16_MAX } from "./walk.ts";

interface IdLayout {
  readonly kind: IdAddress["kind"];
  readonly octets: 4 | 16;
}

/** Identification Data layout per ID type [RFC 2407 §4.6.2.2–§4.6.2.8]; other types are refused [RFC 4430 §5.3]. */
const LAYOUTS = new Map<number, IdLayout>([
  [IdType.IPV4_ADDR, { kind: "addr", octets: 4 }],
  [IdType.IPV4_ADDR_SUBNET, { kind: "subnet", octets: 4 }],
  [IdType.IPV6_ADDR, { kind: "addr", octets: 16 }],
  [IdType.IPV6_ADDR_SUBNET, { kind: "subnet", octets: 16 }],
  [IdType.IPV4_ADDR_RANGE, { kind: "range", octets: 4 }],
  [IdType.IPV6_ADDR_RANGE, { kind: "range", octets: 16 }],
]);

/** ID Type, Protocol ID, Port [RFC 2407 §4.6.2]. */
const ID_DATA_AT = 8;

function parse(text: string, layout: IdLayout, fail: Fail): Uint8Array {
  return parseAddress(text, layout.octets) ?? fail("bad-isakmp", "ID.Data", `"${text}" is not an IPv${layout.octets === 4 ? 4 : 6} address`);
}

export const idCodec: PayloadCodec<IdPayload> = {
  type: IsakmpPayloadType.ID,

  decode(r, fail, payloadAt) {
    const idType = r.u8("ID.IDType");
    const layout = LAYOUTS.get(idType) ?? fail("bad-isakmp", "ID.IDType", `${idTypeName(idType)} is not allowed in KINK [RFC 4430 §5.3]`, payloadAt + 4);
    const protocol = r.u8("ID.ProtocolID");
    const port = r.u16("ID.Port");
    const dataLength = layout.kind === "addr" ? layout.octets : 2 * layout.octets;
    if (r.remaining !== dataLength)
      fail("bad-payload-length", "ID.PayloadLength", `${r.remaining} data octets, ${idTypeName(idType)} has ${dataLength} [RFC 2407 §4.6.2]`, payloadAt + 2);
    const first = r.bytesView(layout.octets, "ID.Data");
    const dataAt = payloadAt + ID_DATA_AT;
    let address: IdAddress;
    if (layout.kind === "addr") address = { kind: "addr", addr: formatAddress(first) };
    else {
      const second = r.bytesView(layout.octets, "ID.Data");
      if (layout.kind === "subnet") {
        // RFC 2407 §4.6.2.4/§4.6.2.6 define the mask as a netmask; a non-contiguous one names no prefix.
        const prefix = prefixFromMask(second) ?? fail("bad-isakmp", "ID.Data", "non-contiguous subnet mask", dataAt + layout.octets);
        address = { kind: "subnet", addr: formatAddress(first), prefix };
      } else {
        if (compareAddresses(first, second) > 0) fail("bad-isakmp", "ID.Data", "range start is above its end [RFC 2407 §4.6.2.7]", dataAt);
        address = { kind: "range", start: formatAddress(first), end: formatAddress(second) };
      }
    }
    return { type: "id", idType, protocol, port, address };
  },

  encode(w, id, fail) {
    const layout = LAYOUTS.get(id.idType) ?? fail("bad-isakmp", "ID.IDType", `${idTypeName(id.idType)} is not allowed in KINK [RFC 4430 §5.3]`);
    const a = id.address;
    if (a.kind !== layout.kind) fail("bad-isakmp", "ID.Data", `${a.kind} address for ${idTypeName(id.idType)}`);
    w.u8(fit(id.idType, U8_MAX, "ID.IDType", fail))
      .u8(fit(id.protocol, U8_MAX, "ID.ProtocolID", fail))
      .u16(fit(id.port, U16_MAX, "ID.Port", fail));
    if (a.kind === "addr") w.bytes(parse(a.addr, layout, fail));
    else if (a.kind === "subnet") {
      if (!Number.isInteger(a.prefix) || a.prefix < 0 || a.prefix > layout.octets * 8) fail("bad-isakmp", "ID.Data", `prefix /${a.prefix}`);
      w.bytes(parse(a.addr, layout, fail)).bytes(maskFromPrefix(a.prefix, layout.octets));
    } else {
      const start = parse(a.start, layout, fail);
      const end = parse(a.end, layout, fail);
      if (compareAddresses(start, end) > 0) fail("bad-isakmp", "ID.Data", "range start is above its end [RFC 2407 §4.6.2.7]");
      w.bytes(start).bytes(end);
    }
  },
};
