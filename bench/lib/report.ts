import fs from 'node:fs';
import path from 'node:path';

import type { MachineInfo } from './machine.js';

/** A bound that a figure should meet: at least (`min`) or at most (`max`) `value`. */
export interface Target {
  bound: 'min' | 'max';
  value: number;
}

export interface Figure {
  scenario: string;
  measure: string;
  value: number;
  unit: string;
  target?: Target;
}

export interface ScenarioResult {
  name: string;
  figures: Figure[];
  /** Counts, settings and intermediate figures that explain the headline figures. */
  details: Record<string, unknown>;
  /** /proc/loadavg (1, 5, 15 minutes) when the scenario started and ended. */
  loadAverage: { start: string; end: string };
  seconds: number;
  /** Message of the error that stopped the scenario, which then has no figures. */
  error?: string;
}

export interface BenchReport {
  startedAt: string;
  command: string;
  machine: MachineInfo;
  loadAverage: { start: string; end: string };
  /** Process layout of the run: where the service, local AWS and the ceiling loops ran. */
  serviceProcess: string;
  options: Record<string, unknown>;
  scenarios: ScenarioResult[];
  /** Top functions by self time, per CPU profile, when the run was profiled. */
  profiles?: Record<string, { function: string; location: string; selfMs: number; selfPercent: number }[]>;
}

export function isMet(figure: Figure): boolean | undefined {
  if (!figure.target) return undefined;
  return figure.target.bound === 'min' ? figure.value >= figure.target.value : figure.value <= figure.target.value;
}

/** Renders every figure of the report as a Markdown table, the form docs/benchmarks.md uses. */
export function renderTable(report: BenchReport): string {
  const rows = [
    '| Scenario | Measure | Value | Target | Met |',
    '|---|---|---:|---|---|',
  ];
  for (const scenario of report.scenarios) {
    if (scenario.error !== undefined) rows.push(`| ${scenario.name} | failed: ${scenario.error.replaceAll('|', '/').split('\n')[0]} | | | NO |`);
    for (const figure of scenario.figures) {
      const target = figure.target ? `${figure.target.bound === 'min' ? '≥' : '≤'} ${formatValue(figure.target.value, figure.unit)}` : '';
      const met = isMet(figure);
      rows.push(`| ${figure.scenario} | ${figure.measure} | ${formatValue(figure.value, figure.unit)} | ${target} | ${met === undefined ? '' : met ? 'yes' : 'NO'} |`);
    }
  }
  return rows.join('\n');
}

function formatValue(value: number, unit: string): string {
  if (!Number.isFinite(value)) return 'n/a';
  if (unit === 'ratio') return value.toFixed(2);

  const text = value >= 1000 ? Math.round(value).toLocaleString('en-US') : String(value);
  return `${text} ${unit}`;
}

export function writeReport(file: string, report: BenchReport): void {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, JSON.stringify(report, null, 2) + '\n');
}
