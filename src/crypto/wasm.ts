// The one facade over the WASM crypto core. It instantiates the module once per thread
// (main thread and each piscina worker alike, from the same embedded bytes), keeps
// typed views over the arena, and copies data across in whole buffers, never byte by byte.

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
  ensureSlotCapacity(n: number): number;
  getSlotCapacity(): number;
  slotPtr(slot: number): number;
  primHash(alg: number, src: number, len: number, dst: number): void;
  primHmac(alg: number, key: number, keyLen: number, src: number, len: number, dst: number): void;
  primPbkdf2(alg: number, pw: number, pwLen: number, salt: number, saltLen: number, iter: number, dst: number, dkLen: number): void;
  primRc4(key: number, keyLen: number, src: number, dst: number, len: number): void;
  primCamelliaCmac(key: number, keyLen: number, src: number, len: number, dst: number): number;
  primCipher(cipher: number, mode: number, decrypt: number, key: number, keyLen: number, iv: number, src: number, dst: number, len: number): number;
  primAesConstantTime(): number;
  primAesImpl(impl: number, mode: number, decrypt: number, key: number, keyLen: number, iv: number, src: number, dst: number, len: number): number;
}

export interface Core {
  readonly exports: CoreExports;
  /** Byte view of the whole memory; refreshed after growth (views detach when memory grows). */
  bytes(): Uint8Array;
  /** Int32 view of the whole memory; refreshed after growth. */
  i32(): Int32Array;
  readonly io: number;
  readonly ioSize: number;
  readonly desc: number;
  readonly descMax: number;
  readonly descSize: number;
  readonly rand: number;
  readonly randSize: number;
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
  let u8 = new Uint8Array(mem.buffer);
  let i32 = new Int32Array(mem.buffer);
  return {
    exports,
    bytes() {
      if (u8.buffer !== mem.buffer) u8 = new Uint8Array(mem.buffer);
      return u8;
    },
    i32() {
      if (i32.buffer !== mem.buffer) i32 = new Int32Array(mem.buffer);
      return i32;
    },
    io: exports.ioPtr(),
    ioSize: exports.ioSize(),
    desc: exports.descPtr(),
    descMax: exports.descMax(),
    descSize: exports.descSize(),
    rand: exports.randPtr(),
    randSize: exports.randSize(),
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
