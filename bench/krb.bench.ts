// npm run bench:krb — AP-REQ verification as a KINK responder does it for every CREATE: DER parse,
// ticket decrypt with the (cached) service key, EncTicketPart parse, authenticator decrypt with
// the ticket's session key, checks and the replay cache. Ours (purpose-built DER walk; single
// calls and the batched verifier, two WASM calls per batch) against the same pipeline with
// asn1js as the parser, measured in the same run. Tickets come from 1 000 client principals;
// every AP-REQ has a fresh authenticator.

import { randomBytes } from "node:crypto";
import { decrypt, encrypt } from "../src/crypto/kerberos.ts";
import { buildApReq, verifyApReq, verifyApReqBatch } from "../src/krb/ap.ts";
import { decodeApReq, encodeEncTicketPart } from "../src/krb/messages/index.ts";
import type { EncryptionKey, Ticket } from "../src/krb/messages/types.ts";
import { ReplayCache, replayEntryFor } from "../src/krb/replay-cache.ts";
import { asn1jsApReq, asn1jsAuthenticator, asn1jsEncTicketPart } from "./asn1js-krb.ts";
import { type RateTask, type ResultRow, ratesInterleaved, row, writeReport } from "./report.ts";

const REALM = "KINK.TEST";
const SERVER = { nameType: 2, nameString: ["kink", "responder.kink.test"] };
const CLIENTS = 1000;
const REQS = 8192;
const BATCH = 64;
const results: ResultRow[] = [];
const now = Date.now();

function apReqs(etype: number, keyLen: number, targetSize: number): { reqs: Uint8Array[]; serviceKey: EncryptionKey } {
  const serviceKey: EncryptionKey = { keytype: etype, keyvalue: randomBytes(keyLen) };
  const clients = Array.from({ length: CLIENTS }, (_, i) => {
    const sessionKey: EncryptionKey = { keytype: etype, keyvalue: randomBytes(keyLen) };
    const cname = { nameType: 1, nameString: ["kink", `client-${i}.kink.test`] };
    const ticketFor = (adLen: number): Ticket => {
      const part = encodeEncTicketPart({
        flags: 0x40800000,
        key: sessionKey,
        crealm: REALM,
        cname,
        transited: { trType: 1, contents: new Uint8Array(0) },
        authtime: Math.floor(now / 1000) * 1000,
        endtime: Math.floor(now / 1000) * 1000 + 36_000_000,
        // A PAC-sized ticket carries its authorization data opaquely (AD-IF-RELEVANT, RFC 4120 §5.2.6.1).
        ...(adLen > 0 ? { authorizationData: [{ adType: 1, adData: randomBytes(adLen) }] } : {}),
      });
      return { realm: REALM, sname: SERVER, encPart: { etype, kvno: 2, cipher: encrypt(etype, serviceKey.keyvalue, 2, part) } };
    };
    const base = buildApReq({ ticket: ticketFor(0), sessionKey, client: { realm: REALM, name: cname }, now }).bytes.length;
    const ticket = ticketFor(Math.max(0, targetSize - base - 8));
    return { sessionKey, cname, ticket };
  });
  const reqs: Uint8Array[] = [];
  for (let i = 0; i < REQS; i++) {
    const c = clients[i % CLIENTS] as (typeof clients)[number];
    reqs.push(buildApReq({ ticket: c.ticket, sessionKey: c.sessionKey, client: { realm: REALM, name: c.cname }, now: now + i }).bytes);
  }
  return { reqs, serviceKey };
}

/** The same verification with asn1js parsing every DER structure. */
function verifyWithAsn1js(bytes: Uint8Array, serviceKey: EncryptionKey, rc: ReplayCache): void {
  const req = asn1jsApReq(bytes);
  const enc = req.ticket.encPart;
  const tkt = asn1jsEncTicketPart(decrypt(enc.etype, serviceKey.keyvalue, 2, enc.cipher));
  const auth = asn1jsAuthenticator(decrypt(req.authenticator.etype, tkt.key.keyvalue, 11, req.authenticator.cipher));
  if (auth.crealm !== tkt.crealm || Math.abs(auth.ctime - now) > 300_000 || tkt.endtime < now) throw new Error("check failed");
  if (rc.check(replayEntryFor(auth, req.ticket.sname, req.ticket.realm), now) !== "ok") throw new Error("replay");
}

for (const [etype, keyLen, ename] of [
  [17, 16, "aes128-cts-hmac-sha1-96"],
  [20, 32, "aes256-cts-hmac-sha384-192"],
] as const) {
  for (const size of [700, 2048]) {
    const { reqs, serviceKey } = apReqs(etype, keyLen, size);
    const actual = reqs[0]?.length ?? 0;
    const lookup = () => serviceKey;
    // Each task walks the AP-REQs in order with its own replay cache, renewed when it wraps.
    const walker = () => {
      let i = 0;
      let rc = new ReplayCache();
      return (n: number) => {
        if (i + n > REQS) {
          i = 0;
          rc = new ReplayCache();
        }
        const start = i;
        i += n;
        return { start, rc };
      };
    };
    const ours = walker();
    const batched = walker();
    const theirs = walker();
    const tasks: RateTask[] = [
      {
        name: "ours single",
        reps: BATCH,
        fn: () => {
          const { start, rc } = ours(BATCH);
          for (let k = start; k < start + BATCH; k++) verifyApReq(reqs[k] as Uint8Array, { serviceKey: lookup, now, replayCache: rc });
        },
      },
      {
        name: "ours batch",
        reps: BATCH,
        fn: () => {
          const { start, rc } = batched(BATCH);
          const out = verifyApReqBatch(reqs.slice(start, start + BATCH), { serviceKey: lookup, now, replayCache: rc });
          if (out.some((r) => r instanceof Error)) throw new Error("batch verify failed");
        },
      },
      {
        name: "asn1js",
        reps: BATCH,
        fn: () => {
          const { start, rc } = theirs(BATCH);
          for (let k = start; k < start + BATCH; k++) verifyWithAsn1js(reqs[k] as Uint8Array, serviceKey, rc);
        },
      },
    ];
    const [single = 0, batch = 0, asn1 = 0] = await ratesInterleaved(tasks);
    const base = { name: "same with asn1js as parser", value: asn1 };
    results.push(row(`AP-REQ verify ${ename} ${actual} B`, "ops/s", single, base));
    results.push(row(`AP-REQ verify ${ename} ${actual} B, batch of ${BATCH}`, "ops/s", batch, base));
    results.push(
      row(
        `AP-REQ verify ${ename} ${actual} B, batch of ${BATCH}, per AP-REQ`,
        "µs",
        1e6 / batch,
        { name: "same with asn1js as parser", value: 1e6 / asn1 },
        true,
      ),
    );
    const sample = reqs[0] as Uint8Array;
    const [parseOurs = 0, parseTheirs = 0] = await ratesInterleaved([
      {
        name: "decodeApReq",
        reps: 256,
        fn: () => {
          for (let k = 0; k < 256; k++) decodeApReq(sample);
        },
      },
      {
        name: "asn1js AP-REQ",
        reps: 256,
        fn: () => {
          for (let k = 0; k < 256; k++) asn1jsApReq(sample);
        },
      },
    ]);
    results.push(row(`AP-REQ DER parse ${actual} B`, "ops/s", parseOurs, { name: "asn1js", value: parseTheirs }));
    console.error(`${ename} ${actual} B: ${Math.round(single)}/s single, ${Math.round(batch)}/s batched, asn1js ${Math.round(asn1)}/s`);
  }
}

console.log(writeReport("krb", results));
