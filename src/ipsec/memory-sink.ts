// An SA sink that keeps everything in memory: the embedded default (kinkd runs without a
// kernel, e.g. as a load generator or benchmark) and the test double (strongSwan's
// load_tester_ipsec / mock_ipsec). It behaves like the kernel where the engine can tell:
// SPIs are unique per (destination, protocol), duplicates are refused, unknown SAs are
// "not found", lifetimes expire (driven by `tick`, so tests control time), and keys are
// zeroed when an SA goes away.

import { RandomWords } from "../crypto/random-pool.ts";
import { ByteSlab } from "../crypto/slab.ts";
import { type AuthAlgorithm, type EncAlgorithm, encKeymatOctets } from "./algorithms.ts";
import { Id32Index } from "./id32-index.ts";
import {
  type PolicyId,
  type PolicySpec,
  type SaId,
  type SaSink,
  type SaSpec,
  SinkError,
  type SinkEvent,
  type SinkOp,
  type SinkResult,
  type SpiRequest,
} from "./sink.ts";

/** Key copies: one slab view per SA instead of an ArrayBuffer per key (zeroed one by one as SAs die). */
const keyStore = new ByteSlab();

/**
 * An installed SA as the sink keeps it: its fields, and both keys in one buffer the sink owns
 * (zeroed when the SA dies). Compact on purpose — a responder holds two per client — so `spec`
 * is assembled when asked for; its keys are views on the stored octets.
 */
export class MemorySa {
  readonly id: SaId;
  readonly src: string;
  readonly mode: SaSpec["mode"];
  readonly reqid: number;
  readonly lifetime: SaSpec["lifetime"];
  readonly replayWindow: number;
  readonly selector: SaSpec["selector"];
  readonly #encAlg: EncAlgorithm | undefined;
  readonly #authAlg: AuthAlgorithm | undefined;
  /** Encryption key (and salt), then authentication key. */
  readonly #keys: Uint8Array;
  readonly #encLen: number;
  /** When it was added or last updated (ms, the sink's clock). */
  readonly installedAt: number;
  /** Soft expiry already signalled. */
  softExpired = false;

  constructor(sa: SaSpec, installedAt: number) {
    this.id = sa.id;
    this.src = sa.src;
    this.mode = sa.mode;
    this.reqid = sa.reqid;
    this.lifetime = sa.lifetime;
    this.replayWindow = sa.replayWindow;
    this.selector = sa.selector;
    this.#encAlg = sa.enc?.alg;
    this.#authAlg = sa.auth?.alg;
    this.#encLen = sa.enc === undefined ? 0 : sa.enc.key.length;
    this.#keys = keyStore.take(this.#encLen + (sa.auth === undefined ? 0 : sa.auth.key.length));
    if (sa.enc !== undefined) this.#keys.set(sa.enc.key, 0);
    if (sa.auth !== undefined) this.#keys.set(sa.auth.key, this.#encLen);
    this.installedAt = installedAt;
  }

