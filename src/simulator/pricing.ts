import type { UsageRecord } from '../records/types.js';

export interface RateZone {
  id: number;
  name: string;
  /** EUR per MB of data. */
  pricePerMb: number;
  /** EUR per SMS. */
  pricePerSms: number;
}

// The first digit of an MCC names a geographic region, as the MCCs in mcc-mnc-list show.
const RATE_ZONES_BY_MCC_REGION: Readonly<Record<string, RateZone>> = {
  '2': { id: 1, name: 'Europe', pricePerMb: 0.008, pricePerSms: 0.05 },
  '3': { id: 2, name: 'North America and Caribbean', pricePerMb: 0.012, pricePerSms: 0.06 },
  '4': { id: 3, name: 'Asia and Middle East', pricePerMb: 0.02, pricePerSms: 0.08 },
  '5': { id: 4, name: 'Oceania and South-East Asia', pricePerMb: 0.025, pricePerSms: 0.08 },
  '6': { id: 5, name: 'Africa', pricePerMb: 0.05, pricePerSms: 0.1 },
  '7': { id: 6, name: 'Central and South America', pricePerMb: 0.03, pricePerSms: 0.09 },
};

const REST_OF_WORLD: RateZone = { id: 7, name: 'Rest of world', pricePerMb: 0.1, pricePerSms: 0.15 };

export const TARIFF = { id: 1, name: 'IoT Global' };

export const CURRENCY_EUR: NonNullable<UsageRecord['currency']> = { id: 1, code: 'EUR', symbol: '€' };

/** Returns the rate zone of the visited network with mobile country code `mcc`. */
export function rateZoneFor(mcc: string): RateZone {
  return RATE_ZONES_BY_MCC_REGION[mcc[0]] ?? REST_OF_WORLD;
}

/** Rounds a cost to the 10 decimals that usage records carry. */
export function roundCost(cost: number): number {
  return Math.round(cost * 1e10) / 1e10;
}

/** Converts bytes to MB (10^6 bytes), which keeps volumes at 6 decimals or fewer. */
export function bytesToMb(bytes: number): number {
  return bytes / 1e6;
}
