'use strict';
// Telegram Bot API emulator for the gateway's end-to-end tests (tests/gateway/test_e2e_emulator.py).
//
// The base is the npm package telegram-test-api (bot side: getMe, getUpdates, sendMessage,
// answerCallbackQuery, editMessageReplyMarkup, setWebhook, deleteWebhook; user side:
// POST /sendMessage, /sendCallback, /getUpdates). In front of it this file adds what the gateway
// needs and the package lacks or gets wrong for python-telegram-bot:
//   - getUpdates as a real long poll (the package answers at once), with `chat_instance` on
//     callback queries (python-telegram-bot requires it);
//   - getMe with `is_bot`, and `date` in seconds (the package uses milliseconds);
//   - sendChatAction, setMyCommands, sendDocument (multipart), getFile and the file download URL;
//   - webhook delivery with the X-Telegram-Bot-Api-Secret-Token header set by setWebhook;
//   - for the tests: POST /test/files (a file "the user sent"), GET /test/files/:id,
//     GET /test/calls (every bot call with its parameters), POST /test/flood (answer the next
//     calls of a method with 429 retry_after).
// Start: `node server.js` (PORT, default 0 = any free one); prints {"port": N} once listening.

const http = require('http');
const crypto = require('crypto');
const express = require('express');
const Busboy = require('busboy');
const TelegramServer = require('telegram-test-api');

const telegram = new TelegramServer({ port: 1, host: '127.0.0.1', storeTimeout: 3600 });
const files = new Map(); // file_id -> {data, name, mime}
const calls = []; // [{method, params}]
const floods = new Map(); // method -> {times, retry_after}
let webhookSecretDeliveries = 0;

function storeFile(data, name, mime) {
  const fileId = `file-${crypto.randomBytes(8).toString('hex')}`;
  files.set(fileId, { data, name, mime });
  return fileId;
}

// Milliseconds → seconds for every `date` in a result (the package stamps Date.now()).
function fixDates(value) {
  if (Array.isArray(value)) return value.map(fixDates);
  if (value && typeof value === 'object') {
    const out = {};
    for (const [key, item] of Object.entries(value)) {
      out[key] = key === 'date' && typeof item === 'number' && item > 1e11
        ? Math.floor(item / 1000) : fixDates(item);
    }
    return out;
  }
  return value;
}

function fixUpdate(update) {
  if (update.callback_query && !update.callback_query.chat_instance) {
    update.callback_query.chat_instance = String(update.callback_query.from?.id ?? 'chat');
  }
  return fixDates(update);
}

// Webhook delivery with the secret header (the package posts without it).
telegram.addUserUpdate = async function addUserUpdate(update) {
  const webhook = this.webhooks[update.botToken];
  if (webhook) {
    const headers = { 'Content-Type': 'application/json' };
    if (webhook.secret_token) {
      headers['X-Telegram-Bot-Api-Secret-Token'] = webhook.secret_token;
      webhookSecretDeliveries += 1;
    }
    const response = await fetch(webhook.url, {
      method: 'POST',
      headers,
      body: JSON.stringify(fixUpdate(TelegramServer.formatUpdate(update))),
    });
    if (response.status > 204) throw new Error(`webhook answered ${response.status}`);
  } else {
    this.storage.userMessages.push(update);
  }
  this.updateId++;
};

const app = express();

// --- test controls ---------------------------------------------------------------------------
app.post('/test/files', express.raw({ type: () => true, limit: '60mb' }), (req, res) => {
  const fileId = storeFile(Buffer.from(req.body || []), req.query.name || 'file', req.query.mime || '');
  res.json({ ok: true, result: { file_id: fileId, file_unique_id: `u-${fileId}`, file_size: (req.body || []).length } });
});
app.get('/test/files/:fileId', (req, res) => {
  const file = files.get(req.params.fileId);
  if (!file) return res.status(404).end();
  res.type(file.mime || 'application/octet-stream').send(file.data);
});
app.get('/test/calls', (_req, res) => res.json({ ok: true, result: calls, webhookSecretDeliveries }));
app.post('/test/flood', express.json(), (req, res) => {
  floods.set(req.body.method, { times: req.body.times || 1, retry_after: req.body.retry_after || 1 });
  res.json({ ok: true, result: true });
});

// --- the bot's side --------------------------------------------------------------------------
function parseMultipart(req) {
  return new Promise((resolve, reject) => {
    const fields = {};
    const uploads = {};
    const busboy = Busboy({ headers: req.headers, limits: { fileSize: 60 * 1024 * 1024 } });
    busboy.on('field', (name, value) => { fields[name] = value; });
    busboy.on('file', (name, stream, info) => {
      const chunks = [];
      stream.on('data', (chunk) => chunks.push(chunk));
      stream.on('end', () => {
        uploads[name] = { data: Buffer.concat(chunks), name: info.filename, mime: info.mimeType };
      });
    });
    busboy.on('close', () => resolve({ fields, uploads }));
    busboy.on('error', reject);
    req.pipe(busboy);
  });
}

