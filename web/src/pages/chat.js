// Chat (bidirectional) over a WebSocket: GET /chat/{room} upgrades, each frame one JSON
// ChatMessage each way; the room's history arrives on join, members joining and leaving show
// as they happen.
import { record } from '../wire.js';

const $ = (selector) => document.querySelector(selector);
const kMaxShown = 200;

let shell = null;
let socket = null;
let wire = null;
let counts = { bytes: 0, messages: 0 };

function setState(state) {
  $('#chat-state').dataset.state = state;
  $('#chat-state').textContent = state;
  const open = state === 'open';
  $('#join').disabled = open;
  $('#leave').disabled = !open;
  $('#say').disabled = !open;
  $('#send').disabled = !open;
}

function show(message) {
  const item = document.createElement('li');
  item.dataset.kind = message.kind;
  item.dataset.user = message.userId;
  item.dataset.sequence = String(message.sequence ?? '');
  const who = message.userId || '?';
  item.textContent = message.kind === 'KIND_JOIN' ? `${who} joined`
    : message.kind === 'KIND_LEAVE' ? `${who} left` : `${who}: ${message.text}`;
  $('#messages').append(item);
  while ($('#messages').children.length > kMaxShown) $('#messages').firstElementChild.remove();
  item.scrollIntoView({ block: 'nearest' });
}

function send(message) {
  const frame = JSON.stringify(message);
  socket.send(frame);
  counts.bytes += frame.length;
  counts.messages += 1;
  wire.update(counts);
}

function join() {
  leave();
  shell.clearError();
  const room = $('#room').value.trim();
  const user = shell.user();
  $('#messages').replaceChildren();
  counts = { bytes: 0, messages: 0 };
  wire = record({ call: `WS /chat/${room}`, protocol: 'WebSocket JSON' });
  socket = new WebSocket(`${location.origin.replace(/^http/, 'ws')}/chat/${encodeURIComponent(room)}`);
  const current = socket;
  setState('connecting');
  current.onopen = () => {
    setState('open');
    send({ userId: user, kind: 'KIND_JOIN' });
    $('#say').focus();
  };
  current.onmessage = (e) => {
    counts.bytes += e.data.length;
    counts.messages += 1;
    wire.update(counts);
    show(JSON.parse(e.data));
  };
  current.onclose = (e) => {
    wire.update({ status: e.code });
    if (socket !== current) return;
    socket = null;
    setState(e.code === 1000 ? 'closed' : 'error');
    if (e.code !== 1000 && e.code !== 1005) {
      shell.showError('Chat', { code: e.code >= 4000 ? e.code - 4000 : 14, message: e.reason });
    }
  };
}

function leave() {
  if (socket === null) return;
  const closing = socket;
  socket = null;
  if (closing.readyState === WebSocket.OPEN) closing.send('');  // ends our side of the call
  closing.close(1000);
  setState('closed');
}

export function init(appShell) {
  shell = appShell;
  $('#join-form').addEventListener('submit', (e) => {
    e.preventDefault();
    join();
  });
  $('#leave').addEventListener('click', leave);
  $('#say-form').addEventListener('submit', (e) => {
    e.preventDefault();
    const text = $('#say').value.trim();
    if (text === '' || socket === null) return;
    send({ userId: shell.user(), text });
    $('#say').value = '';
  });
}
