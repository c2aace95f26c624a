// A second, independent xDS client: @grpc/grpc-js-xds resolving xds:///ticket through a real
// `switchboard xds`, reaching real `switchboard serve ticket` replicas. run-grpc-js-xds.sh
// starts them and passes SWITCHBOARD_XDS_ADDR and SWITCHBOARD_TICKET_REPLICAS (comma-separated).
// The test registers the replicas itself over the registry API (grpc-js, protos loaded at run
// time) and keeps them alive with heartbeats.
import assert from 'node:assert/strict';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';

import grpc from '@grpc/grpc-js';
import protoLoader from '@grpc/proto-loader';

const kRepo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const kCalls = 3000;
const kTolerance = 0.05;  // each share within +-5 points of its expected share
const kDeadlineMs = 3000;
const kSettleMs = 20000;  // for the first resolution and for a weight change to reach us
const kFileTimeoutMs = 120000;
const kExitGraceMs = 1000;

const watchdog = setTimeout(() => {
  console.error(`grpc_js_xds: still running after ${kFileTimeoutMs} ms; giving up`);
  process.exit(1);
}, kFileTimeoutMs);
watchdog.unref();

const xdsAddress = process.env.SWITCHBOARD_XDS_ADDR;
const replicaAddresses = (process.env.SWITCHBOARD_TICKET_REPLICAS ?? '').split(',').filter(Boolean);
assert.ok(xdsAddress, 'SWITCHBOARD_XDS_ADDR is not set');
assert.equal(replicaAddresses.length, 3, 'SWITCHBOARD_TICKET_REPLICAS must name 3 replicas');

// Read when the first xds:/// channel is made.
process.env.GRPC_XDS_BOOTSTRAP_CONFIG = JSON.stringify({
  xds_servers: [{ server_uri: xdsAddress, channel_creds: [{ type: 'insecure' }],
    server_features: ['xds_v3'] }],
  node: { id: 'grpc-js-xds-test', locality: {} },
});
const xds = await import('@grpc/grpc-js-xds');
xds.register();

const definition = protoLoader.loadSync(
  ['switchboard/ticket/v1/ticket.proto', 'switchboard/xds/v1/registry.proto'],
  { includeDirs: [path.join(kRepo, 'proto'), path.join(kRepo, 'node_modules', 'google-proto-files')],
    keepCase: false, longs: Number, defaults: true });
const proto = grpc.loadPackageDefinition(definition);
const registry = new proto.switchboard.xds.v1.ReplicaRegistryService(
  xdsAddress, grpc.credentials.createInsecure());
const ticket = new proto.switchboard.ticket.v1.TicketService(
  'xds:///ticket', grpc.credentials.createInsecure());

const replicas = replicaAddresses.map((address, i) => ({
  address, serverId: `ticket-${i + 1}@${address}` }));
let heartbeats;

function unary(client, method, request) {
  return new Promise((resolve, reject) => {
    client[method](request, { deadline: Date.now() + kDeadlineMs },
      (error, response) => (error ? reject(error) : resolve(response)));
  });
}

// One GetEvent; resolves to the peer that answered ("127.0.0.1:PORT"), or '' on failure.
function callOnce() {
  return new Promise((resolve) => {
    const call = ticket.GetEvent({ id: 'evt-1' }, { deadline: Date.now() + kDeadlineMs },
      (error, event) => resolve(error || event.id !== 'evt-1' ? '' : call.getPeer()));
  });
}

async function split(calls) {
  const counts = new Map();
  for (let i = 0; i < calls; ++i) {
    const peer = await callOnce();
    counts.set(peer, (counts.get(peer) ?? 0) + 1);
  }
  return counts;
}

function matches(counts, weights, calls) {
  const total = weights.reduce((a, b) => a + b, 0);
  const shares = replicas.map((r) => (counts.get(r.address) ?? 0) / calls);
  const ok = !counts.has('') && shares.every((s, i) => Math.abs(s - weights[i] / total) <= kTolerance);
  return { ok, shares, failures: counts.get('') ?? 0 };
}

// Probes until the split matches (the push reached this client), then measures kCalls.
async function expectSplit(weights) {
  const settleBy = Date.now() + kSettleMs;
  let probe;
  do {
    probe = matches(await split(300), weights, 300);
    assert.ok(probe.ok || Date.now() < settleBy,
      `split never settled to ${weights}: ${JSON.stringify(probe)}`);
  } while (!probe.ok);
  const measured = matches(await split(kCalls), weights, kCalls);
  console.log(`grpc-js-xds split over ${kCalls} calls, weights ${weights}: ` +
    `${measured.shares.map((s) => s.toFixed(3)).join(' ')} failures=${measured.failures}`);
  assert.ok(measured.ok, JSON.stringify(measured));
}

before(async () => {
  let intervalMs = 1000;
  for (const r of replicas) {
    const response = await unary(registry, 'Register',
      { service: 'ticket', address: r.address, serverId: r.serverId });
    intervalMs = Number(response.heartbeatIntervalMs);
  }
  heartbeats = setInterval(() => {
    for (const r of replicas) {
      registry.Heartbeat({ serverId: r.serverId, load: {} }, { deadline: Date.now() + kDeadlineMs },
        () => {});
    }
  }, intervalMs);
});

after(async () => {
  clearInterval(heartbeats);
  for (const r of replicas) {
    await unary(registry, 'Deregister', { serverId: r.serverId }).catch(() => {});
  }
  ticket.close();
  registry.close();
  // grpc-js-xds keeps its connection to the control plane (and pooled subchannels) for the
  // life of the process and offers no way to close them: once the runner has had time to
  // report, leave with the exit code it set.
  setTimeout(() => process.exit(), kExitGraceMs).unref();
});

test('xds:///ticket reaches all three replicas evenly', async () => {
  await expectSplit([1, 1, 1]);
});

test('weights set through the control plane move the split', async () => {
  await unary(registry, 'SetWeight', { serverId: replicas[1].serverId, weight: 2 });
  await unary(registry, 'SetWeight', { serverId: replicas[2].serverId, weight: 3 });
  await expectSplit([1, 2, 3]);
});

test('bad registry input is refused with a clear message', async () => {
  await assert.rejects(unary(registry, 'Register', { service: '', address: '127.0.0.1:1', serverId: 'x' }),
    (e) => e.code === grpc.status.INVALID_ARGUMENT && /service is empty/.test(e.details));
  await assert.rejects(unary(registry, 'SetWeight', { serverId: 'ghost', weight: 1 }),
    (e) => e.code === grpc.status.NOT_FOUND && /"ghost" is not registered/.test(e.details));
});
