// Confounders come from the host: WASM has no entropy source. A 64 KiB region of WASM
// memory is filled from the OS CSPRNG (node:crypto randomFillSync) in one call and handed
// out in confounder-sized pieces, so an encrypt costs no per-call RNG round trip.

import { randomFillSync } from "node:crypto";
import { type Core, getCore } from "./wasm.ts";

export class RandomPool {
  readonly #core: Core;
  #cursor: number;

  constructor(core: Core = getCore()) {
    this.#core = core;
    this.#cursor = core.randSize;
  }

  /** Offset in WASM memory of `n` fresh random octets (n ≤ 256). */
  take(n: number): number {
    if (this.#cursor + n > this.#core.randSize) {
      randomFillSync(this.#core.bytes(), this.#core.rand, this.#core.randSize);
      this.#cursor = 0;
    }
    const off = this.#core.rand + this.#cursor;
    this.#cursor += n;
    return off;
  }
}

let shared: RandomPool | undefined;

export function defaultRandomPool(): RandomPool {
  if (shared === undefined) shared = new RandomPool();
  return shared;
}

/**
 * Random 32-bit words for the host side (SPIs, jitter), drawn from a pooled buffer: the OS
 * CSPRNG is asked once per 1024 words instead of once per word (webcrypto's getRandomValues
 * costs microseconds per call, more than a whole SPI allocation should).
 */
export class RandomWords {
  readonly #words = new Uint32Array(1024);
  #next = this.#words.length;

  next(): number {
    if (this.#next === this.#words.length) {
      randomFillSync(this.#words);
      this.#next = 0;
    }
    const w = this.#words[this.#next]!;
    this.#words[this.#next++] = 0;
    return w;
  }
}
