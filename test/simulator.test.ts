import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, test } from 'node:test';

import mccMncList from 'mcc-mnc-list';

import type { EventRecord, UsageRecord } from '../src/records/types.js';
import {
  createTraffic,
  defaultIdBase,
  hasValidLuhnCheckDigit,
  INTERIM_INTERVAL_MS,
  luhnCheckDigit,
  runSimulation,
  type TrafficOptions,
} from '../src/simulator/index.js';

const ORGANISATIONS = [
  { id: 11, name: 'Acme Logistics' },
  { id: 12, name: 'Northwind Utilities' },
];

const BASE_OPTIONS: TrafficOptions = {
  seed: 'fleet-1',
  sims: 50,
  organisations: ORGANISATIONS,
  rate: 20,
  startTime: '2026-12-04T19:00:00Z',
  idBase: 5_000_000,
};

const TIMESTAMP_PATTERN = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$/;

function generate(options: Partial<TrafficOptions> = {}, count = 3000) {
  return createTraffic({ ...BASE_OPTIONS, ...options }).next(count);
}

function isOperationalMccMnc(mcc: string, mnc: string): boolean {
  return mccMncList.all().some((entry) => entry.mcc === mcc && entry.mnc === mnc && entry.status === 'Operational');
}

function hasAtMostDecimals(value: number, decimals: number): boolean {
  return Number(value.toFixed(decimals)) === value;
}

function allRecords(batch: { usage: UsageRecord[]; events: EventRecord[] }): (UsageRecord | EventRecord)[] {
  return [...batch.usage, ...batch.events];
}

describe('Luhn check digit', () => {
  test('matches known numbers', () => {
    assert.equal(luhnCheckDigit('7992739871'), '3');
    assert.equal(luhnCheckDigit('49015420323751'), '8');
    assert.equal(hasValidLuhnCheckDigit('490154203237518'), true);
    assert.equal(hasValidLuhnCheckDigit('490154203237519'), false);
  });
});

describe('SIM identities', () => {
  const batch = generate();
  const sims = new Map(allRecords(batch).map((record) => [record.sim!.id, record]));

  test('ICCIDs have 19 digits and a valid Luhn digit', () => {
    assert.ok(sims.size > 10, `expected records of many SIMs, got ${sims.size}`);
    for (const record of sims.values()) {
      const { iccid } = record.sim!;
      assert.match(iccid, /^89\d{17}$/);
      assert.ok(hasValidLuhnCheckDigit(iccid), `ICCID ${iccid} has a wrong check digit`);
    }
  });

  test('IMSIs start with a listed operator', () => {
    for (const event of batch.events) {
      const imsi = event.imsi!.imsi;
      assert.match(imsi, /^\d{15}$/);
      const mcc = imsi.slice(0, 3);
      const listed = isOperationalMccMnc(mcc, imsi.slice(3, 5)) || isOperationalMccMnc(mcc, imsi.slice(3, 6));
      assert.ok(listed, `IMSI ${imsi} does not start with an operational MCC/MNC of mcc-mnc-list`);
    }
  });

  test('ICCID and MSISDN share a calling code', () => {
    for (const record of sims.values()) {
      const { iccid, msisdn } = record.sim!;
      assert.match(msisdn!, /^[1-9]\d{12}$/);
      const callingCodeLength = [1, 2, 3].find((length) => iccid.slice(2, 2 + length) === msisdn!.slice(0, length));
      assert.notEqual(callingCodeLength, undefined, `ICCID ${iccid} and MSISDN ${msisdn} start with different codes`);
    }
  });

  test('IMEIs and IP addresses are well formed', () => {
    for (const record of sims.values()) {
      const { imei, ip_address: ipAddress } = record.endpoint!;
      assert.match(imei!, /^\d{15}$/);
      assert.ok(hasValidLuhnCheckDigit(imei!), `IMEI ${imei} has a wrong check digit`);

      const octets = ipAddress!.split('.').map(Number);
      assert.equal(octets.length, 4);
      assert.equal(octets[0], 100);
      assert.ok(octets[1] >= 64, `${ipAddress} is below 100.64.0.0/10`);
      assert.ok(octets[1] <= 127, `${ipAddress} is above 100.64.0.0/10`);
    }
  });

  test('identities are unique per SIM', () => {
    const identities = [...sims.values()];
    for (const field of ['iccid', 'msisdn'] as const) {
      const values = new Set(identities.map((record) => record.sim![field]));
      assert.equal(values.size, identities.length, `duplicate ${field}`);
    }
    assert.equal(new Set(identities.map((record) => record.endpoint!.imei)).size, identities.length, 'duplicate IMEI');
  });

  test('SIMs belong to the given organisations', () => {
    const organisationIds = new Set(allRecords(batch).map((record) => record.organisation.id));
    assert.deepEqual([...organisationIds].sort(), [11, 12]);
  });
});

