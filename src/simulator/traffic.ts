import type { EventRecord, UsageRecord } from '../records/types.js';
import { ActionQueue, type ScheduledAction } from './action-queue.js';
import { INTERIM_INTERVAL_MS, planActivity, type ActivityPlan } from './activity-plan.js';
import { EVENT_SEVERITY, EVENT_SOURCE, EVENT_TYPE } from './catalogue.js';
import { chargeQuota, createQuota, QUOTA_THRESHOLD_PERCENTAGE, quotaDetail, type DataQuota } from './data-quota.js';
import { APN } from './device-profiles.js';
import { createSimIdentities, type SimIdentity } from './identities.js';
import { loadOperatorCatalogue, type Operator, type OperatorCatalogue } from './operators.js';
import { validateTrafficOptions, type TrafficOptions } from './options.js';
import { Random } from './random.js';
import { buildDataUsage, buildEvent, buildSmsUsage, IdSequence, operatorDetail, type EventContent } from './record-builders.js';

export interface TrafficBatch {
  usage: UsageRecord[];
  events: EventRecord[];
}

export interface Traffic {
  /** Generates the next `count` records in simulated-time order, split by kind. */
  next(count: number): TrafficBatch;
  /** Simulated time reached so far, in epoch milliseconds. */
  readonly simulatedTimeMs: number;
  readonly identities: readonly SimIdentity[];
}

const HOME_NETWORK_COUNT = 3;
const ROAMING_COUNTRY_COUNT = 8;
/** Share of network attaches in the SIM's home country; the rest roam. */
const HOME_COUNTRY_SHARE = 0.6;
/** Share of SIMs that are still inactive when the run starts and get activated first. */
const INACTIVE_SHARE = 0.05;

interface DataSession {
  startMs: number;
  intervalStartMs: number;
  endMs: number;
  ratType: number;
  lac: number;
  ci: number;
  bytesPerSecond: number;
}

interface SimState {
  identity: SimIdentity;
  plan: ActivityPlan;
  needsAttach: boolean;
  visited: Operator;
  session: DataSession | null;
  quota: DataQuota;
}

type GeneratedRecord = { kind: 'usage'; record: UsageRecord } | { kind: 'event'; record: EventRecord };

/**
 * Creates a generator of platform traffic that does not post anything. The
 * same seed, idBase and startTime give the same records.
 */
export function createTraffic(options: TrafficOptions): Traffic {
  return new TrafficGenerator(options);
}

class TrafficGenerator implements Traffic {
  readonly identities: readonly SimIdentity[];
  private readonly random: Random;
  private readonly operators: OperatorCatalogue;
  private readonly roamingCountries: readonly string[];
  private readonly sims: SimState[];
  private readonly queue = new ActionQueue();
  private readonly usageIds: IdSequence;
  private readonly eventIds: IdSequence;
  private readonly pending: GeneratedRecord[] = [];
  private clockMs: number;

  constructor(options: TrafficOptions) {
    const { seed, sims, organisations, rate, startTimeMs, idBase } = validateTrafficOptions(options);

    this.random = new Random(String(seed));
    this.operators = loadOperatorCatalogue();
    this.usageIds = new IdSequence(idBase);
    this.eventIds = new IdSequence(idBase);
    this.clockMs = startTimeMs;

    const homeOperators = this.pickDistinct(this.operators.homeOperators, HOME_NETWORK_COUNT);
    this.identities = createSimIdentities({
      count: sims,
      organisations,
      homeOperators,
      random: this.random,
      startTime: startTimeMs,
    });
    this.roamingCountries = this.pickDistinct([...this.operators.operatorsByCountry.keys()], ROAMING_COUNTRY_COUNT);

    // Each SIM contributes an equal share of the rate.
    const meanRecordGapMs = (sims / rate) * 1000;
    this.sims = this.identities.map((identity) => ({
      identity,
      plan: planActivity(identity.profile, meanRecordGapMs),
      needsAttach: false,
      visited: this.chooseVisitedOperator(identity),
      session: null,
      quota: createQuota(this.random, true),
    }));

    for (const [simIndex, sim] of this.sims.entries()) this.scheduleFirstAction(simIndex, sim, startTimeMs);
  }

