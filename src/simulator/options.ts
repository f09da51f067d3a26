import type { OrganisationRef } from '../records/types.js';
import { MAX_SIMS } from './identities.js';

export interface TrafficOptions {
  seed: string | number;
  /** Number of SIMs, from 1 to 1,000,000. */
  sims: number;
  /** Organisations that own the SIMs, assigned in turn. */
  organisations: readonly OrganisationRef[];
  /** Target records per second of simulated time, both kinds together. Default: one per SIM per minute. */
  rate?: number;
  /** Simulated time at which the run starts: a Date, an ISO 8601 string or epoch milliseconds. Default: now. */
  startTime?: Date | string | number;
  /** Record ids count up from this number, separately for usage records and events. Default: defaultIdBase(). */
  idBase?: number;
}

/**
 * Returns the default first record id: the current time in microseconds. Runs
 * that start one after another never share ids unless a run emits more than a
 * million records of one kind per second. Runs that overlap in time can.
 */
export function defaultIdBase(): number {
  return Date.now() * 1000;
}

export interface ValidTrafficOptions {
  seed: string | number;
  sims: number;
  organisations: readonly OrganisationRef[];
  rate: number;
  startTimeMs: number;
  idBase: number;
}

/** Default simulated rate: one record per SIM per minute. */
const DEFAULT_RECORDS_PER_SIM_PER_SECOND = 1 / 60;

/** Checks traffic options, fills in defaults, and throws an Error naming the first invalid value. */
export function validateTrafficOptions(options: TrafficOptions): ValidTrafficOptions {
  const { seed, sims, organisations } = options;

  if (!(typeof seed === 'string' || (typeof seed === 'number' && Number.isFinite(seed)))) {
    throw new Error(`Invalid seed ${String(seed)}: it must be a string or a finite number.`);
  }
  if (!Number.isInteger(sims) || sims < 1 || sims > MAX_SIMS) {
    throw new Error(`Invalid number of SIMs ${sims}: it must be an integer from 1 to ${MAX_SIMS}.`);
  }
  validateOrganisations(organisations);

  const rate = options.rate ?? sims * DEFAULT_RECORDS_PER_SIM_PER_SECOND;
  if (!Number.isFinite(rate) || rate <= 0) {
    throw new Error(`Invalid rate ${rate}: it must be a positive number of records per second.`);
  }

  const startTimeMs = parseStartTime(options.startTime);

  const idBase = options.idBase ?? defaultIdBase();
  if (!Number.isSafeInteger(idBase) || idBase < 0) {
    throw new Error(`Invalid idBase ${idBase}: it must be an integer from 0 to ${Number.MAX_SAFE_INTEGER}.`);
  }

  return { seed, sims, organisations, rate, startTimeMs, idBase };
}

export function validateOrganisations(organisations: readonly OrganisationRef[]): void {
  if (!Array.isArray(organisations) || organisations.length === 0) {
    throw new Error('No organisations given: pass at least one {id, name} for the SIMs to belong to.');
  }

  for (const organisation of organisations) {
    if (!Number.isSafeInteger(organisation?.id) || organisation.id < 1) {
      throw new Error(`Invalid organisation id ${JSON.stringify(organisation?.id)}: it must be a positive integer.`);
    }
    if (typeof organisation.name !== 'string' || organisation.name.trim() === '') {
      throw new Error(`Invalid name for organisation ${organisation.id}: it must be a non-empty string.`);
    }
  }
}

function parseStartTime(startTime: TrafficOptions['startTime']): number {
  if (startTime === undefined) return Date.now();

  let startTimeMs: number;
  if (startTime instanceof Date) startTimeMs = startTime.getTime();
  else if (typeof startTime === 'string') startTimeMs = Date.parse(startTime);
  else startTimeMs = startTime;

  if (!Number.isFinite(startTimeMs) || startTimeMs < 0) {
    throw new Error(`Invalid startTime ${String(startTime)}: it must be a Date, an ISO 8601 timestamp or epoch milliseconds after 1970.`);
  }
  return startTimeMs;
}