describe('generated records', () => {
  test('same seed repeats the records', () => {
    assert.deepEqual(generate(), generate());
  });

  test('different seeds give different records', () => {
    const first = generate();
    const second = generate({ seed: 'fleet-2' });
    assert.notDeepEqual(first.usage.map((record) => record.sim!.iccid), second.usage.map((record) => record.sim!.iccid));
  });

  test('next returns exactly the count asked for', () => {
    const traffic = createTraffic(BASE_OPTIONS);
    for (const count of [0, 1, 7, 500]) {
      const batch = traffic.next(count);
      assert.equal(batch.usage.length + batch.events.length, count);
    }
  });

  test('ids are unique and count up from idBase', () => {
    const traffic = createTraffic(BASE_OPTIONS);
    const batches = [traffic.next(1000), traffic.next(1000), traffic.next(1000)];

    for (const kind of ['usage', 'events'] as const) {
      const ids = batches.flatMap((batch) => batch[kind].map((record) => record.id));
      assert.equal(new Set(ids).size, ids.length, `duplicate ${kind} ids`);
      assert.equal(Math.min(...ids), 5_000_001);
      assert.equal(Math.max(...ids), 5_000_000 + ids.length);
    }
  });

  test('default idBase is the time in microseconds', () => {
    const before = Date.now() * 1000;
    const idBase = defaultIdBase();
    assert.ok(idBase >= before, `idBase ${idBase} is earlier than ${before}`);
    assert.ok(idBase <= Date.now() * 1000, `idBase ${idBase} is in the future`);
    assert.ok(Number.isSafeInteger(idBase));
  });

  test('timestamps are UTC seconds ending in Z', () => {
    const batch = generate();
    for (const event of batch.events) assert.match(event.timestamp, TIMESTAMP_PATTERN);
    for (const usage of batch.usage) {
      assert.match(usage.start_timestamp, TIMESTAMP_PATTERN);
      assert.match(usage.end_timestamp, TIMESTAMP_PATTERN);
    }
  });

  test('volumes and costs keep their decimals', () => {
    for (const usage of generate().usage) {
      for (const volume of [usage.volume.total, usage.volume.rx, usage.volume.tx]) {
        assert.ok(hasAtMostDecimals(volume, 6), `volume ${volume} has more than 6 decimals`);
      }
      assert.ok(hasAtMostDecimals(usage.cost, 10), `cost ${usage.cost} has more than 10 decimals`);
      assert.ok(usage.cost > 0);
      assert.equal(usage.currency?.code, 'EUR');
    }
  });

  test('operators of usage records are listed', () => {
    for (const usage of generate().usage) {
      const { mnc, country } = usage.operator!;
      assert.ok(isOperationalMccMnc(country.mcc, mnc), `operator ${country.mcc}-${mnc} is not in mcc-mnc-list`);
    }
  });

  test('event details have the documented shape', () => {
    const batch = generate({ sims: 200, rate: 10 }, 20_000);
    const types = new Set(batch.events.map((event) => event.event_type.id));
    for (const expected of [1, 2, 3, 5, 8, 18, 19]) assert.ok(types.has(expected), `no event of type ${expected}`);

    for (const event of batch.events) {
      const detail = event.detail as Record<string, any> | null;
      const typeId = event.event_type.id;

      if (typeId === 1 || typeId === 2) {
        assert.deepEqual(Object.keys(detail!.operator).sort(), ['country', 'id', 'mnc', 'name']);
        assert.deepEqual(Object.keys(detail!.operator.country).sort(), ['id', 'iso_code', 'mcc', 'name']);
      }
      if (typeId >= 3 && typeId <= 5) {
        for (const key of ['apn', 'rat_type', 'mcc', 'mnc', 'lac', 'ci', 'ue_ip_address']) {
          assert.ok(key in detail!.pdp_context, `event type ${typeId} lacks pdp_context.${key}`);
        }
        assert.equal(detail!.pdp_context.ue_ip_address, event.endpoint!.ip_address);
      }
      if (typeId === 18 || typeId === 19) {
        assert.equal(typeof detail!.quota.volume, 'number');
        assert.equal(detail!.quota.threshold_percentage, 80);
        assert.equal(event.event_source.description, 'Policy Control');
      }
      if (typeId === 19) assert.equal(event.alert, true);
      if (typeId === 8) assert.notEqual(event.user, null);
    }
  });

  test('SMS records have traffic type 6', () => {
    const sms = generate({}, 10_000).usage.filter((usage) => usage.traffic_type.id === 6);
    assert.ok(sms.length > 0, 'no SMS record');
    for (const usage of sms) {
      assert.equal(usage.traffic_type.description, 'SMS');
      assert.equal(usage.volume.total, 1);
    }
  });

  test('simulated time follows the rate', () => {
    const traffic = createTraffic({ ...BASE_OPTIONS, sims: 500, rate: 50 });
    traffic.next(50 * 600);
    const elapsedSeconds = (traffic.simulatedTimeMs - Date.parse('2026-12-04T19:00:00Z')) / 1000;
    // 600 s of records at 50 per second; the model meets the rate on average, not exactly.
    assert.ok(elapsedSeconds > 450, `600 s of records took only ${elapsedSeconds} s of simulated time`);
    assert.ok(elapsedSeconds < 750, `600 s of records took ${elapsedSeconds} s of simulated time`);
  });
});

