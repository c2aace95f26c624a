// Events and bookings (unary): the list and one event over the chosen wire, and a booking with
// an idempotency key and a deadline whose budget at each hop is drawn as a waterfall.
import { SwitchboardClient } from '../switchboard_client.js';
import { restCall } from '../rest.js';
import { record } from '../wire.js';
import { initFraudSwitch, turnOffFraudSwitch } from './fraud_switch.js';

const $ = (selector) => document.querySelector(selector);
let shell = null;
let nextPageToken = '';
let grpcWeb = null;

function client() {
  grpcWeb ??= new SwitchboardClient(location.origin, 'text');
  return grpcWeb;
}

// The gRPC-Web protobuf bytes of a message plus its 5-byte frame header.
function frameBytes(message) {
  return message.serializeBinary().length + 5;
}

async function grpcWebCall(name, invoke) {
  const row = record({ call: name, protocol: 'gRPC-Web text' });
  try {
    const { message, metadata } = await invoke();
    row.update({ status: 'OK', bytes: frameBytes(message), messages: 1,
      serverId: metadata['x-server-id'] ?? '' });
    return message;
  } catch (error) {
    row.update({ status: error.code ?? 'error' });
    throw error;
  }
}

function money(cents, currency) {
  return `${(Number(cents) / 100).toFixed(2)} ${currency}`;
}

function cell(text) {
  const td = document.createElement('td');
  td.textContent = text;
  return td;
}

function fillList(dl, fields) {
  dl.replaceChildren(...fields.flatMap(([name, value]) => {
    const dt = document.createElement('dt');
    dt.textContent = name;
    const dd = document.createElement('dd');
    dd.dataset.field = name;
    dd.textContent = String(value);
    return [dt, dd];
  }));
  dl.hidden = false;
}

// REST and gRPC-Web give the same event with field names in JSON and proto style.
function normalizeEvent(event) {
  return {
    id: event.id,
    name: event.name,
    venue: event.venue,
    seats: event.seatsAvailable ?? event.seats_available ?? 0,
    capacity: event.capacity ?? 0,
    price: event.price,
    currency: event.currency,
  };
}

async function listEvents(pageToken) {
  shell.clearError();
  const pageSize = Number($('#page-size').value) || 5;
  try {
    let events;
    if (shell.wire() === 'grpc-web') {
      const response = await grpcWebCall('TicketService.ListEvents',
        () => client().listEvents({ pageSize, pageToken }));
      events = response.events;
      nextPageToken = response.next_page_token;
    } else {
      const query = new URLSearchParams({ page_size: pageSize, page_token: pageToken });
      const { body } = await restCall('GET', `/events?${query}`);
      events = body.events ?? [];
      nextPageToken = body.nextPageToken ?? '';
    }
    $('#events tbody').replaceChildren(...events.map(normalizeEvent).map((event) => {
      const row = document.createElement('tr');
      row.dataset.id = event.id;
      row.tabIndex = 0;
      row.append(cell(event.id), cell(event.name), cell(event.venue),
        cell(`${event.seats}/${event.capacity}`), cell(money(event.price, event.currency)));
      const open = () => {
        $('#book-event').value = event.id;
        $('#event-id').value = event.id;
        showEvent(event.id);
      };
      row.addEventListener('click', open);
      row.addEventListener('keydown', (e) => { if (e.key === 'Enter') open(); });
      return row;
    }));
    $('#next-page').disabled = nextPageToken === '';
  } catch (error) {
    shell.showError('ListEvents', error);
  }
}

async function showEvent(id) {
  shell.clearError();
  $('#event').hidden = true;
  delete $('#event').dataset.id;
  try {
    const event = normalizeEvent(shell.wire() === 'grpc-web'
      ? await grpcWebCall('TicketService.GetEvent', () => client().getEvent(id))
      : (await restCall('GET', `/events/${encodeURIComponent(id)}`)).body);
    fillList($('#event'), [['id', event.id], ['name', event.name], ['venue', event.venue],
      ['seats available', `${event.seats} of ${event.capacity}`],
      ['price', money(event.price, event.currency)]]);
    $('#event').dataset.id = event.id;
  } catch (error) {
    shell.showError('GetEvent', error);
  }
}

