export type ActionKind = 'activate' | 'cycle' | 'interim' | 'close';

/** Something a SIM does at a point of simulated time. */
export interface ScheduledAction {
  atMs: number;
  simIndex: number;
  kind: ActionKind;
  /** Insertion counter that orders actions due at the same millisecond, so runs repeat exactly. */
  order: number;
}

/** Binary min-heap of actions by time. */
export class ActionQueue {
  private readonly heap: ScheduledAction[] = [];
  private inserted = 0;

  get size(): number {
    return this.heap.length;
  }

  push(atMs: number, simIndex: number, kind: ActionKind): void {
    this.heap.push({ atMs, simIndex, kind, order: this.inserted++ });
    this.siftUp(this.heap.length - 1);
  }

  pop(): ScheduledAction | undefined {
    const first = this.heap[0];
    const last = this.heap.pop();
    if (first !== undefined && last !== undefined && this.heap.length > 0) {
      this.heap[0] = last;
      this.siftDown(0);
    }
    return first;
  }

  private siftUp(index: number): void {
    while (index > 0) {
      const parent = (index - 1) >> 1;
      if (!this.isEarlier(index, parent)) return;
      this.swap(index, parent);
      index = parent;
    }
  }

  private siftDown(index: number): void {
    for (;;) {
      const left = 2 * index + 1;
      const right = left + 1;
      let earliest = index;
      if (left < this.heap.length && this.isEarlier(left, earliest)) earliest = left;
      if (right < this.heap.length && this.isEarlier(right, earliest)) earliest = right;
      if (earliest === index) return;
      this.swap(index, earliest);
      index = earliest;
    }
  }

  private isEarlier(a: number, b: number): boolean {
    const first = this.heap[a];
    const second = this.heap[b];
    return first.atMs < second.atMs || (first.atMs === second.atMs && first.order < second.order);
  }

  private swap(a: number, b: number): void {
    [this.heap[a], this.heap[b]] = [this.heap[b], this.heap[a]];
  }
}
