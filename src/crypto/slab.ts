// Small byte arrays carved out of shared 16 KiB ArrayBuffers. A fresh ArrayBuffer per small
// array costs about a microsecond (an off-heap allocation) and a typed array that later needs
// its buffer (subarray, views) pays for moving off the V8 heap; a view on a shared slab is one
// object. This is the scheme of Node's Buffer pool, but the views are real Uint8Arrays, so
// slice() copies as callers expect (Buffer#slice would alias). As with pooled Buffers, `.buffer`
// of a view is the whole slab: use the view, or copy it, never the underlying buffer. A slab is
// freed when the last view on it is.

const SLAB_SIZE = 16 * 1024;
/** Arrays above this length get their own buffer (a slab would waste its tail on few of them). */
const MAX_CARVED = SLAB_SIZE >> 3;

export class ByteSlab {
  #slab = new ArrayBuffer(SLAB_SIZE);
  #used = 0;

  /** A zero-filled array of `len` octets. */
  take(len: number): Uint8Array {
    if (len > MAX_CARVED) return new Uint8Array(len);
    if (this.#used + len > SLAB_SIZE) {
      this.#slab = new ArrayBuffer(SLAB_SIZE);
      this.#used = 0;
    }
    const out = new Uint8Array(this.#slab, this.#used, len);
    this.#used = (this.#used + len + 7) & ~7;
    return out;
  }

  /** A copy of `src` (or of `len` octets of it from `off`). */
  copy(src: Uint8Array, off = 0, len = src.length - off): Uint8Array {
    const out = this.take(len);
    out.set(off === 0 && len === src.length ? src : src.subarray(off, off + len));
    return out;
  }
}
