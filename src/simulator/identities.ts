import type { EndpointRef, EventRecord, OrganisationRef, SimRef } from '../records/types.js';
import { DEVICE_PROFILES, type DeviceProfile } from './device-profiles.js';
import { luhnCheckDigit } from './luhn.js';
import type { Operator } from './operators.js';
import type { Random } from './random.js';
import { formatTimestamp } from './timestamps.js';

export type PlatformUser = NonNullable<EventRecord['user']>;

/** Everything that identifies one simulated SIM and the device it sits in. */
export interface SimIdentity {
  organisation: OrganisationRef;
  /** The organisation's user that API events (activation, connectivity reset) name. */
  user: PlatformUser;
  homeOperator: Operator;
  profile: DeviceProfile;
  sim: SimRef;
  imsi: { id: number; imsi: string; import_date: string | null };
  endpoint: EndpointRef;
}

/** The largest number of SIMs one run can have; serials, IMEIs and IP addresses stay unique up to it. */
export const MAX_SIMS = 1_000_000;

const ICCID_LENGTH = 19;
const IMSI_LENGTH = 15;
const MSISDN_LENGTH = 13;
const DAY_MS = 86_400_000;

// 100.64.0.0/10, the shared address space that carriers use for carrier-grade NAT.
const CGNAT_FIRST_ADDRESS = (100 << 24) | (64 << 16);
const CGNAT_HOST_COUNT = 2 ** 22;

export interface IdentityOptions {
  count: number;
  organisations: readonly OrganisationRef[];
  homeOperators: readonly Operator[];
  random: Random;
  startTime: number;
}

/**
 * Creates `count` SIMs with their IMSIs and endpoints. Organisations are
 * assigned in turn. Serial numbers start at a random offset and count up, so
 * ICCIDs, IMSIs, MSISDNs, IMEIs and IP addresses are unique within a run.
 */
export function createSimIdentities(options: IdentityOptions): SimIdentity[] {
  const { count, organisations, homeOperators, random, startTime } = options;

  const users = organisations.map((organisation, index) => createUser(organisation, 1000 + index));
  // Entity ids are fixed by the seed, so a repeated run describes the same SIMs.
  const simIdBase = random.int(1_000, 899_999) * 1000;
  const endpointIdBase = random.int(1_000, 899_999) * 1000;
  const imsiIdBase = random.int(1_000, 899_999) * 1000;
  const serialOffset = random.int(0, 999_999_999);
  const msinOffset = random.int(0, 99_999_999);
  const subscriberOffset = random.int(0, 9_999_999);
  const imeiSerialOffset = random.int(0, 999_999);
  const addressOffset = random.int(0, CGNAT_HOST_COUNT - 1);
  const typeAllocationCodes = DEVICE_PROFILES.map(() => '35' + random.digits(6));
  const destinationCodes = new Map(homeOperators.map((operator) => [operator.id, String(random.int(10, 99))]));

  const identities: SimIdentity[] = [];
  for (let index = 0; index < count; index++) {
    const organisationIndex = index % organisations.length;
    const homeOperator = random.pick(homeOperators);
    const profileIndex = random.int(0, DEVICE_PROFILES.length - 1);
    const profile = DEVICE_PROFILES[profileIndex];
    const callingCode = homeOperator.country.callingCode!;

    const productionTime = startOfDay(startTime - random.int(60, 900) * DAY_MS);
    const importTime = Math.min(productionTime + random.int(5, 45) * DAY_MS, startOfDay(startTime));
    const subscriber = String(subscriberOffset + index);

    identities.push({
      organisation: organisations[organisationIndex],
      user: users[organisationIndex],
      homeOperator,
      profile,
      sim: {
        id: simIdBase + index + 1,
        iccid: createIccid(callingCode, homeOperator.mnc, serialOffset + index),
        msisdn: padNumber(callingCode + destinationCodes.get(homeOperator.id)!, subscriber, MSISDN_LENGTH),
        production_date: formatTimestamp(productionTime),
      },
      imsi: {
        id: imsiIdBase + index + 1,
        imsi: padNumber(homeOperator.mcc + homeOperator.mnc, String(msinOffset + index), IMSI_LENGTH),
        import_date: formatTimestamp(importTime),
      },
      endpoint: {
        id: endpointIdBase + index + 1,
        name: `${profile.kind}-${String(index + 1).padStart(5, '0')}`,
        tags: profile.tags,
        ip_address: cgnatAddress(addressOffset + index),
        imei: createImei(typeAllocationCodes[profileIndex], (imeiSerialOffset + index) % 1_000_000),
      },
    });
  }

  return identities;
}

/**
 * Builds a 19-digit ICCID: the `89` telecom industry prefix, the country
 * calling code, the issuer digits (here the home MNC), the serial number and a
 * Luhn check digit.
 */
export function createIccid(callingCode: string, issuer: string, serial: number): string {
  const body = padNumber('89' + callingCode + issuer, String(serial), ICCID_LENGTH - 1);
  return body + luhnCheckDigit(body);
}

/** Builds a 15-digit IMEI: the 8-digit type allocation code, a 6-digit serial number and a Luhn check digit. */
export function createImei(typeAllocationCode: string, serial: number): string {
  const body = typeAllocationCode + String(serial).padStart(6, '0');
  return body + luhnCheckDigit(body);
}

/** Returns the `n`-th address of 100.64.0.0/10, skipping its network and broadcast addresses. */
export function cgnatAddress(n: number): string {
  const address = CGNAT_FIRST_ADDRESS + 1 + (n % (CGNAT_HOST_COUNT - 2));
  return [address >>> 24, (address >>> 16) & 255, (address >>> 8) & 255, address & 255].join('.');
}

/** Joins a prefix and a number zero-padded so that the result has `length` digits. */
function padNumber(prefix: string, number: string, length: number): string {
  const width = length - prefix.length;
  if (number.length > width) {
    throw new Error(`Cannot fit the number ${number} after the prefix ${prefix} into ${length} digits.`);
  }
  return prefix + number.padStart(width, '0');
}

function createUser(organisation: OrganisationRef, id: number): PlatformUser {
  const slug = organisation.name.toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-|-$/g, '') || `org-${organisation.id}`;
  return { id, username: `ops@${slug}.example`, name: `${organisation.name} operations` };
}

function startOfDay(time: number): number {
  return time - (time % DAY_MS);
}
