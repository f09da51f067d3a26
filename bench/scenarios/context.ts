import type { BenchEnvironment } from '../lib/environment.js';
import type { BenchOptions } from '../lib/options.js';
import type { Figure } from '../lib/report.js';
import type { TrafficPool } from '../lib/traffic.js';

export interface ScenarioContext {
  environment: BenchEnvironment;
  options: BenchOptions;
  traffic: TrafficPool;
  /** Prints a progress line to stderr, so stdout keeps only the table. */
  log(message: string): void;
}

export interface ScenarioOutcome {
  figures: Figure[];
  details: Record<string, unknown>;
}
