import mccMncList from 'mcc-mnc-list';

import { CALLING_CODES } from './calling-codes.js';

export interface Country {
  id: number;
  name: string;
  iso_code: string;
  /** E.164 calling code, or null where the simulator does not know it. */
  callingCode: string | null;
}

/** A mobile network operator from mcc-mnc-list, with ids that the simulated platform assigns. */
export interface Operator {
  id: number;
  name: string;
  mcc: string;
  mnc: string;
  country: Country;
  supportsLte: boolean;
}

export interface OperatorCatalogue {
  /** Operators a SIM can roam on. */
  operators: readonly Operator[];
  operatorsByCountry: ReadonlyMap<string, readonly Operator[]>;
  /** LTE operators in countries with a known calling code, which can issue SIMs. */
  homeOperators: readonly Operator[];
}

let catalogue: OperatorCatalogue | undefined;

/**
 * Returns the operational national networks of mcc-mnc-list. Country and
 * operator ids are positions in that list, so they are stable for one version
 * of the package and may change when it is updated.
 */
export function loadOperatorCatalogue(): OperatorCatalogue {
  if (catalogue !== undefined) return catalogue;

  const entries = mccMncList
    .all()
    .filter(
      (entry) =>
        entry.status === 'Operational' &&
        entry.type === 'National' &&
        /^[0-9]{3}$/.test(entry.mcc ?? '') &&
        /^[0-9]{2,3}$/.test(entry.mnc ?? '') &&
        /^[A-Z]{2}$/.test(entry.countryCode ?? '') &&
        (entry.operator || entry.brand) &&
        /GSM|UMTS|LTE|5G|NR/.test(entry.bands ?? ''),
    );

  const isoCodes = [...new Set(entries.map((entry) => entry.countryCode))].sort();
  const countries = new Map<string, Country>();
  for (const [index, isoCode] of isoCodes.entries()) {
    const name = entries.find((entry) => entry.countryCode === isoCode)!.countryName;
    countries.set(isoCode, { id: index + 1, name, iso_code: isoCode, callingCode: CALLING_CODES[isoCode] ?? null });
  }

  // The list repeats a few MCC/MNC pairs; the first entry wins.
  const seen = new Set<string>();
  const operators: Operator[] = [];
  for (const entry of entries) {
    const key = entry.mcc + entry.mnc;
    if (seen.has(key)) continue;
    seen.add(key);

    operators.push({
      id: operators.length + 1,
      name: entry.operator || entry.brand,
      mcc: entry.mcc,
      mnc: entry.mnc,
      country: countries.get(entry.countryCode)!,
      supportsLte: /LTE/.test(entry.bands ?? ''),
    });
  }

  const operatorsByCountry = new Map<string, Operator[]>();
  for (const operator of operators) {
    const list = operatorsByCountry.get(operator.country.iso_code) ?? [];
    list.push(operator);
    operatorsByCountry.set(operator.country.iso_code, list);
  }

  const homeOperators = operators.filter((operator) => operator.supportsLte && operator.country.callingCode !== null);

  catalogue = { operators, operatorsByCountry, homeOperators };
  return catalogue;
}
