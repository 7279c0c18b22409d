// The one facade over the WASM crypto core. It instantiates the module once per thread
// (main thread and each piscina worker alike, from the same embedded bytes), keeps
// typed views over the arena, and copies data across in whole buffers, never byte by byte.

import { ByteSlab } from "./slab.ts";
import { debugWasmBase64, releaseWasmBase64 } from "./wasm-bytes.ts";

export interface CoreExports {
  memory: WebAssembly.Memory;
  ioPtr(): number;
  ioSize(): number;
  descPtr(): number;
  descMax(): number;
  descSize(): number;
  randPtr(): number;
  randSize(): number;
  keyInPtr(): number;
  ensureSlotCapacity(n: number): number;
  getSlotCapacity(): number;
  slotPtr(slot: number): number;
  primHash(alg: number, src: number, len: number, dst: number): void;
  primHashInit(alg: number): void;
  primHashUpdate(alg: number, src: number, len: number): void;
  primHashFinal(alg: number, dst: number): void;
  primHmac(alg: number, key: number, keyLen: number, src: number, len: number, dst: number): void;
  primPbkdf2(alg: number, pw: number, pwLen: number, salt: number, saltLen: number, iter: number, dst: number, dkLen: number): void;
  primRc4(key: number, keyLen: number, src: number, dst: number, len: number): void;
  primCamelliaCmac(key: number, keyLen: number, src: number, len: number, dst: number): number;
  primCipher(cipher: number, mode: number, decrypt: number, key: number, keyLen: number, iv: number, src: number, dst: number, len: number): number;
  nfold(src: number, inLen: number, dst: number, outLen: number): void;
  slotInit(slot: number, etype: number, key: number, keyLen: number, usage: number, kind: number): number;
  slotClear(slot: number): number;
  slotEncrypt(slot: number, src: number, len: number, conf: number, dst: number): number;
  slotDecrypt(slot: number, src: number, len: number, dst: number): number;
  slotChecksum(slot: number, src: number, len: number, dst: number): number;
  slotVerify(slot: number, src: number, len: number, mac: number, macLen: number): number;
  slotPrf(slot: number, src: number, len: number, dst: number, racoon2: number): number;
  encryptedLength(etype: number, len: number): number;
  prfLength(etype: number, racoon2: number): number;
  krbBatch(n: number): number;
  krbStringToKey(etype: number, pw: number, pwLen: number, salt: number, saltLen: number, iter: number, dst: number): number;
  krbRandomToKey(etype: number, src: number, dst: number): number;
  krbDeriveKey(etype: number, key: number, keyLen: number, constant: number, constLen: number, outLen: number, dst: number): number;
  primAesConstantTime(): number;
  primAesImpl(impl: number, mode: number, decrypt: number, key: number, keyLen: number, iv: number, src: number, dst: number, len: number): number;
  /** KINK datagram walk, Cksum check and KINK_ENCRYPT decryption (assembly/kink/walk.ts). */
  kinkOpen(src: number, len: number, cksumSlot: number, encSlot: number, table: number, options: number): number;
  kinkTableBytes(): number;
}

/** Status codes returned by the Kerberos entry points (assembly/krb/slots.ts). */
export const ST_OK = 0;
export const ST_INTEGRITY = -1;
export const ST_BAD_LENGTH = -2;
export const ST_BAD_ETYPE = -3;
export const ST_BAD_OP = -4;
export const ST_BAD_SLOT = -5;
export const ST_BAD_KEY_LENGTH = -6;
export const ST_BAD_ARG = -7;

/** Slot kinds (assembly/krb/slots.ts). */
export const KIND_USAGE = 0;
export const KIND_PRF = 1;

/** Batch operations and descriptor layout (assembly/krb/batch.ts). */
export const OP_ENCRYPT = 1;
export const OP_DECRYPT = 2;
export const OP_CHECKSUM = 3;
export const OP_VERIFY = 4;
export const OP_PRF = 5;
export const OP_KINK_OPEN = 6;
export const OP_PRF_PLUS = 7;
/** Free octets a prf+ input carries in front of its seed (assembly/krb/profile.ts PRF_PLUS_GAP). */
export const PRF_PLUS_GAP = 64;
/** Most octets one prf+ operation makes (assembly/krb/profile.ts PRF_PLUS_MAX). */
export const PRF_PLUS_MAX = 1024;
/** Longest single PRF output (RFC 8009 with SHA-384): a prf+ output may overrun its length by less. */
export const PRF_MAX_OUTPUT = 48;

