// Upload (client streaming): a file sent to UploadFile, either as a raw PUT body that the
// browser streams from disk (progress from the upload's own events) or as FileChunk messages
// on a WebSocket, each read from the file as the previous one has gone. The service answers
// with the size and SHA-256 it stored.
import { record } from '../wire.js';

const $ = (selector) => document.querySelector(selector);
const kChunkBytes = 256 * 1024;
// Bytes a WebSocket may hold unsent before the next chunk is read: the tab never holds more.
const kMaxBufferedBytes = 1024 * 1024;
const kBufferPollMs = 10;

let shell = null;

function progress(sent, total) {
  $('#upload-progress').max = total || 1;
  $('#upload-progress').value = sent;
  $('#upload-progress').dataset.sent = String(sent);
}

function showResult(result, via) {
  const dl = $('#upload-result');
  const fields = [['file id', result.fileId], ['size', `${result.totalBytes} bytes`],
    ['sha-256', result.sha256], ['over', via]];
  dl.replaceChildren(...fields.flatMap(([name, value]) => {
    const dt = document.createElement('dt');
    dt.textContent = name;
    const dd = document.createElement('dd');
    dd.dataset.field = name;
    dd.textContent = String(value);
    return [dt, dd];
  }));
  dl.dataset.sha256 = result.sha256;
  dl.dataset.size = String(result.totalBytes);
  dl.hidden = false;
}

function uploadRest(file) {
  return new Promise((resolve, reject) => {
    const path = `/uploads?file_name=${encodeURIComponent(file.name)}`;
    const wire = record({ call: `PUT ${path}`, protocol: 'REST raw body' });
    const request = new XMLHttpRequest();
    request.open('PUT', path);
    request.setRequestHeader('content-type', 'application/octet-stream');
    request.upload.onprogress = (e) => progress(e.loaded, e.total);
    request.onload = () => {
      wire.update({ status: request.status, bytes: file.size, messages: 1,
        serverId: request.getResponseHeader('x-server-id') ?? '' });
      const body = JSON.parse(request.responseText || '{}');
      if (request.status === 200) resolve(body);
      else reject(Object.assign(new Error(body.message ?? `HTTP ${request.status}`), body));
    };
    request.onerror = () => reject(new Error('the upload failed (network)'));
    request.send(file);  // a File body: read from disk as it is sent
  });
}

function bytesToBase64(bytes) {
  let text = '';
  for (let i = 0; i < bytes.length; i += 0x8000) {
    text += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  }
  return btoa(text);
}

async function uploadWebSocket(file) {
  const url = `${location.origin.replace(/^http/, 'ws')}/uploads`;
  const wire = record({ call: 'WS /uploads', protocol: 'WebSocket JSON' });
  const socket = new WebSocket(url);
  const result = new Promise((resolve, reject) => {
    socket.onmessage = (e) => resolve(JSON.parse(e.data));
    socket.onclose = (e) => {
      wire.update({ status: e.code });
      if (e.code !== 1000) reject(new Error(`closed ${e.code}: ${e.reason}`));
    };
    socket.onerror = () => reject(new Error('the WebSocket failed'));
  });
  await new Promise((resolve, reject) => {
    socket.onopen = resolve;
    setTimeout(() => reject(new Error('the WebSocket did not open')), 10000);
  });
  let sent = 0;
  let bytes = 0;
  for (let chunk = 0; sent < file.size || chunk === 0; chunk += 1) {
    while (socket.bufferedAmount > kMaxBufferedBytes) {
      await new Promise((resolve) => setTimeout(resolve, kBufferPollMs));
    }
    const data = new Uint8Array(await file.slice(sent, sent + kChunkBytes).arrayBuffer());
    const frame = JSON.stringify({ data: bytesToBase64(data), chunkNumber: chunk + 1,
      fileName: chunk === 0 ? file.name : '' });
    socket.send(frame);
    sent += data.length;
    bytes += frame.length;
    wire.update({ bytes, messages: chunk + 1 });
    progress(sent, file.size);
    if (data.length === 0) break;
  }
  socket.send('');  // an empty frame ends the client's side; the answer follows
  const answer = await result;
  wire.update({ status: 'OK' });
  return answer;
}

async function upload() {
  shell.clearError();
  const file = $('#file').files[0];
  if (!file) return;
  $('#upload-result').hidden = true;
  progress(0, file.size);
  const via = $('#upload-via').value;
  $('#upload').disabled = true;
  try {
    const result = via === 'websocket' ? await uploadWebSocket(file) : await uploadRest(file);
    progress(file.size, file.size);
    showResult(result, via === 'websocket' ? 'WebSocket' : 'REST');
  } catch (error) {
    shell.showError('UploadFile', error);
  } finally {
    $('#upload').disabled = false;
  }
}

export function init(appShell) {
  shell = appShell;
  $('#upload-form').addEventListener('submit', (e) => {
    e.preventDefault();
    upload();
  });
}