  get simulatedTimeMs(): number {
    return this.clockMs;
  }

  next(count: number): TrafficBatch {
    if (!Number.isInteger(count) || count < 0) {
      throw new Error(`Invalid record count ${count}: it must be a non-negative integer.`);
    }

    while (this.pending.length < count) {
      const action = this.queue.pop()!;
      this.clockMs = action.atMs;
      this.perform(action);
    }

    const batch: TrafficBatch = { usage: [], events: [] };
    for (const generated of this.pending.splice(0, count)) {
      if (generated.kind === 'usage') batch.usage.push(generated.record);
      else batch.events.push(generated.record);
    }
    return batch;
  }

  private perform(action: ScheduledAction): void {
    const sim = this.sims[action.simIndex];

    switch (action.kind) {
      case 'activate':
        return this.activate(sim, action);
      case 'cycle':
        return this.startActivity(sim, action);
      case 'interim':
        return this.reportInterval(sim, action, false);
      case 'close':
        return this.reportInterval(sim, action, true);
    }
  }

  /**
   * Puts the SIM at a random point of its activity cycle, as if the platform
   * had been running before the start, so that the rate is met from the first
   * second. Some SIMs start inside a data session that opened earlier.
   */
  private scheduleFirstAction(simIndex: number, sim: SimState, startMs: number): void {
    const { plan } = sim;
    const sessionTimeShare = ((1 - sim.identity.profile.smsShare) * plan.meanSessionMs) / plan.meanCycleMs;

    if (this.random.chance(sessionTimeShare)) {
      // Exponential session lengths are memoryless: the age of a session open
      // at the start, and the time it has left, follow the same distribution.
      const ageMs = Math.round(this.random.exponential(plan.meanSessionMs));
      const session = this.createSession(sim, startMs - ageMs, startMs + this.sessionLengthMs(sim));
      session.intervalStartMs = session.startMs + INTERIM_INTERVAL_MS * Math.floor(ageMs / INTERIM_INTERVAL_MS);
      sim.session = session;
      this.scheduleSessionStep(simIndex, session);
      return;
    }

    const kind = this.random.chance(INACTIVE_SHARE) ? 'activate' : 'cycle';
    this.queue.push(startMs + Math.round(this.random.exponential(plan.meanIdleMs)), simIndex, kind);
  }

  private activate(sim: SimState, action: ScheduledAction): void {
    this.emitEvent(sim, action.atMs, {
      type: EVENT_TYPE.simActivation,
      severity: EVENT_SEVERITY.info,
      source: EVENT_SOURCE.api,
      alert: false,
      description: `SIM ${sim.identity.sim.iccid} activated`,
      user: sim.identity.user,
      detail: null,
    });

    // A freshly activated device attaches to a network right away.
    sim.needsAttach = true;
    const attachDelayMs = Math.min(5000, sim.plan.meanRecordGapMs);
    this.queue.push(action.atMs + Math.round(attachDelayMs), action.simIndex, 'cycle');
  }

  /** Starts the SIM's next activity: an SMS or a data session, after a network attach when one is due. */
  private startActivity(sim: SimState, action: ScheduledAction): void {
    const { atMs, simIndex } = action;

    if (this.random.chance(sim.plan.resetProbability)) {
      this.emitEvent(sim, atMs, {
        type: EVENT_TYPE.resetConnectivity,
        severity: EVENT_SEVERITY.info,
        source: EVENT_SOURCE.api,
        alert: false,
        description: `Connectivity reset requested by ${sim.identity.user.username}`,
        user: sim.identity.user,
        detail: null,
      });
      sim.needsAttach = true;
    }

    if (sim.needsAttach || this.random.chance(sim.plan.moveProbability)) {
      this.attach(sim, atMs);
    }

    if (this.random.chance(sim.identity.profile.smsShare)) {
      const direction = this.random.chance(0.5) ? 'sent' : 'received';
      this.emitUsage(buildSmsUsage(this.usageIds.next(), sim.identity, sim.visited, atMs, direction));
      this.scheduleNextActivity(simIndex, sim, atMs);
      return;
    }

    this.openSession(sim, simIndex, atMs);
  }