// "gateway=5000.000ms;booking=4999.114ms;..." -> [{ hop, ms }] in call order.
export function parseBudget(header) {
  return (header ?? '').split(';').filter(Boolean).map((part) => {
    const [hop, value] = part.split('=');
    return { hop, ms: Number.parseFloat(value) };
  });
}

// One row per hop in call order: the budget it had on entry, and the time the call had
// already used by then (the first hop's budget minus this one's) as a bar on a shared scale.
function drawWaterfall(hops) {
  const figure = $('#waterfall');
  const first = hops[0]?.ms ?? 0;
  const used = hops.map(({ ms }) => first - ms);
  const scale = Math.max(...used, 0.001);
  figure.querySelector('ol').replaceChildren(...hops.map(({ hop, ms }, index) => {
    const item = document.createElement('li');
    item.dataset.hop = hop;
    item.dataset.ms = String(ms);
    const name = document.createElement('span');
    name.textContent = `${index + 1}. ${hop}`;
    const track = document.createElement('span');
    const bar = document.createElement('span');
    bar.className = 'bar';
    bar.style.display = 'block';
    bar.style.marginLeft = `${(used[index] / scale) * 90}%`;
    bar.style.width = `${Math.max(2, 10 - (used[index] / scale) * 8)}%`;
    track.append(bar);
    const spent = document.createElement('span');
    spent.className = 'used';
    spent.textContent = `+${used[index].toFixed(3)} ms`;
    const budget = document.createElement('span');
    budget.className = 'budget';
    budget.textContent = `${ms.toFixed(1)} ms`;
    item.append(name, track, spent, budget);
    return item;
  }));
  figure.hidden = hops.length === 0;
}

function newKey() {
  return `web-${crypto.randomUUID().slice(0, 13)}`;
}

async function book() {
  shell.clearError();
  const eventId = $('#book-event').value.trim();
  const deadline = Math.max(1, Math.round(Number($('#book-deadline').value)));
  const key = $('#book-key').value.trim() || newKey();
  $('#book-key').value = key;
  $('#booking').hidden = true;
  $('#waterfall').hidden = true;
  try {
    const { body, headers } = await restCall('POST',
      `/events/${encodeURIComponent(eventId)}/bookings`, {
        body: { userId: shell.user(), seats: Number($('#book-seats').value), idempotencyKey: key },
        headers: { 'grpc-timeout': `${deadline}m`, 'x-deadline-trace': '1' },
      });
    fillList($('#booking'), [['id', body.id], ['status', body.status],
      ['amount', money(body.amount ?? 0, body.currency ?? '')], ['seats', body.seats],
      ['idempotency key', key], ['failure', body.failureReason || '-']]);
    $('#booking').dataset.status = body.status;
    $('#booking').dataset.id = body.id;
    drawWaterfall(parseBudget(headers.get('x-deadline-budget')));
  } catch (error) {
    shell.showError('CreateBooking', error);
    // A deadline too short for the chain: the hops it reached before it was refused.
    drawWaterfall(parseBudget(error.headers?.get('x-deadline-budget')));
  }
}

export function init(appShell) {
  shell = appShell;
  $('#book-key').value = newKey();
  $('#list-form').addEventListener('submit', (e) => {
    e.preventDefault();
    listEvents('');
  });
  $('#next-page').addEventListener('click', () => listEvents(nextPageToken));
  $('#event-form').addEventListener('submit', (e) => {
    e.preventDefault();
    showEvent($('#event-id').value.trim());
  });
  $('#book-form').addEventListener('submit', (e) => {
    e.preventDefault();
    book();
  });
  initFraudSwitch(shell, $('#book-form'));
  // The menu hides this page after this listener runs (app.js listens later), so look after.
  window.addEventListener('hashchange', () => setTimeout(() => {
    if ($('#page-events').hidden) turnOffFraudSwitch();
  }));
}
