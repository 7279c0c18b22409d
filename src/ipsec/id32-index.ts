// A map keyed by a 32-bit identifier — an SA's SPI, a KINK transaction's XID — plus the fields
// that complete the identity (an SA's destination, protocol and mark; the address a command came
// from). Two live entries rarely share the number (SPIs are random [RFC 4301 §4.1]; a peer's XIDs
// differ per transaction [RFC 4430 §4]): the first sits in a number-keyed Map — no key string is
// built or hashed per lookup on the hot path, and `id | 0` keeps the key a small integer where
// `>>> 0` would box values ≥ 2^31 — and the rare second under a string of the full identity.

export class Id32Index<K, V> {
  readonly #byId = new Map<number, V>();
  readonly #shared = new Map<string, V>();
  readonly #same: (v: V, k: K) => boolean;
  readonly #fullKey: (k: K) => string;

  /** same(v, k): does the entry v have the identity k (beyond the number)? fullKey(k): k as a string, number included. */
  constructor(same: (v: V, k: K) => boolean, fullKey: (k: K) => string) {
    this.#same = same;
    this.#fullKey = fullKey;
  }

  get size(): number {
    return this.#byId.size + this.#shared.size;
  }

  get(id: number, k: K): V | undefined {
    const v = this.#byId.get(id | 0);
    if (v !== undefined && this.#same(v, k)) return v;
    return this.#shared.size === 0 ? undefined : this.#shared.get(this.#fullKey(k));
  }

  has(id: number, k: K): boolean {
    return this.get(id, k) !== undefined;
  }

  /** Sets the entry for (id, k), replacing one of the same identity. */
  set(id: number, k: K, v: V): void {
    const cur = this.#byId.get(id | 0);
    if (cur !== undefined && this.#same(cur, k)) this.#byId.set(id | 0, v);
    else if (this.#shared.size > 0 && this.#shared.has(this.#fullKey(k))) this.#shared.set(this.#fullKey(k), v);
    else if (cur === undefined) this.#byId.set(id | 0, v);
    else this.#shared.set(this.#fullKey(k), v);
  }

  /** Removes the entry for (id, k) — only if it is `only`, when given. Reports whether one went. */
  delete(id: number, k: K, only?: V): boolean {
    const cur = this.#byId.get(id | 0);
    if (cur !== undefined && this.#same(cur, k)) {
      if (only !== undefined && cur !== only) return false;
      return this.#byId.delete(id | 0);
    }
    if (this.#shared.size === 0) return false;
    const full = this.#fullKey(k);
    if (only !== undefined && this.#shared.get(full) !== only) return false;
    return this.#shared.delete(full);
  }

  clear(): void {
    this.#byId.clear();
    this.#shared.clear();
  }

  *values(): IterableIterator<V> {
    yield* this.#byId.values();
    yield* this.#shared.values();
  }
}
