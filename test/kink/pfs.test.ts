// PFS Diffie-Hellman [RFC 4430 §5, RFC 2409 §5.5]: the RFC 5903 §8 known answers for the ECP
// groups, MODP-2048 against a BigInt modular exponentiation over node's RFC 3526 prime, the
// fixed-length wire forms, and the refusal of peer values outside the group.
import { createHash, getDiffieHellman } from "node:crypto";
import { test } from "uvu";
import * as assert from "uvu/assert";
import { DH_GROUPS, DhExchange, dhGroup } from "../../src/kink/pfs.ts";
import { KinkError } from "../../src/wire/errors.ts";
import { hex, toHex } from "../helpers/bytes.ts";

const MODP_2048 = 14;
const ECP_256 = 19;
const ECP_384 = 20;

const modpPrime = BigInt(`0x${getDiffieHellman("modp14").getPrime().toString("hex")}`);

function modPow(base: bigint, exponent: bigint, modulus: bigint): bigint {
  let result = 1n;
  let square = base % modulus;
  for (let e = exponent; e > 0n; e >>= 1n) {
    if (e & 1n) result = (result * square) % modulus;
    square = (square * square) % modulus;
  }
  return result;
}

const toBigInt = (b: Uint8Array): bigint => BigInt(`0x${toHex(b) || "0"}`);

function octets(value: bigint, length: number): Uint8Array {
  return hex(value.toString(16).padStart(length * 2, "0"));
}

/** A fixed 32-octet private exponent, different for every label. */
const fixedKey = (label: string): Uint8Array => new Uint8Array(createHash("sha256").update(label).digest());

function assertRejected(action: () => unknown, reason: string, notifyType: number): void {
  try {
    action();
  } catch (e) {
    assert.instance(e, KinkError);
    const error = e as KinkError;
    assert.is(error.reason, reason);
    assert.equal(error.response, { kind: "notify", notifyType });
    return;
  }
  assert.unreachable(`expected KinkError ${reason}`);
}

const assertBadKe = (exchange: DhExchange, peer: Uint8Array): void => assertRejected(() => exchange.computeSecret(peer), "bad-ke-value", 16);

test("group table: IKE group numbers, names and wire lengths", () => {
  assert.equal(
    DH_GROUPS.map((g) => [g.id, g.name, g.kind, g.publicOctets, g.secretOctets]),
    [
      [14, "modp2048", "modp", 256, 256],
      [19, "ecp256", "ecp", 64, 32],
      [20, "ecp384", "ecp", 96, 48],
    ],
  );
  assert.is(dhGroup(ECP_256)?.name, "ecp256");
  for (const id of [0, 1, 2, 5, 15, 21, 31]) assert.is(dhGroup(id), undefined);
});

// RFC 5903 §8.1 and §8.2: private keys i and r, the coordinates of the public values gi and
// gr, and the x coordinate of g^ir.
const ecpVectors = [
  {
    group: ECP_256,
    i: "c88f01f510d9ac3f70a292daa2316de544e9aab8afe84049c62a9c57862d1433",
    gix: "dad0b65394221cf9b051e1feca5787d098dfe637fc90b9ef945d0c3772581180",
    giy: "5271a0461cdb8252d61f1c456fa3e59ab1f45b33accf5f58389e0577b8990bb3",
    r: "c6ef9c5d78ae012a011164acb397ce2088685d8f06bf9be0b283ab46476bee53",
    grx: "d12dfb5289c8d4f81208b70270398c342296970a0bccb74c736fc7554494bf63",
    gry: "56fbf3ca366cc23e8157854c13c58d6aac23f046ada30f8353e74f33039872ab",
    girx: "d6840f6b42f6edafd13116e0e12565202fef8e9ece7dce03812464d04b9442de",
  },
  {
    group: ECP_384,
    i: "099f3c7034d4a2c699884d73a375a67f7624ef7c6b3c0f160647b67414dce655e35b538041e649ee3faef896783ab194",
    gix: "667842d7d180ac2cde6f74f37551f55755c7645c20ef73e31634fe72b4c55ee6de3ac808acb4bdb4c88732aee95f41aa",
    giy: "9482ed1fc0eeb9cafc4984625ccfc23f65032149e0e144ada024181535a0f38eeb9fcff3c2c947dae69b4c634573a81c",
    r: "41cb0779b4bdb85d47846725fbec3c9430fab46cc8dc5060855cc9bda0aa2942e0308312916b8ed2960e4bd55a7448fc",
    grx: "e558dbef53eecde3d3fccfc1aea08a89a987475d12fd950d83cfa41732bc509d0d1ac43a0336def96fda41d0774a3571",
    gry: "dcfbec7aacf3196472169e838430367f66eebe3c6e70c416dd5f0c68759dd1fff83fa40142209dff5eaad96db9e6386c",
    girx: "11187331c279962d93d604243fd592cb9d0a926f422e47187521287e7156c5c4d603135569b9e9d09cf5d4a270f59746",
  },
];

for (const v of ecpVectors) {
  test(`RFC 5903 known answer, group ${v.group}: public values x | y and the shared x coordinate`, () => {
    const initiator = DhExchange.create(v.group, hex(v.i));
    const responder = DhExchange.create(v.group, hex(v.r));
    const gi = v.gix + v.giy;
    const gr = v.grx + v.gry;
    assert.is(toHex(initiator.publicValue), gi);
    assert.is(toHex(responder.publicValue), gr);
    assert.is(toHex(initiator.computeSecret(hex(gr))), v.girx);
    assert.is(toHex(responder.computeSecret(hex(gi))), v.girx);
  });
}