describe('data sessions', () => {
  test('usage every 45 s and at close', () => {
    // Few records per SIM make sessions minutes long, so they span several 45 s intervals.
    const batch = generate({ sims: 20, rate: 0.2 }, 4000);
    const seconds = (timestamp: string) => Date.parse(timestamp) / 1000;
    let sessionsChecked = 0;
    let longestSession = 0;

    const simIds = new Set(batch.events.map((event) => event.sim!.id));
    for (const simId of simIds) {
      const pdpEvents = batch.events.filter(
        (event) => event.sim!.id === simId && (event.event_type.id === 3 || event.event_type.id === 5),
      );
      const dataUsage = batch.usage.filter((usage) => usage.sim!.id === simId && usage.traffic_type.id === 5);

      // Sessions open when the run starts have no Create PDP Context event, and are skipped.
      const sessions = pdpEvents.flatMap((event, index) => {
        const previous = pdpEvents[index - 1];
        const isSession = event.event_type.id === 5 && previous?.event_type.id === 3;
        return isSession ? [{ created: previous, deleted: event }] : [];
      });

      for (const { created, deleted } of sessions) {
        const start = seconds(created.timestamp);
        const end = seconds(deleted.timestamp);
        const intervals = dataUsage.filter(
          (usage) => seconds(usage.start_timestamp) >= start && seconds(usage.end_timestamp) <= end,
        );
        const context = `SIM ${simId}, session ${created.timestamp} to ${deleted.timestamp}`;

        assert.ok(intervals.length >= 1, `${context}: no usage record`);
        assert.equal(intervals[0].start_timestamp, created.timestamp, `${context}: first interval`);
        assert.equal(intervals.at(-1)!.end_timestamp, deleted.timestamp, `${context}: closing record`);

        for (const [position, usage] of intervals.entries()) {
          const length = seconds(usage.end_timestamp) - seconds(usage.start_timestamp);
          assert.ok(length >= 0, `${context}: end before start`);
          if (position < intervals.length - 1) {
            assert.equal(length, INTERIM_INTERVAL_MS / 1000, `${context}: interim interval ${position}`);
            assert.equal(intervals[position + 1].start_timestamp, usage.end_timestamp, `${context}: gap after ${position}`);
          } else {
            assert.ok(length <= INTERIM_INTERVAL_MS / 1000, `${context}: closing interval of ${length} s`);
          }
        }

        sessionsChecked += 1;
        longestSession = Math.max(longestSession, intervals.length);
      }
    }

    assert.ok(sessionsChecked >= 20, `only ${sessionsChecked} closed sessions`);
    assert.ok(longestSession >= 3, `no session spans 3 intervals; the longest has ${longestSession}`);
  });
});

const validatorPath = new URL('../src/records/validate.ts', import.meta.url);

describe('record validation', () => {
  test(
    'records pass validateRecords',
    { skip: existsSync(validatorPath) ? false : 'src/records/validate.ts does not exist yet' },
    async () => {
      const { validateRecords } = await import('../src/records/validate.js');
      const batch = generate({ sims: 200, rate: 10 }, 20_000);

      assert.deepEqual(validateRecords('usage', batch.usage), []);
      assert.deepEqual(validateRecords('event', batch.events), []);
    },
  );
});

interface ReceivedRequest {
  path: string;
  authorization: string | undefined;
  contentType: string | undefined;
  records: { id: number }[];
}