  private attach(sim: SimState, atMs: number): void {
    sim.visited = this.chooseVisitedOperator(sim.identity);
    sim.needsAttach = false;
    const place = `${sim.visited.name} (${sim.visited.country.name})`;

    if (this.random.chance(sim.plan.circuitSwitchedAttachShare)) {
      this.emitEvent(sim, atMs, {
        type: EVENT_TYPE.updateLocation,
        severity: EVENT_SEVERITY.info,
        source: EVENT_SOURCE.network,
        alert: false,
        description: `Location updated to ${place}`,
        user: null,
        detail: { operator: operatorDetail(sim.visited) },
      });
    }

    this.emitEvent(sim, atMs, {
      type: EVENT_TYPE.updateGprsLocation,
      severity: EVENT_SEVERITY.info,
      source: EVENT_SOURCE.network,
      alert: false,
      description: `GPRS location updated to ${place}`,
      user: null,
      detail: { operator: operatorDetail(sim.visited) },
    });
  }

  private openSession(sim: SimState, simIndex: number, atMs: number): void {
    const session = this.createSession(sim, atMs, atMs + this.sessionLengthMs(sim));
    sim.session = session;

    this.emitEvent(sim, atMs, {
      type: EVENT_TYPE.createPdpContext,
      severity: EVENT_SEVERITY.info,
      source: EVENT_SOURCE.network,
      alert: false,
      description: `PDP context created on ${sim.visited.name}, APN ${APN}`,
      user: null,
      detail: { pdp_context: this.pdpContextDetail(sim, session) },
    });

    this.scheduleSessionStep(simIndex, session);
  }

  private createSession(sim: SimState, startMs: number, endMs: number): DataSession {
    const { profile } = sim.identity;
    return {
      startMs,
      intervalStartMs: startMs,
      endMs,
      ratType: this.random.pick(profile.ratTypes),
      lac: this.random.int(1, 65_533),
      ci: this.random.int(1, 268_435_455),
      bytesPerSecond: profile.bytesPerSecond * (0.5 + this.random.float()),
    };
  }

  private sessionLengthMs(sim: SimState): number {
    return Math.max(1, Math.round(this.random.exponential(sim.plan.meanSessionMs)));
  }

  /** Emits the usage record of the interval that ends now, then closes the session if it ends here or the quota ran out. */
  private reportInterval(sim: SimState, action: ScheduledAction, closing: boolean): void {
    const { atMs, simIndex } = action;
    const session = sim.session!;
    const { profile } = sim.identity;

    const seconds = (atMs - session.intervalStartMs) / 1000;
    // Every interval carries some signalling and keep-alive traffic, even a very short one.
    const bytes = Math.round(session.bytesPerSecond * seconds * (0.5 + this.random.float())) + this.random.int(200, 2000);
    const rxBytes = Math.round(bytes * profile.rxShare);
    const interval = { startMs: session.intervalStartMs, endMs: atMs };
    this.emitUsage(buildDataUsage(this.usageIds.next(), sim.identity, sim.visited, interval, rxBytes, bytes - rxBytes));
    session.intervalStartMs = atMs;

    const quotaUsedUp = this.chargeAndReportQuota(sim, atMs, bytes);

    if (closing || quotaUsedUp) {
      this.closeSession(sim, atMs, quotaUsedUp);
      this.scheduleNextActivity(simIndex, sim, atMs);
      return;
    }

    if (this.random.chance(sim.plan.ratChangeProbability)) {
      session.ratType = this.random.pick(profile.ratTypes);
      this.emitEvent(sim, atMs, {
        type: EVENT_TYPE.updatePdpContext,
        severity: EVENT_SEVERITY.info,
        source: EVENT_SOURCE.network,
        alert: false,
        description: `PDP context updated, RAT type ${session.ratType}`,
        user: null,
        detail: { pdp_context: this.pdpContextDetail(sim, session) },
      });
    }

    this.scheduleSessionStep(simIndex, session);
  }