export interface Core {
  readonly exports: CoreExports;
  /** Byte view of the whole memory (kept current by growSlots, the only way memory grows). */
  bytes(): Uint8Array;
  /** Int32 view of the whole memory. */
  i32(): Int32Array;
  /**
   * Makes room for `n` key slots, growing WASM memory if needed, and rebuilds the views
   * (growth detaches them). Returns the capacity reached, or -1.
   */
  growSlots(n: number): number;
  /**
   * Reserves `n` key slots for one SlotCache and returns the first: each cache owns its range
   * (it trusts what it last derived into a slot, so no two caches may share one).
   */
  reserveSlots(n: number): number;
  /** Start and size of the part of the I/O area that single calls use. */
  readonly io: number;
  readonly ioSize: number;
  /** Start and size of the part of the I/O area that batches use (disjoint from the single-call part). */
  readonly batchIo: number;
  readonly batchIoSize: number;
  /** Bumped by each new batch; an older batch that has not run is superseded. */
  batchGeneration: number;
  readonly desc: number;
  readonly descMax: number;
  readonly descSize: number;
  readonly rand: number;
  readonly randSize: number;
  /** 64 octets where a base key is placed for slot setup (kept apart from IO, which may hold a batch). */
  readonly keyIn: number;
}

function instantiate(base64: string): Core {
  const module = new WebAssembly.Module(Buffer.from(base64, "base64"));
  const instance = new WebAssembly.Instance(module, {
    env: {
      abort(msg: number, file: number, line: number, col: number): void {
        throw new Error(`kinkd wasm abort at ${file}:${line}:${col} (${msg})`);
      },
    },
  });
  const exports = instance.exports as unknown as CoreExports;
  const mem = exports.memory;
  // Reading memory.buffer costs tens of nanoseconds, so the views are cached and rebuilt only
  // where memory can grow: nothing in the module allocates, and slot growth goes through growSlots.
  let u8 = new Uint8Array(mem.buffer);
  let i32 = new Int32Array(mem.buffer);
  let reserved = 0;
  return {
    exports,
    bytes() {
      return u8;
    },
    i32() {
      return i32;
    },
    reserveSlots(n: number): number {
      const base = reserved;
      reserved += n;
      return base;
    },
    growSlots(n: number): number {
      const got = exports.ensureSlotCapacity(n);
      if (u8.buffer !== mem.buffer) {
        u8 = new Uint8Array(mem.buffer);
        i32 = new Int32Array(mem.buffer);
      }
      return got;
    },
    // Three quarters of the I/O area for batches, the rest for single calls.
    batchIo: exports.ioPtr(),
    batchIoSize: (exports.ioSize() >> 2) * 3,
    io: exports.ioPtr() + (exports.ioSize() >> 2) * 3,
    ioSize: exports.ioSize() >> 2,
    batchGeneration: 0,
    desc: exports.descPtr(),
    descMax: exports.descMax(),
    descSize: exports.descSize(),
    rand: exports.randPtr(),
    randSize: exports.randSize(),
    keyIn: exports.keyInPtr(),
  };
}

let core: Core | undefined;

/**
 * The thread's WASM instance. KINKD_WASM=debug selects the build with assertions
 * (used by a test pass); the default is the -O3 release build.
 */
export function getCore(): Core {
  if (core === undefined) {
    core = instantiate(process.env.KINKD_WASM === "debug" ? debugWasmBase64 : releaseWasmBase64);
  }
  return core;
}

// Results are handed out as views on shared slabs (slab.ts): most are a few dozen octets.
const results = new ByteSlab();

/** Copies `len` octets out of WASM memory into a new Uint8Array. */
export function copyOut(mem: Uint8Array, off: number, len: number): Uint8Array {
  return results.copy(mem, off, len);
}
