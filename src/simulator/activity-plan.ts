import type { DeviceProfile } from './device-profiles.js';

/** How often one SIM does what, sized so that the SIM emits records at a target rate on average. */
export interface ActivityPlan {
  /** Mean simulated time between two records of this SIM. */
  meanRecordGapMs: number;
  meanSessionMs: number;
  /** Mean pause between the end of one activity and the start of the next. */
  meanIdleMs: number;
  /** Mean time from the start of one activity to the start of the next. */
  meanCycleMs: number;
  /** Chance that the device attaches to another network before an activity. */
  moveProbability: number;
  /** Share of attaches that also register for circuit-switched services (Update location). */
  circuitSwitchedAttachShare: number;
  /** Chance that a user resets the SIM's connectivity through the API before an activity. */
  resetProbability: number;
  /** Chance that the radio access type changes at an interim report. */
  ratChangeProbability: number;
}

/** Usage records of an open data session come at this interval, and one more when it closes. */
export const INTERIM_INTERVAL_MS = 45_000;

const MAX_MEAN_SESSION_MS = 10 * 60_000;
const MOVE_PROBABILITY = 0.05;
const CIRCUIT_SWITCHED_ATTACH_SHARE = 0.5;
const RESET_PROBABILITY = 0.005;
const RAT_CHANGE_PROBABILITY = 0.03;

/**
 * Sizes sessions and idle gaps so that a SIM of `profile` emits one record per
 * `meanRecordGapMs` on average. Sessions last three record gaps on average,
 * at most 10 minutes. At high rates per SIM that makes sessions
 * unrealistically short, and more SIMs fix it.
 */
export function planActivity(profile: DeviceProfile, meanRecordGapMs: number): ActivityPlan {
  const meanSessionMs = Math.min(3 * meanRecordGapMs, MAX_MEAN_SESSION_MS);

  // With exponential session lengths, the expected number of interim reports
  // (one at each 45 s mark before the end) is q / (1 - q).
  const q = Math.exp(-INTERIM_INTERVAL_MS / meanSessionMs);
  const interimReports = q / (1 - q);
  // Create PDP context, the closing usage record and Delete PDP context, plus interim reports and RAT changes.
  const recordsPerSession = 3 + interimReports * (1 + RAT_CHANGE_PROBABILITY);
  const recordsPerAttach = 1 + CIRCUIT_SWITCHED_ATTACH_SHARE;
  const recordsPerActivity =
    (MOVE_PROBABILITY + RESET_PROBABILITY) * recordsPerAttach +
    RESET_PROBABILITY +
    profile.smsShare +
    (1 - profile.smsShare) * recordsPerSession;

  const meanCycleMs = recordsPerActivity * meanRecordGapMs;
  const meanIdleMs = Math.max(0, meanCycleMs - (1 - profile.smsShare) * meanSessionMs);

  return {
    meanRecordGapMs,
    meanSessionMs,
    meanIdleMs,
    meanCycleMs,
    moveProbability: MOVE_PROBABILITY,
    circuitSwitchedAttachShare: CIRCUIT_SWITCHED_ATTACH_SHARE,
    resetProbability: RESET_PROBABILITY,
    ratChangeProbability: RAT_CHANGE_PROBABILITY,
  };
}