  get spec(): SaSpec {
    const spec: { -readonly [K in keyof SaSpec]: SaSpec[K] } = {
      id: this.id,
      src: this.src,
      mode: this.mode,
      reqid: this.reqid,
      lifetime: this.lifetime,
      replayWindow: this.replayWindow,
    };
    if (this.selector !== undefined) spec.selector = this.selector;
    if (this.#encAlg !== undefined) spec.enc = { alg: this.#encAlg, key: this.#keys.subarray(0, this.#encLen) };
    if (this.#authAlg !== undefined) spec.auth = { alg: this.#authAlg, key: this.#keys.subarray(this.#encLen) };
    return spec;
  }

  wipeKeys(): void {
    this.#keys.fill(0);
  }
}

export interface MemorySinkOptions {
  /** Clock for lifetimes, in ms. */
  readonly now?: () => number;
  /** SPI source; default crypto-quality random. */
  readonly randomSpi?: () => number;
}

/** SA identity as a string: the rare SPI shared by two live SAs is indexed under it. */
const saKey = (id: SaId) => {
  const m = id.mark;
  const base = `${id.dst}|${id.proto}|${id.spi >>> 0}`;
  return m === undefined || (m.value === 0 && m.mask === 0) ? base : `${base}|${m.value}/${m.mask}`;
};
/** The kernel's "no mark" is 0/0, absent or not. */
const sameMark = (a: SaId["mark"], b: SaId["mark"]) => (a?.value ?? 0) === (b?.value ?? 0) && (a?.mask ?? 0) === (b?.mask ?? 0);
const sameId = (a: SaId, b: SaId) => a.dst === b.dst && a.proto === b.proto && sameMark(a.mark, b.mark);

/** A view of the installed SAs (tests count and list them). */
export interface MemorySaView {
  readonly size: number;
  values(): IterableIterator<MemorySa>;
}

const policyKey = (id: PolicyId) => {
  const s = id.selector;
  return `${id.dir}|${s.src}/${s.srcPrefix}|${s.dst}/${s.dstPrefix}|${s.proto}|${s.srcPort}|${s.dstPort}|${id.mark?.value ?? 0}/${id.mark?.mask ?? 0}`;
};

const spiWords = new RandomWords();
const defaultRandomSpi = (): number => spiWords.next();

export class MemorySink implements SaSink {
  // Both indexed by SPI first: every SA operation looks one up, and SPIs are random.
  readonly #sas = new Id32Index<SaId, MemorySa>((sa, id) => sameId(sa.id, id), saKey);
  /** SPIs handed out by getSpi and not yet filled in (the kernel's larval SAs). */
  readonly #larval = new Id32Index<SaId, SaId>(sameId, saKey);
  readonly #policies = new Map<string, PolicySpec>();
  readonly #listeners = new Set<(e: SinkEvent) => void>();
  readonly #now: () => number;
  readonly #randomSpi: () => number;
  #closed = false;

  constructor(opts: MemorySinkOptions = {}) {
    this.#now = opts.now ?? Date.now;
    this.#randomSpi = opts.randomSpi ?? defaultRandomSpi;
  }

  /** Installed SAs (live view). */
  get sas(): MemorySaView {
    return this.#sas;
  }

  get policies(): ReadonlyMap<string, PolicySpec> {
    return this.#policies;
  }

  findSa(id: SaId): MemorySa | undefined {
    return this.#sas.get(id.spi, id);
  }

  async getSpi(req: SpiRequest): Promise<number> {
    return this.#apply({ op: "getSpi", req })!;
  }

  async addSa(sa: SaSpec): Promise<void> {
    this.#apply({ op: "addSa", sa });
  }

  async updateSa(sa: SaSpec): Promise<void> {
    this.#apply({ op: "updateSa", sa });
  }

  async deleteSa(id: SaId): Promise<void> {
    this.#apply({ op: "deleteSa", id });
  }

  async addPolicy(policy: PolicySpec): Promise<void> {
    this.#apply({ op: "addPolicy", policy });
  }

  async updatePolicy(policy: PolicySpec): Promise<void> {
    this.#apply({ op: "updatePolicy", policy });
  }

  async deletePolicy(id: PolicyId): Promise<void> {
    this.#apply({ op: "deletePolicy", id });
  }

  async batch(ops: readonly SinkOp[]): Promise<SinkResult[]> {
    return ops.map((op) => {
      try {
        const spi = this.#apply(op);
        return spi === undefined ? { ok: true } : { ok: true, spi };
      } catch (e) {
        if (e instanceof SinkError) return { ok: false, error: e };
        throw e;
      }
    });
  }

  /** One operation; returns the SPI for getSpi. */
  #apply(op: SinkOp): number | undefined {
    if (this.#closed) throw new SinkError("closed", "the SA sink is closed", undefined, op.op);
    switch (op.op) {
      case "getSpi":
        return this.#getSpi(op.req);
      case "addSa":
        this.#addSa(op.sa);
        return undefined;
      case "updateSa":
        this.#updateSa(op.sa);
        return undefined;
      case "deleteSa":
        this.#deleteSa(op.id);
        return undefined;
      case "addPolicy": {
        const k = policyKey(op.policy);
        if (this.#policies.has(k)) throw new SinkError("exists", `policy ${k} already exists`, 17, "addPolicy");
        this.#policies.set(k, op.policy);
        return undefined;
      }
      case "updatePolicy":
        this.#policies.set(policyKey(op.policy), op.policy);
        return undefined;
      case "deletePolicy":
        if (!this.#policies.delete(policyKey(op.id))) throw new SinkError("not-found", `policy ${policyKey(op.id)} does not exist`, 2, "deletePolicy");
        return undefined;
    }
  }

  async flush(what: { sas?: boolean; policies?: boolean } = { sas: true, policies: true }): Promise<void> {
    if (what.sas) {
      for (const sa of this.#sas.values()) sa.wipeKeys();
      this.#sas.clear();
      this.#larval.clear();
    }
    if (what.policies) this.#policies.clear();
  }

  subscribe(listener: (event: SinkEvent) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  async close(): Promise<void> {
    await this.flush();
    this.#listeners.clear();
    this.#closed = true;
  }

  /**
   * Applies lifetimes at the sink's current time: a soft limit signals `expire` (hard=false)
   * once; a hard limit signals hard=true and removes the SA, as the kernel does.
   */
  tick(): void {
    const now = this.#now();
    for (const sa of [...this.#sas.values()]) {
      const age = (now - sa.installedAt) / 1000;
      const { softSeconds, hardSeconds } = sa.lifetime;
      if (hardSeconds !== undefined && age >= hardSeconds) {
        this.#sas.delete(sa.id.spi, sa.id);
        this.#emit({ type: "expire", id: sa.id, src: sa.src, reqid: sa.reqid, hard: true });
        sa.wipeKeys();
      } else if (softSeconds !== undefined && age >= softSeconds && !sa.softExpired) {
        sa.softExpired = true;
        this.#emit({ type: "expire", id: sa.id, src: sa.src, reqid: sa.reqid, hard: false });
      }
    }
  }

  /** Delivers an event as the kernel would (tests use it for ACQUIRE). */
  emit(event: SinkEvent): void {
    this.#emit(event);
  }

  #emit(event: SinkEvent): void {
    for (const l of this.#listeners) l(event);
  }

  #getSpi(req: SpiRequest): number {
    // RFC 4301 §4.1: SPIs 1–255 are reserved by IANA, 0 means "no SA".
    const min = req.min ?? 0x100;
    const max = req.max ?? 0xffff_ffff;
    if (min < 0x100 || max < min || max > 0xffff_ffff)
      throw new SinkError("invalid", `SPI range ${min}–${max} is not within 256–4294967295`, undefined, "getSpi");
    for (let attempt = 0; attempt < 64; attempt++) {
      const spi = min + ((this.#randomSpi() >>> 0) % (max - min + 1));
      const id: SaId = { dst: req.dst, spi, proto: req.proto };
      if (!this.#sas.has(spi, id) && !this.#larval.has(spi, id)) {
        this.#larval.set(spi, id, id);
        return spi;
      }
    }
    throw new SinkError("no-spi", `no free SPI in ${min}–${max} for ${req.proto} to ${req.dst}`, undefined, "getSpi");
  }

  #addSa(sa: SaSpec): void {
    checkKeys(sa, "addSa");
    const id = sa.id;
    if (this.#sas.has(id.spi, id)) throw new SinkError("exists", `SA ${describe(id)} already exists`, 17, "addSa");
    this.#larval.delete(id.spi, id);
    this.#sas.set(id.spi, id, new MemorySa(sa, this.#now()));
  }

  #updateSa(sa: SaSpec): void {
    checkKeys(sa, "updateSa");
    const id = sa.id;
    const old = this.#sas.get(id.spi, id);
    // An SPI from getSpi is a larval SA that updateSa fills in (XFRM_MSG_UPDSA semantics).
    if (old === undefined && !this.#larval.delete(id.spi, id)) throw new SinkError("not-found", `SA ${describe(id)} does not exist`, 3, "updateSa");
    if (old !== undefined) old.wipeKeys();
    this.#sas.set(id.spi, id, new MemorySa(sa, this.#now()));
  }

  #deleteSa(id: SaId): void {
    const sa = this.#sas.get(id.spi, id);
    if (sa === undefined) {
      if (this.#larval.delete(id.spi, id)) return;
      throw new SinkError("not-found", `SA ${describe(id)} does not exist`, 3, "deleteSa");
    }
    this.#sas.delete(id.spi, id);
    sa.wipeKeys();
  }
}

function describe(id: SaId): string {
  return `${id.proto} spi 0x${(id.spi >>> 0).toString(16).padStart(8, "0")} dst ${id.dst}`;
}

function checkKeys(sa: SaSpec, op: SinkOp["op"]): void {
  const enc = sa.enc;
  if (enc !== undefined && !encKeyLengthFits(enc.alg, enc.key.length)) {
    const want = enc.alg.keyBits.map((b) => encKeymatOctets(enc.alg, b));
    throw new SinkError("invalid", `${enc.alg.name} takes ${want.join("/")} key octets, got ${enc.key.length}`, 22, op);
  }
  if (sa.auth !== undefined && sa.auth.key.length !== sa.auth.alg.keyOctets)
    throw new SinkError("invalid", `${sa.auth.alg.name} takes ${sa.auth.alg.keyOctets} key octets, got ${sa.auth.key.length}`, 22, op);
  if (sa.id.proto === "ah" && (sa.enc !== undefined || sa.auth === undefined))
    throw new SinkError("invalid", "an AH SA has an authentication key only", 22, op);
}

function encKeyLengthFits(alg: EncAlgorithm, octets: number): boolean {
  for (const bits of alg.keyBits) if (encKeymatOctets(alg, bits) === octets) return true;
  return false;
}
