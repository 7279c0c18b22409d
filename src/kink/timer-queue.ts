// Deadlines of the engine's exchanges (retransmissions, reply-cache ageing, delete grace,
// rekey, dead-peer probes) in one binary min-heap, so `tick(now)` costs O(expired · log n) with
// thousands of exchanges in flight. Owners re-arm by bumping their own generation number;
// stale heap entries are skipped when they surface (lazy deletion, no search).

export interface TimerOwner {
  /** The generation an entry must carry to be live; bump it to cancel pending entries. */
  timerGeneration: number;
}

interface Entry<T extends TimerOwner> {
  due: number;
  owner: T;
  generation: number;
}

export class TimerQueue<T extends TimerOwner> {
  readonly #heap: Entry<T>[] = [];

  get size(): number {
    return this.#heap.length;
  }

  /** Arms `owner` for `due`, cancelling any deadline it had. */
  arm(owner: T, due: number): void {
    owner.timerGeneration++;
    this.#heap.push({ due, owner, generation: owner.timerGeneration });
    this.#up(this.#heap.length - 1);
  }

  cancel(owner: T): void {
    owner.timerGeneration++;
  }

  /** Earliest live deadline, if any. */
  next(): number | undefined {
    this.#dropStale();
    return this.#heap[0]?.due;
  }

  /** Removes and returns the next owner whose deadline is ≤ now. */
  pop(now: number): T | undefined {
    this.#dropStale();
    const top = this.#heap[0];
    if (top === undefined || top.due > now) return undefined;
    this.#removeTop();
    top.owner.timerGeneration++;
    return top.owner;
  }

  #dropStale(): void {
    for (;;) {
      const top = this.#heap[0];
      if (top === undefined || top.generation === top.owner.timerGeneration) return;
      this.#removeTop();
    }
  }

  #removeTop(): void {
    const h = this.#heap;
    const last = h.pop()!;
    if (h.length === 0) return;
    h[0] = last;
    this.#down(0);
  }

  #up(i: number): void {
    const h = this.#heap;
    const e = h[i]!;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (h[p]!.due <= e.due) break;
      h[i] = h[p]!;
      i = p;
    }
    h[i] = e;
  }

  #down(i: number): void {
    const h = this.#heap;
    const e = h[i]!;
    const n = h.length;
    for (;;) {
      let c = 2 * i + 1;
      if (c >= n) break;
      if (c + 1 < n && h[c + 1]!.due < h[c]!.due) c++;
      if (h[c]!.due >= e.due) break;
      h[i] = h[c]!;
      i = c;
    }
    h[i] = e;
  }
}