test("MODP-2048 with fixed exponents: g^x and g^xy equal a BigInt modular exponentiation", () => {
  const x = fixedKey("initiator");
  const y = fixedKey("responder");
  const initiator = DhExchange.create(MODP_2048, x);
  const responder = DhExchange.create(MODP_2048, y);
  assert.is(toHex(initiator.publicValue), toHex(octets(modPow(2n, toBigInt(x), modpPrime), 256)));
  assert.is(toHex(responder.publicValue), toHex(octets(modPow(2n, toBigInt(y), modpPrime), 256)));
  const expected = toHex(octets(modPow(2n, toBigInt(x) * toBigInt(y), modpPrime), 256));
  assert.is(toHex(initiator.computeSecret(responder.publicValue)), expected);
  assert.is(toHex(responder.computeSecret(initiator.publicValue)), expected);
});

test("every group: two fresh parties agree, at the group's lengths", () => {
  for (const group of DH_GROUPS) {
    const initiator = DhExchange.create(group.id);
    const responder = DhExchange.create(group.id);
    assert.is(initiator.group, group);
    assert.is(initiator.publicValue.length, group.publicOctets);
    assert.is(responder.publicValue.length, group.publicOctets);
    assert.is.not(toHex(initiator.publicValue), toHex(responder.publicValue));
    const secret = initiator.computeSecret(responder.publicValue);
    assert.is(secret.length, group.secretOctets);
    assert.is(toHex(responder.computeSecret(initiator.publicValue)), toHex(secret));
  }
});

test("MODP-2048 public value with leading zero octets stays 256 octets", () => {
  // g^5 = 32: a one-octet number, zero-prepended to the prime's length.
  const small = DhExchange.create(MODP_2048, new Uint8Array([5]));
  assert.is(small.publicValue.length, 256);
  assert.is(toHex(small.publicValue), `${"00".repeat(255)}20`);
  // A peer's equally short (and valid) value is accepted: g^(5·7) = 2^35.
  const other = DhExchange.create(MODP_2048, new Uint8Array([7]));
  assert.is(toHex(small.computeSecret(other.publicValue)), toHex(octets(2n ** 35n, 256)));
});

test("MODP-2048 shared secret with a leading zero octet stays 256 octets", () => {
  const responderKey = fixedKey("responder");
  const responder = DhExchange.create(MODP_2048, responderKey);
  // About one exponent in 256 gives a g^xy below 2^2040; search the fixed ones.
  for (let n = 0; n < 4096; n++) {
    const initiatorKey = fixedKey(`initiator ${n}`);
    const initiator = DhExchange.create(MODP_2048, initiatorKey);
    const secret = initiator.computeSecret(responder.publicValue);
    assert.is(secret.length, 256);
    if (secret[0] !== 0) continue;
    assert.is(toHex(secret), toHex(octets(modPow(2n, toBigInt(initiatorKey) * toBigInt(responderKey), modpPrime), 256)));
    assert.is(toHex(responder.computeSecret(initiator.publicValue)), toHex(secret));
    return;
  }
  assert.unreachable("no fixed exponent gave a shared secret with a leading zero octet");
});

test("peer value of the wrong length: Notify PAYLOAD-MALFORMED", () => {
  for (const group of DH_GROUPS) {
    const exchange = DhExchange.create(group.id);
    const peer = DhExchange.create(group.id).publicValue;
    assertBadKe(exchange, peer.subarray(0, group.publicOctets - 1));
    assertBadKe(exchange, peer.subarray(1));
    assertBadKe(exchange, new Uint8Array(0));
    const tooLong = new Uint8Array(group.publicOctets + 1);
    tooLong.set(peer, 1);
    assertBadKe(exchange, tooLong);
    if (group.kind === "ecp") {
      // With the SEC 1 point-format octet in front, as IKE does not send it [RFC 5903 §7].
      const withFormatOctet = new Uint8Array(group.publicOctets + 1);
      withFormatOctet[0] = 0x04;
      withFormatOctet.set(peer, 1);
      assertBadKe(exchange, withFormatOctet);
    }
  }
});

test("MODP-2048 peer value outside 1 < y < p-1: Notify PAYLOAD-MALFORMED", () => {
  const exchange = DhExchange.create(MODP_2048);
  for (const y of [0n, 1n, modpPrime - 1n, modpPrime, modpPrime + 1n, 2n ** 2048n - 1n]) assertBadKe(exchange, octets(y, 256));
  // The bounds themselves are exclusive: 2 and p-2 are members.
  assert.is(exchange.computeSecret(octets(2n, 256)).length, 256);
  assert.is(exchange.computeSecret(octets(modpPrime - 2n, 256)).length, 256);
});

test("ECP peer value off the curve: Notify PAYLOAD-MALFORMED", () => {
  for (const group of DH_GROUPS.filter((g) => g.kind === "ecp")) {
    const exchange = DhExchange.create(group.id);
    const offCurve = new Uint8Array(DhExchange.create(group.id).publicValue);
    offCurve[group.publicOctets - 1]! ^= 0x01;
    assertBadKe(exchange, offCurve);
    assertBadKe(exchange, new Uint8Array(group.publicOctets));
    assertBadKe(exchange, new Uint8Array(group.publicOctets).fill(0xff));
  }
});

test("unsupported group: Notify NO-PROPOSAL-CHOSEN", () => {
  for (const id of [0, 1, 2, 5, 15, 21, 31]) assertRejected(() => DhExchange.create(id), "unsupported-dh-group", 14);
});

test("destroy: the exchange can no longer compute a secret", () => {
  for (const group of DH_GROUPS) {
    const exchange = DhExchange.create(group.id);
    const peer = DhExchange.create(group.id).publicValue;
    exchange.destroy();
    assert.throws(() => exchange.computeSecret(peer), /after destroy/);
  }
});

test.run();
