// The "On the wire" log every page writes to: one row per call with its protocol, status, bytes,
// messages and the x-server-id of the replica that answered. The System page counts replicas
// from the same records.
const kRows = 12;      // rows shown
const kRecords = 200;  // calls kept for the replica counts

const records = [];
const listeners = [];

// `call` describes the exchange; returns an object whose update() changes the row as a stream
// goes on (more bytes and messages, a final status).
export function record(call) {
  const entry = { protocol: '', status: '…', bytes: 0, messages: 0, serverId: '', ...call };
  records.unshift(entry);
  records.length = Math.min(records.length, kRecords);
  const row = document.createElement('tr');
  const tbody = document.querySelector('#wire tbody');
  tbody.prepend(row);
  while (tbody.children.length > kRows) tbody.lastElementChild.remove();
  const render = () => {
    row.dataset.call = entry.call;
    row.dataset.protocol = entry.protocol;
    row.dataset.status = String(entry.status);
    row.dataset.serverId = entry.serverId;
    row.dataset.bytes = String(entry.bytes);
    row.dataset.messages = String(entry.messages);
    row.replaceChildren(...[entry.call, entry.protocol, entry.status, entry.bytes,
      entry.messages, entry.serverId].map((value) => {
      const td = document.createElement('td');
      td.textContent = String(value);
      return td;
    }));
  };
  render();
  for (const listener of listeners) listener(records);
  return {
    update(changes) {
      Object.assign(entry, changes);
      render();
      if ('serverId' in changes) for (const listener of listeners) listener(records);
    },
    entry,
  };
}

export function onRecords(listener) {
  listeners.push(listener);
}

export function recentRecords() {
  return records;
}
