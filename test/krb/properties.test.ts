// Property tests (fast-check, fixed seeds): decode(encode(x)) deep-equals x for generated values of
// every message; arbitrary and mutated bytes into every decoder give a value or a KrbDecodeError,
// nothing else; whatever a decoder accepts re-encodes to the same value (and, DER being canonical,
// to the same octets outside the decoder's documented leniencies).
import fc from "fast-check";
import { test } from "uvu";
import * as assert from "uvu/assert";
import { KrbDecodeError } from "../../src/krb/errors.ts";
import { type Codec, codecs, normalise } from "../helpers/krb.ts";

const SEED = 4430;

function decodeOrError(decode: (b: Uint8Array) => unknown, b: Uint8Array): unknown {
  try {
    return decode(b);
  } catch (e) {
    if (e instanceof KrbDecodeError && e.field.length > 0) return e;
    throw e;
  }
}

/**
 * What a decoder accepts re-encodes to the same value; and to the same octets, except where the
 * decoder is deliberately lenient (KerberosFlags longer than 32 bits, negative seq-number,
 * EncTGSRepPart under the EncASRepPart codec and vice versa).
 */
function acceptedIsStable(c: Codec, v: unknown, b: Uint8Array): void {
  const again = c.encode(v);
  assert.equal(normalise(c.decode(again)), normalise(v));
  if (again.length === b.length && again.every((x, i) => x === b[i])) return;
  const lenient = c.name.startsWith("Enc") || c.name === "Authenticator" || again.length < b.length;
  assert.ok(lenient, `${c.name}: accepted ${Buffer.from(b).toString("hex")} but re-encodes as ${Buffer.from(again).toString("hex")}`);
}

for (const c of codecs) {
  test(`${c.name}: decode(encode(x)) equals x, and re-encoding is stable`, () => {
    fc.assert(
      fc.property(c.arb, (x) => {
        const der = c.encode(x);
        const back = c.decode(der);
        assert.equal(normalise(back), normalise(x));
        assert.equal(c.encode(back), der);
      }),
      { seed: SEED, numRuns: 150 },
    );
  });

  test(`${c.name}: arbitrary bytes give a value or a KrbDecodeError`, () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 64 }), (b) => {
        const v = decodeOrError(c.decode, b);
        if (!(v instanceof KrbDecodeError)) acceptedIsStable(c, v, b);
      }),
      { seed: SEED, numRuns: 300 },
    );
  });

  test(`${c.name}: mutated valid encodings give a value or a KrbDecodeError`, () => {
    const mutation = fc.record({
      kind: fc.constantFrom("flip", "set", "truncate", "insert", "delete"),
      at: fc.nat(),
      value: fc.integer({ min: 0, max: 255 }),
      count: fc.integer({ min: 1, max: 4 }),
    });
    fc.assert(
      fc.property(c.arb, fc.array(mutation, { minLength: 1, maxLength: 3 }), (x, muts) => {
        let b = c.encode(x);
        for (const m of muts) {
          if (b.length === 0) break;
          const at = m.at % b.length;
          if (m.kind === "flip") b[at]! ^= 1 << (m.value & 7);
          else if (m.kind === "set") b[at] = m.value;
          else if (m.kind === "truncate") b = b.subarray(0, at);
          else if (m.kind === "insert") b = Uint8Array.from([...b.subarray(0, at), ...new Array(m.count).fill(m.value), ...b.subarray(at)]);
          else b = Uint8Array.from([...b.subarray(0, at), ...b.subarray(at + m.count)]);
        }
        const v = decodeOrError(c.decode, b);
        if (!(v instanceof KrbDecodeError)) acceptedIsStable(c, v, b);
      }),
      { seed: SEED, numRuns: 300 },
    );
  });
}

test.run();
