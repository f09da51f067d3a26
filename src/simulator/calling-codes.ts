/**
 * E.164 country calling codes by ISO 3166-1 alpha-2 code, for the countries
 * whose operators may issue the simulated SIMs. The calling code starts both
 * the MSISDN and, after the `89` telecom prefix, the ICCID.
 *
 * TODO: mcc-mnc-list has no calling codes, so home networks are limited to the
 * countries listed here. A package with calling codes for every country (such
 * as countries-list) would lift that limit. Visited networks are not limited.
 */
export const CALLING_CODES: Readonly<Record<string, string>> = {
  AT: '43',
  BE: '32',
  CH: '41',
  CZ: '420',
  DE: '49',
  DK: '45',
  ES: '34',
  FI: '358',
  FR: '33',
  GB: '44',
  IE: '353',
  IT: '39',
  JP: '81',
  LI: '423',
  NL: '31',
  NO: '47',
  PL: '48',
  PT: '351',
  SE: '46',
};
