// System: a few live numbers from the gateway's /metrics, and how the last calls the app made
// spread over the replicas that answered them (x-server-id).
import { onRecords, recentRecords } from '../wire.js';

const $ = (selector) => document.querySelector(selector);
const kRefreshMs = 2000;

let timer = null;

const kNumbers = [
  ['calls finished', 'switchboard_gateway_calls_total'],
  ['calls open now', 'switchboard_gateway_open_calls'],
  ['backend requests', 'switchboard_gateway_upstream_requests_total'],
  ['backend failures', 'switchboard_gateway_upstream_failures_total'],
  ['backend requests in flight', 'switchboard_gateway_upstream_in_flight'],
];

// Prometheus text -> [{ name, labels: {k: v}, value }].
function parseMetrics(text) {
  const samples = [];
  for (const line of text.split('\n')) {
    const match = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{([^}]*)\})?\s+(\S+)/.exec(line);
    if (!match) continue;
    const labels = Object.fromEntries([...(match[2] ?? '').matchAll(/(\w+)="([^"]*)"/g)]
      .map((m) => [m[1], m[2]]));
    samples.push({ name: match[1], labels, value: Number(match[3]) });
  }
  return samples;
}

function showMetrics(samples) {
  const sum = (name) => samples.filter((s) => s.name === name).reduce((a, s) => a + s.value, 0);
  $('#metrics').replaceChildren(...kNumbers.flatMap(([label, name]) => {
    const dt = document.createElement('dt');
    dt.textContent = label;
    const dd = document.createElement('dd');
    dd.dataset.metric = name;
    dd.textContent = String(sum(name));
    return [dt, dd];
  }));
  const healthy = new Map(samples.filter((s) => s.name === 'switchboard_gateway_upstream_healthy')
    .map((s) => [`${s.labels.service} ${s.labels.backend}`, s.value]));
  $('#backends tbody').replaceChildren(...samples
    .filter((s) => s.name === 'switchboard_gateway_upstream_requests_total')
    .map((s) => {
      const row = document.createElement('tr');
      row.dataset.backend = s.labels.backend;
      const service = (s.labels.service ?? '').replace(/^switchboard\.(\w+)\.v1\./, '');
      const up = healthy.get(`${s.labels.service} ${s.labels.backend}`);
      for (const text of [service, s.labels.backend, up === 1 ? 'yes' : 'no', String(s.value)]) {
        const td = document.createElement('td');
        td.textContent = text;
        row.append(td);
      }
      return row;
    }));
}

async function refresh() {
  try {
    const response = await fetch('/metrics');
    showMetrics(parseMetrics(await response.text()));
  } catch {
    // The next refresh tries again; the numbers shown stay until then.
  }
}

function showReplicas(records) {
  const counts = new Map();
  for (const entry of records) {
    if (entry.serverId) counts.set(entry.serverId, (counts.get(entry.serverId) ?? 0) + 1);
  }
  const total = [...counts.values()].reduce((a, b) => a + b, 0) || 1;
  $('#replicas tbody').replaceChildren(...[...counts.entries()].sort().map(([id, n]) => {
    const row = document.createElement('tr');
    row.dataset.replica = id;
    for (const text of [id, String(n), `${Math.round((n / total) * 100)}%`]) {
      const td = document.createElement('td');
      td.textContent = text;
      row.append(td);
    }
    return row;
  }));
}

export function show() {
  refresh();
  showReplicas(recentRecords());
  clearInterval(timer);
  timer = setInterval(() => {
    if (document.body.dataset.page !== 'system') {
      clearInterval(timer);
      return;
    }
    refresh();
  }, kRefreshMs);
}

export function init() {
  onRecords(showReplicas);
}