  private closeSession(sim: SimState, atMs: number, quotaUsedUp: boolean): void {
    const session = sim.session!;
    const seconds = Math.round((atMs - session.startMs) / 1000);
    const reason = quotaUsedUp ? 'data quota used up' : 'closed by the device';

    this.emitEvent(sim, atMs, {
      type: EVENT_TYPE.deletePdpContext,
      severity: EVENT_SEVERITY.info,
      source: EVENT_SOURCE.network,
      alert: false,
      description: `PDP context deleted after ${seconds} s, ${reason}`,
      user: null,
      detail: { pdp_context: this.pdpContextDetail(sim, session) },
    });
    sim.session = null;
  }

  /** Charges `bytes` to the SIM's data quota, emits the quota events it triggers, and returns whether the quota is used up. */
  private chargeAndReportQuota(sim: SimState, atMs: number, bytes: number): boolean {
    const { quota } = sim;
    const { thresholdReached, usedUp } = chargeQuota(quota, bytes);

    if (thresholdReached) {
      this.emitEvent(sim, atMs, {
        type: EVENT_TYPE.quotaThresholdReached,
        severity: EVENT_SEVERITY.warn,
        source: EVENT_SOURCE.policyControl,
        alert: false,
        description: `${QUOTA_THRESHOLD_PERCENTAGE}% of the ${quota.limitMb} MB data quota used`,
        user: null,
        detail: { quota: quotaDetail(quota) },
      });
    }

    if (!usedUp) return false;

    this.emitEvent(sim, atMs, {
      type: EVENT_TYPE.quotaUsedUp,
      severity: EVENT_SEVERITY.critical,
      source: EVENT_SOURCE.policyControl,
      alert: true,
      description: `Data quota of ${quota.limitMb} MB used up, data service blocked`,
      user: null,
      detail: { quota: quotaDetail(quota) },
    });

    // The simulated platform renews a used-up quota at once, so the SIM goes on producing traffic.
    sim.quota = createQuota(this.random, false);
    return true;
  }

  private scheduleSessionStep(simIndex: number, session: DataSession): void {
    const interimMs = session.intervalStartMs + INTERIM_INTERVAL_MS;
    if (interimMs < session.endMs) this.queue.push(interimMs, simIndex, 'interim');
    else this.queue.push(session.endMs, simIndex, 'close');
  }

  private scheduleNextActivity(simIndex: number, sim: SimState, afterMs: number): void {
    const idleMs = Math.round(this.random.exponential(sim.plan.meanIdleMs));
    this.queue.push(afterMs + idleMs, simIndex, 'cycle');
  }

  private chooseVisitedOperator(identity: SimIdentity): Operator {
    const country = this.random.chance(HOME_COUNTRY_SHARE)
      ? identity.homeOperator.country.iso_code
      : this.random.pick(this.roamingCountries);
    return this.random.pick(this.operators.operatorsByCountry.get(country)!);
  }

  private pdpContextDetail(sim: SimState, session: DataSession): Record<string, unknown> {
    return {
      apn: APN,
      rat_type: session.ratType,
      mcc: sim.visited.mcc,
      mnc: sim.visited.mnc,
      lac: session.lac,
      ci: session.ci,
      ue_ip_address: sim.identity.endpoint.ip_address,
    };
  }

  private emitEvent(sim: SimState, atMs: number, content: EventContent): void {
    this.pending.push({ kind: 'event', record: buildEvent(this.eventIds.next(), sim.identity, atMs, content) });
  }

  private emitUsage(record: UsageRecord): void {
    this.pending.push({ kind: 'usage', record });
  }

  private pickDistinct<T>(items: readonly T[], count: number): T[] {
    const remaining = [...items];
    const picked: T[] = [];
    while (picked.length < count && remaining.length > 0) {
      picked.push(remaining.splice(this.random.int(0, remaining.length - 1), 1)[0]);
    }
    return picked;
  }
}
