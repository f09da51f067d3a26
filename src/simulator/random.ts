import seedrandom from 'seedrandom';

/** Seeded pseudo-random numbers: the same seed yields the same sequence on every run. */
export class Random {
  private readonly prng: () => number;

  constructor(seed: string) {
    this.prng = seedrandom.alea(seed);
  }

  /** Returns a float in [0, 1). */
  float(): number {
    return this.prng();
  }

  /** Returns an integer from `min` to `max`, both included. */
  int(min: number, max: number): number {
    return min + Math.floor(this.prng() * (max - min + 1));
  }

  chance(probability: number): boolean {
    return this.prng() < probability;
  }

  pick<T>(items: readonly T[]): T {
    if (items.length === 0) throw new Error('Cannot pick from an empty list.');
    return items[Math.floor(this.prng() * items.length)];
  }

  /** Returns a sample of the exponential distribution, the gap between independent random events. */
  exponential(mean: number): number {
    return -Math.log(1 - this.prng()) * mean;
  }

  /** Returns a string of `count` random decimal digits. */
  digits(count: number): string {
    let result = '';
    for (let i = 0; i < count; i++) result += String(Math.floor(this.prng() * 10));
    return result;
  }
}