/** Starts an ingest receiver on 127.0.0.1 that stores each request and responds with what `respond` returns. */
async function startReceiver(respond: (request: ReceivedRequest) => { status: number; body: unknown }) {
  const requests: ReceivedRequest[] = [];
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const request: ReceivedRequest = {
        path: req.url ?? '',
        authorization: req.headers.authorization,
        contentType: req.headers['content-type'],
        records: JSON.parse(Buffer.concat(chunks).toString('utf8')),
      };
      requests.push(request);

      const { status, body } = respond(request);
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(JSON.stringify(body));
    });
  });

  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  const close = () => new Promise<void>((resolve) => server.close(() => resolve()));
  return { baseUrl: `http://127.0.0.1:${port}`, requests, close };
}

describe('runSimulation', () => {
  let receiver: Awaited<ReturnType<typeof startReceiver>>;

  before(async () => {
    receiver = await startReceiver((request) => ({
      status: 200,
      body: { accepted: request.records.length, duplicates: 0 },
    }));
  });

  after(async () => {
    await receiver.close();
  });

  test('posts rate times duration records', async () => {
    const summaries: number[] = [];
    const result = await runSimulation({
      baseUrl: receiver.baseUrl,
      adminToken: 'admin-secret',
      organisations: ORGANISATIONS,
      sims: 100,
      rate: 200,
      durationSeconds: 2,
      seed: 'run-1',
      onBatch: (summary) => summaries.push(summary.records),
    });

    const usageRequests = receiver.requests.filter((request) => request.path === '/api/v1/ingest/usage');
    const eventRequests = receiver.requests.filter((request) => request.path === '/api/v1/ingest/events');
    const receivedUsage = usageRequests.flatMap((request) => request.records.map((record) => record.id));
    const receivedEvents = eventRequests.flatMap((request) => request.records.map((record) => record.id));

    assert.equal(receivedUsage.length + receivedEvents.length, 400);
    assert.equal(usageRequests.length + eventRequests.length, receiver.requests.length, 'request to another path');
    assert.equal(result.usage, receivedUsage.length);
    assert.equal(result.events, receivedEvents.length);
    assert.equal(result.duplicates, 0);
    assert.equal(result.requests, receiver.requests.length);
    assert.deepEqual(result.ids.usage, receivedUsage);
    assert.deepEqual(result.ids.events, receivedEvents);
    assert.equal(new Set(receivedUsage).size, receivedUsage.length, 'a usage record was posted twice');
    assert.equal(summaries.reduce((sum, records) => sum + records, 0), 400);

    for (const request of receiver.requests) {
      assert.equal(request.authorization, 'Bearer admin-secret');
      assert.equal(request.contentType, 'application/json');
      assert.ok(request.records.length >= 1, 'empty request');
      assert.ok(request.records.length <= 1000, `request of ${request.records.length} records`);
    }
  });

  test('stops early when aborted', async () => {
    const controller = new AbortController();
    const result = await runSimulation({
      baseUrl: receiver.baseUrl,
      adminToken: 'admin-secret',
      organisations: ORGANISATIONS,
      sims: 10,
      rate: 100,
      durationSeconds: 30,
      seed: 'run-2',
      signal: controller.signal,
      onBatch: () => controller.abort(),
    });

    // The batch in progress (one usage and one event request) completes, and no further batch starts.
    assert.ok(result.requests <= 2, `${result.requests} requests after the abort`);
    assert.ok(result.usage + result.events < 3000, `all ${result.usage + result.events} records were posted`);
  });
});

describe('runSimulation rejection', () => {
  test('names the status and message', async () => {
    const receiver = await startReceiver(() => ({
      status: 400,
      body: {
        error_code: 1001,
        error_token: 'invalid_records',
        message: 'Invalid records',
        errors: [{ index: 0, field: 'organisation.id', message: 'unknown organisation' }],
      },
    }));

    try {
      await assert.rejects(
        runSimulation({
          baseUrl: receiver.baseUrl,
          adminToken: 'admin-secret',
          organisations: ORGANISATIONS,
          sims: 5,
          rate: 50,
          durationSeconds: 1,
          seed: 'run-3',
        }),
        (error: Error) => {
          assert.match(error.message, /HTTP 400/);
          assert.match(error.message, /Invalid records/);
          assert.match(error.message, /organisation\.id: unknown organisation/);
          assert.doesNotMatch(error.message, /admin-secret/);
          return true;
        },
      );
    } finally {
      await receiver.close();
    }
  });
});
