/**
 * Traffic simulator: SIMs of an IoT connectivity platform that produce usage
 * records and events, either generated in memory (createTraffic) or posted to
 * datastreamer's ingest API (runSimulation).
 */
export { runSimulation, type BatchSummary, type SimulationOptions, type SimulationResult } from './run.js';
export { createTraffic, type Traffic, type TrafficBatch } from './traffic.js';
export { defaultIdBase, type TrafficOptions } from './options.js';
export { INTERIM_INTERVAL_MS } from './activity-plan.js';
export { MAX_RECORDS_PER_REQUEST, postRecords, type IngestResult } from './ingest-client.js';
export { createIccid, createImei, MAX_SIMS, type SimIdentity } from './identities.js';
export { hasValidLuhnCheckDigit, luhnCheckDigit } from './luhn.js';
export { loadOperatorCatalogue, type Operator } from './operators.js';
