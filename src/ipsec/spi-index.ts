// A map keyed by an SA's 32-bit SPI plus the fields that complete its identity (destination,
// protocol, mark, or the negotiating peer). SPIs are random [RFC 4301 §4.1], so two live entries
// rarely share one: the first sits in a number-keyed Map — no key string is built or hashed per
// lookup on the hot path, and `spi | 0` keeps the key a small integer where `>>> 0` would box
// SPIs ≥ 2^31 — and the rare second under a string built from the full identity.

export class SpiIndex<K, V> {
  readonly #bySpi = new Map<number, V>();
  readonly #shared = new Map<string, V>();
  readonly #same: (v: V, k: K) => boolean;
  readonly #fullKey: (k: K) => string;

  /** same(v, k): does the entry v have the identity k (beyond the SPI)? fullKey(k): k as a string, SPI included. */
  constructor(same: (v: V, k: K) => boolean, fullKey: (k: K) => string) {
    this.#same = same;
    this.#fullKey = fullKey;
  }

  get size(): number {
    return this.#bySpi.size + this.#shared.size;
  }

  get(spi: number, k: K): V | undefined {
    const v = this.#bySpi.get(spi | 0);
    if (v !== undefined && this.#same(v, k)) return v;
    return this.#shared.size === 0 ? undefined : this.#shared.get(this.#fullKey(k));
  }

  has(spi: number, k: K): boolean {
    return this.get(spi, k) !== undefined;
  }

  /** Sets the entry for (spi, k), replacing one of the same identity. */
  set(spi: number, k: K, v: V): void {
    const cur = this.#bySpi.get(spi | 0);
    if (cur !== undefined && this.#same(cur, k)) this.#bySpi.set(spi | 0, v);
    else if (this.#shared.size > 0 && this.#shared.has(this.#fullKey(k))) this.#shared.set(this.#fullKey(k), v);
    else if (cur === undefined) this.#bySpi.set(spi | 0, v);
    else this.#shared.set(this.#fullKey(k), v);
  }

  /** Removes the entry for (spi, k) — only if it is `only`, when given. Reports whether one went. */
  delete(spi: number, k: K, only?: V): boolean {
    const cur = this.#bySpi.get(spi | 0);
    if (cur !== undefined && this.#same(cur, k)) {
      if (only !== undefined && cur !== only) return false;
      return this.#bySpi.delete(spi | 0);
    }
    if (this.#shared.size === 0) return false;
    const full = this.#fullKey(k);
    if (only !== undefined && this.#shared.get(full) !== only) return false;
    return this.#shared.delete(full);
  }

  clear(): void {
    this.#bySpi.clear();
    this.#shared.clear();
  }

  *values(): IterableIterator<V> {
    yield* this.#bySpi.values();
    yield* this.#shared.values();
  }
}
