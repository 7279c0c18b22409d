// Notify [RFC 2408 §3.14, RFC 2407 §4.6.3] and Delete [RFC 2408 §3.15, RFC 2407 §4.6.4]
// payloads: DOI, Protocol-ID and SPI Size, then what the payload is about.

import { DOI_IPSEC } from "../constants.ts";
import { IsakmpPayloadType } from "./constants.ts";
import { checkSpiSize } from "./sa.ts";
import type { DeletePayload, NotifyPayload } from "./types.ts";
import { type Fail, fit, type PayloadCodec, U8_MAX, U16_MAX, U32_MAX } from "./walk.ts";

/**
 * A Notify's DOI is 1, but 0 (ISAKMP, RFC 2408 §3.14) is tolerated and kept: a Notify only
 * reports, and refusing one over a DOI it cannot be misread under would just lose the report.
 */
function checkNotifyDoi(doi: number, fail: Fail, at?: number): void {
  if (doi !== DOI_IPSEC && doi !== 0) fail("bad-doi", "Notify.DOI", `${doi}, expected 1 (IPsec) [RFC 4430 §5]`, at);
}

/** A Delete acts on IPsec SAs, so its DOI is exactly 1 [RFC 2407 §4.6.4]; it names at least one SPI [RFC 2408 §3.15]. */
function checkDelete(doi: number, spiCount: number, fail: Fail, at?: number): void {
  if (doi !== DOI_IPSEC) fail("bad-doi", "Delete.DOI", `${doi}, KINK requires 1 (IPsec) [RFC 4430 §5]`, at);
  if (spiCount === 0) fail("bad-isakmp", "Delete.#SPIs", "deletes nothing [RFC 2408 §3.15]", at);
}

export const notifyCodec: PayloadCodec<NotifyPayload> = {
  type: IsakmpPayloadType.NOTIFY,

  decode(r, fail, payloadAt) {
    const doi = r.u32("Notify.DOI");
    checkNotifyDoi(doi, fail, payloadAt + 4);
    const protocolId = r.u8("Notify.ProtocolID");
    const spiSize = r.u8("Notify.SPISize");
    const notifyType = r.u16("Notify.NotifyMessageType");
    const spi = r.keep(spiSize, "Notify.SPI");
    return { type: "notify", doi, protocolId, spi, notifyType, data: r.keepRest() };
  },

  encode(w, n, fail) {
    checkNotifyDoi(n.doi, fail);
    w.u32(fit(n.doi, U32_MAX, "Notify.DOI", fail))
      .u8(fit(n.protocolId, U8_MAX, "Notify.ProtocolID", fail))
      .u8(fit(n.spi.length, U8_MAX, "Notify.SPISize", fail))
      .u16(fit(n.notifyType, U16_MAX, "Notify.NotifyMessageType", fail))
      .bytes(n.spi)
      .bytes(n.data);
  },
};

export const deleteCodec: PayloadCodec<DeletePayload> = {
  type: IsakmpPayloadType.DELETE,

  decode(r, fail, payloadAt) {
    const doi = r.u32("Delete.DOI");
    const protocolId = r.u8("Delete.ProtocolID");
    const spiSize = r.u8("Delete.SPISize");
    const spiCount = r.u16("Delete.#SPIs");
    checkDelete(doi, spiCount, fail, payloadAt + 4);
    checkSpiSize(protocolId, spiSize, "Delete", fail, payloadAt + 8);
    if (r.remaining !== spiCount * spiSize)
      fail("bad-payload-length", "Delete.#SPIs", `${spiCount} SPIs of ${spiSize} octets in ${r.remaining} octets [RFC 2408 §3.15]`, payloadAt + 10);
    const spis = Array.from({ length: spiCount }, () => r.keep(spiSize, "Delete.SPI"));
    return { type: "delete", doi, protocolId, spiSize, spis };
  },

  encode(w, d, fail) {
    checkDelete(d.doi, d.spis.length, fail);
    checkSpiSize(d.protocolId, d.spiSize, "Delete", fail);
    if (d.spis.some((spi) => spi.length !== d.spiSize)) fail("bad-isakmp", "Delete.SPI", `every SPI must be ${d.spiSize} octets`);
    w.u32(fit(d.doi, U32_MAX, "Delete.DOI", fail))
      .u8(fit(d.protocolId, U8_MAX, "Delete.ProtocolID", fail))
      .u8(fit(d.spiSize, U8_MAX, "Delete.SPISize", fail))
      .u16(fit(d.spis.length, U16_MAX, "Delete.#SPIs", fail));
    for (const spi of d.spis) w.bytes(spi);
  },
};
