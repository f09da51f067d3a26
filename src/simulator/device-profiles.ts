/** RAT Type values of GTPv2 (3GPP TS 29.274), as `rat_type` in PDP context details. */
export const RAT_TYPE = {
  utran: 1,
  geran: 2,
  eutran: 6,
  eutranNbIot: 8,
  lteM: 9,
  nr: 10,
} as const;

/** Network usage of one kind of IoT device. */
export interface DeviceProfile {
  /** Prefix of endpoint names, such as `tracker-00042`. */
  kind: string;
  tags: string;
  /** Mean data throughput while a session is open, in bytes per second. */
  bytesPerSecond: number;
  /** Share of the data volume that the device receives. */
  rxShare: number;
  /** Share of the device's activities that are an SMS instead of a data session. */
  smsShare: number;
  ratTypes: readonly number[];
}

export const DEVICE_PROFILES: readonly DeviceProfile[] = [
  {
    kind: 'tracker',
    tags: 'asset-tracking,gps',
    bytesPerSecond: 400,
    rxShare: 0.2,
    smsShare: 0.1,
    ratTypes: [RAT_TYPE.eutran, RAT_TYPE.lteM],
  },
  {
    kind: 'meter',
    tags: 'smart-meter,utility',
    bytesPerSecond: 60,
    rxShare: 0.1,
    smsShare: 0.05,
    ratTypes: [RAT_TYPE.eutranNbIot, RAT_TYPE.lteM],
  },
  {
    kind: 'pos',
    tags: 'payment,retail',
    bytesPerSecond: 900,
    rxShare: 0.5,
    smsShare: 0.02,
    ratTypes: [RAT_TYPE.eutran, RAT_TYPE.utran, RAT_TYPE.geran],
  },
  {
    kind: 'charger',
    tags: 'ev-charging',
    bytesPerSecond: 1500,
    rxShare: 0.6,
    smsShare: 0.05,
    ratTypes: [RAT_TYPE.eutran, RAT_TYPE.nr],
  },
];

/** Access point name that all simulated devices use. */
export const APN = 'iot.datastreamer';
