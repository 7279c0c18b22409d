// The §11 interop choices are explicit options with the documented effects.
import { test } from "uvu";
import * as assert from "uvu/assert";
import { KinkErrorCode } from "../../src/wire/constants.ts";
import { decodeKinkMessage } from "../../src/wire/decode.ts";
import { kinkErrorMeaning, RACOON2_INTEROP, RFC_INTEROP, replyPortFor } from "../../src/wire/interop.ts";
import { encodeKinkMessage } from "../../src/wire/kink-message.ts";
import { kinkErrorOf } from "../helpers/kink.ts";

test("reply port: racoon2 wants 910, the RFC profile answers the source port", () => {
  assert.is(replyPortFor(RACOON2_INTEROP, 40000), 910);
  assert.is(replyPortFor(RFC_INTEROP, 40000), 40000);
});

test("error code 4 (reserved, racoon2's KINK_INVMIN) is a version error only when accepted", () => {
  assert.is(kinkErrorMeaning(KinkErrorCode.INVMIN_DRAFT, RACOON2_INTEROP), "version");
  assert.is(kinkErrorMeaning(KinkErrorCode.INVMIN_DRAFT, RFC_INTEROP), "unknown");
  assert.is(kinkErrorMeaning(KinkErrorCode.INVMAJ, RFC_INTEROP), "version");
  assert.is(kinkErrorMeaning(KinkErrorCode.U2UDENIED, RFC_INTEROP), "u2u-denied");
  assert.is(kinkErrorMeaning(9000, RACOON2_INTEROP), "unknown");
});

test("racoon2's 16384-octet limit drops longer messages; the RFC profile takes up to 65535", () => {
  const big = encodeKinkMessage({ type: 3, xid: 1, payloads: [{ type: 5, tgt: new Uint8Array(20000).fill(0x61) }] });
  assert.is(decodeKinkMessage(big, RFC_INTEROP).length, big.length);
  const e = kinkErrorOf(() => decodeKinkMessage(big, RACOON2_INTEROP));
  assert.is(e.reason, "too-long");
  assert.is(e.response.kind, "drop");
});

test.run();