app.use('/bot:token/:method', async (req, res, next) => {
  try {
    if ((req.headers['content-type'] || '').startsWith('multipart/form-data')) {
      const { fields, uploads } = await parseMultipart(req);
      req.body = fields;
      req.uploads = uploads;
      req._body = true; // tell express's parsers the body is read
    }
  } catch (error) {
    return next(error);
  }
  next();
});
app.use(express.json());
app.use(express.urlencoded({ extended: true }));
app.use('/bot:token/:method', (req, res, next) => {
  const { method } = req.params;
  const params = { ...(req.query || {}), ...(req.body || {}) };
  if (method !== 'getUpdates') {
    calls.push({ method, params: { ...params, _files: Object.keys(req.uploads || {}) } });
  }
  const flood = floods.get(method);
  if (flood && flood.times > 0) {
    flood.times -= 1;
    return res.status(429).json({
      ok: false,
      error_code: 429,
      description: `Too Many Requests: retry after ${flood.retry_after}`,
      parameters: { retry_after: flood.retry_after },
    });
  }
  const json = res.json.bind(res);
  res.json = (body) => json(fixDates(body));
  next();
});

app.all('/bot:token/getMe', (_req, res) => {
  res.json({ ok: true, result: { id: 666, is_bot: true, first_name: 'ASSIST Test', username: 'AssistTestBot' } });
});

app.all('/bot:token/getUpdates', (req, res) => {
  const { token } = req.params;
  const params = { ...(req.query || {}), ...(req.body || {}) };
  const timeout = Math.min(Number(params.timeout || 0), 10) * 1000;
  const answer = () => {
    const updates = telegram.getUpdates(token).map(fixUpdate);
    res.json({ ok: true, result: updates });
  };
  const pending = () => telegram.storage.userMessages.some((u) => u.botToken === token && !u.isRead);
  if (pending() || timeout <= 0) return answer();
  let done = false;
  const finish = () => {
    if (done) return;
    done = true;
    clearInterval(ticker);
    clearTimeout(timer);
    answer();
  };
  const ticker = setInterval(() => { if (pending()) finish(); }, 25);
  const timer = setTimeout(finish, timeout);
  res.on('close', () => { done = true; clearInterval(ticker); clearTimeout(timer); });
});

// The package answers `null` (python-telegram-bot wants a Message or true) and cannot remove
// a keyboard: without reply_markup the stored message loses its keyboard, as on Telegram.
app.all('/bot:token/editMessageReplyMarkup', (req, res) => {
  const { chat_id: chatId, message_id: messageId } = req.body;
  const stored = telegram.storage.botMessages.find((u) => String(u.messageId) === String(messageId)
    && String(u.message.chat_id) === String(chatId));
  if (!stored) return res.status(400).json({ ok: false, error_code: 400, description: 'Bad Request: message to edit not found' });
  const markup = req.body.reply_markup;
  stored.message = { ...stored.message, reply_markup: typeof markup === 'string' ? JSON.parse(markup) : markup };
  if (!markup) delete stored.message.reply_markup;
  res.json({ ok: true, result: true });
});

app.all('/bot:token/sendChatAction', (_req, res) => res.json({ ok: true, result: true }));
app.all('/bot:token/setMyCommands', (_req, res) => res.json({ ok: true, result: true }));

app.all('/bot:token/sendDocument', (req, res) => {
  const upload = req.uploads && req.uploads.document;
  let document;
  if (upload) {
    const fileId = storeFile(upload.data, upload.name, upload.mime);
    document = {
      file_id: fileId,
      file_unique_id: `u-${fileId}`,
      file_name: upload.name,
      mime_type: upload.mime,
      file_size: upload.data.length,
    };
  } else {
    const file = files.get(req.body.document);
    if (!file) return res.status(400).json({ ok: false, error_code: 400, description: 'Bad Request: wrong file identifier' });
    document = { file_id: req.body.document, file_unique_id: `u-${req.body.document}`, file_name: file.name, mime_type: file.mime, file_size: file.data.length };
  }
  const result = telegram.addBotMessage({ chat_id: req.body.chat_id, caption: req.body.caption, document }, req.params.token);
  res.json({ ok: true, result: { ...result, document } });
});

app.all('/bot:token/getFile', (req, res) => {
  const fileId = (req.body && req.body.file_id) || req.query.file_id;
  const file = files.get(fileId);
  if (!file) return res.status(400).json({ ok: false, error_code: 400, description: 'Bad Request: invalid file_id' });
  res.json({ ok: true, result: { file_id: fileId, file_unique_id: `u-${fileId}`, file_size: file.data.length, file_path: `documents/${fileId}` } });
});

app.get('/file/bot:token/documents/:fileId', (req, res) => {
  const file = files.get(req.params.fileId);
  if (!file) return res.status(404).end();
  res.type('application/octet-stream').send(file.data);
});

// Everything else: telegram-test-api itself.
app.use(telegram.webServer);

const server = http.createServer(app);
server.listen(Number(process.env.PORT || 0), '127.0.0.1', () => {
  process.stdout.write(`${JSON.stringify({ port: server.address().port })}\n`);
});
const stop = () => {
  server.close(() => process.exit(0));
  server.closeAllConnections(); // long polls would hold the close for up to 10 s
};
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
