// The "Slow fraud check" switch on the Events page: sets the fraud service's delay (GET and PUT
// /fraud/delay) so a booking with a shorter deadline runs out of time at the fraud hop and the
// user sees the timeout, the compensation and the unchanged seat count. The delay is shared by
// everyone using the fraud process, so the page turns it off again when the user leaves.
import { restCall } from '../rest.js';

// Longer than a deadline a user picks to see the timeout (a second or so), short enough that a
// check started before the switch goes off ends soon after.
export const kSlowFraudDelayMs = 3000;
const kDelayPath = '/fraud/delay';

let shell = null;
let toggle = null;
let state = null;

function show(delayMs, serverId) {
  toggle.checked = delayMs > 0;
  state.dataset.delayMs = String(delayMs);
  state.dataset.serverId = serverId;
  state.textContent = `fraud delay ${delayMs} ms` + (serverId ? `, answered by ${serverId}` : '');
}

async function exchange(method, body) {
  const { body: setting, headers } = await restCall(method, kDelayPath, body && { body });
  // int64 comes as a string in proto3 JSON; an absent field is its default, 0.
  const delayMs = Number(setting.delayMs ?? 0);
  if (!Number.isSafeInteger(delayMs) || delayMs < 0) {
    throw new Error(`fraud delay: the gateway answered delayMs ${JSON.stringify(setting.delayMs)}`);
  }
  show(delayMs, headers.get('x-server-id') ?? '');
}

async function setSlow(slow) {
  toggle.disabled = true;
  try {
    await exchange('PUT', { delayMs: slow ? kSlowFraudDelayMs : 0 });
  } catch (error) {
    toggle.checked = !slow;
    shell.showError('SetDelay', error);
  } finally {
    toggle.disabled = false;
  }
}

// The delay back to 0 as the page goes away: keepalive lets the request outlive the page.
function turnOffOnUnload() {
  if (!toggle.checked) return;
  fetch(kDelayPath, {
    method: 'PUT',
    keepalive: true,
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ delayMs: 0 }),
  });
}

// Adds the switch before `before` (the booking form) and reads the delay now in force.
export function initFraudSwitch(appShell, before) {
  shell = appShell;
  const row = document.createElement('div');
  row.className = 'row';
  const label = document.createElement('label');
  toggle = document.createElement('input');
  toggle.type = 'checkbox';
  toggle.id = 'slow-fraud';
  toggle.setAttribute('role', 'switch');
  label.append(toggle, ` Slow fraud check (${kSlowFraudDelayMs} ms)`);
  state = document.createElement('span');
  state.id = 'slow-fraud-state';
  state.className = 'note';
  state.setAttribute('aria-live', 'polite');
  row.append(label, state);
  before.before(row);

  toggle.addEventListener('change', () => setSlow(toggle.checked));
  window.addEventListener('pagehide', turnOffOnUnload);
  exchange('GET').catch((error) => shell.showError('GetDelay', error));
}

// Called when the Events page is left for another page.
export function turnOffFraudSwitch() {
  if (toggle?.checked) setSlow(false);
}
