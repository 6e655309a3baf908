// ASSIST Assistant web chat: a deep-chat element wired to the conversation hub.
//
// The hub owns the conversation (session cookie, sender id, transcript); this file only renders
// what /api/v1/chat/messages answers and sends what the user types or taps. Nothing is loaded from
// a CDN: deep-chat is vendored by scripts/build_widget.py.

const config = JSON.parse(document.getElementById('assist-config').textContent);
const STRINGS = config.strings;
let language = config.language === 'ms' ? 'ms' : 'en';
const t = (key) => (STRINGS[language] && STRINGS[language][key]) || STRINGS.en[key] || key;

const statusEl = document.getElementById('chat-status');
const typingEl = document.getElementById('chat-typing');
const announcer = document.getElementById('chat-announcer');
const mount = document.getElementById('chat-mount');

// --- the hub's API ------------------------------------------------------------------------------

class HubError extends Error {
  constructor(status, message) {
    super(message);
    this.status = status;
  }
}

async function call(method, path, body) {
  const init = { method, credentials: 'same-origin', headers: { Accept: 'application/json' } };
  if (body !== undefined) {
    init.headers['Content-Type'] = 'application/json';
    init.body = JSON.stringify(body);
  }
  const response = await fetch(path, init);
  if (!response.ok) throw new HubError(response.status, `${method} ${path}: ${response.status}`);
  return response.json();
}

const hub = {
  session: (lang) => call('POST', '/api/v1/chat/session', lang ? { language: lang } : {}),
  history: (after) => call('GET', after ? `/api/v1/chat/history?after=${after}` : '/api/v1/chat/history'),
  async send(text) {
    try {
      return await call('POST', '/api/v1/chat/messages', { text });
    } catch (error) {
      if (error instanceof HubError && error.status === 401) {
        await hub.session(language); // cookie gone or expired: a new session, then once more
        return call('POST', '/api/v1/chat/messages', { text });
      }
      throw error;
    }
  },
};

// --- rendering hub messages as deep-chat messages -----------------------------------------------

const escapeHtml = (value) =>
  String(value).replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]);

const FONT = 'system-ui, -apple-system, "Segoe UI", Roboto, Arial, sans-serif';
const LINK_STYLE =
  'color:#0b3d91;font-weight:600;text-decoration:underline;text-underline-offset:2px;';

function extrasHtml(message) {
  const parts = [];
  if (message.buttons && message.buttons.length) {
    const buttons = message.buttons
      .map(
        (b) =>
          `<button type="button" class="deep-chat-button assist-choice" data-payload="${escapeHtml(b.payload)}">${escapeHtml(b.title)}</button>`,
      )
      .join('');
    parts.push(`<div class="assist-choices" role="group" aria-label="${escapeHtml(t('bot_said'))}">${buttons}</div>`);
  }
  if (message.link) {
    parts.push(
      `<p style="margin:4px 0"><a href="${escapeHtml(message.link.url)}" target="_blank" rel="noopener noreferrer" style="${LINK_STYLE}">${escapeHtml(message.link.title || message.link.url)}</a> <span style="font-size:0.85em">${escapeHtml(t('opens_new_tab'))}</span></p>`,
    );
  }
  if (message.document) {
    const name = message.document.filename || 'document';
    parts.push(
      `<p style="margin:4px 0"><a href="${escapeHtml(message.document.url)}" download="${escapeHtml(name)}" class="assist-download" style="${LINK_STYLE}">⬇ ${escapeHtml(t('download'))}: ${escapeHtml(name)}</a></p>`,
    );
  }
  return parts.join('');
}

// One hub message may become two deep-chat bubbles: its text (markdown, HTML off) and an HTML
// bubble holding buttons, a link or a download, which we build with every value escaped.
// Masked identifiers (900101-**-***8, A******78) must not turn into markdown emphasis.
const protectMasks = (text) => text.replace(/(?<=[\d-])\*+|\*+(?=\d)/g, (stars) => stars.replace(/\*/g, '\\*'));

// The user's own words are shown as typed: escaped HTML, never markdown.
const userHtml = (text) => `<span style="white-space:pre-wrap">${escapeHtml(text)}</span>`;

function toChatMessages(message, role = 'ai') {
  const out = [];
  if (message.text) out.push(role === 'user' ? { role, html: userHtml(message.text) } : { role, text: protectMasks(message.text) });
  const html = role === 'ai' ? extrasHtml(message) : '';
  if (html) out.push({ role, html });
  return out;
}

function announce(messages) {
  const said = messages
    .map((m) => [m.text, m.link && m.link.title, m.document && `${t('download')}: ${m.document.filename}`, ...(m.buttons || []).map((b) => b.title)].filter(Boolean).join('. '))
    .filter(Boolean)
    .join(' ');
  if (!said) return;
  const line = document.createElement('p');
  line.textContent = `${t('bot_said')} ${said}`;
  announcer.replaceChildren(line);
}

function showStatus(text) {
  if (text) {
    statusEl.textContent = text;
    statusEl.hidden = false;
  } else {
    statusEl.hidden = true;
    statusEl.textContent = '';
  }
}

let offline = false;
function setOffline(value) {
  if (value === offline) return;
  offline = value;
  showStatus(value ? t('offline_status') : '');
  if (value) reconnectSoon(3000); // probe until it is back
  if (!value) {
    const line = document.createElement('p');
    line.textContent = t('back_online');
    announcer.replaceChildren(line);
  }
}

// --- buttons: show the title, send the payload --------------------------------------------------

let chat;
let pending = null; // {title, payload} of the button just pressed

function disableOldChoices() {
  const root = chat && chat.shadowRoot;
  if (!root) return;
  root.querySelectorAll('.assist-choice, .assist-retry').forEach((button) => {
    button.disabled = true;
    button.setAttribute('aria-disabled', 'true');
    button.setAttribute('style', `${button.getAttribute('style') || ''};${DISABLED_STYLE}`);
  });
}

function sendAsUser(title, payload) {
  pending = payload ? { title, payload } : null;
  chat.submitUserMessage({ text: title });
}

function onChoice(event) {
  const button = event.target && event.target.closest ? event.target.closest('.assist-choice') : event.target;
  if (!button || button.disabled) return;
  sendAsUser(button.textContent, button.getAttribute('data-payload'));
  keepKeyboardFocus(event);
}

// The pressed button is disabled at once; a keyboard user (click with detail 0) goes on typing.
function keepKeyboardFocus(event) {
  if (event && event.detail === 0 && chat) chat.focusInput();
}

// "Try again" re-sends what the user typed or tapped (a tapped button's payload stays offered).
function retryButton(shown, sent) {
  const payload = sent !== shown ? ` data-payload="${escapeHtml(sent)}"` : '';
  return `<button type="button" class="deep-chat-button assist-retry" data-text="${escapeHtml(shown)}"${payload}>${escapeHtml(t('retry'))}</button>`;
}

function onRetry(event) {
  const button = event.target && event.target.closest ? event.target.closest('.assist-retry') : event.target;
  if (!button || button.disabled) return;
  button.disabled = true;
  sendAsUser(button.getAttribute('data-text'), button.getAttribute('data-payload'));
  keepKeyboardFocus(event);
}

const DISABLED_STYLE = 'opacity:0.55;cursor:not-allowed;background-color:#ffffff;color:#0b3d91';

const choiceStyles = {
  default: {
    backgroundColor: '#ffffff',
    color: '#0b3d91',
    border: '2px solid #0b3d91',
    borderRadius: '18px',
    padding: '6px 14px',
    margin: '4px 6px 4px 0',
    fontSize: '15px',
    fontWeight: '600',
    cursor: 'pointer',
    minHeight: '36px',
  },
  hover: { backgroundColor: '#0b3d91', color: '#ffffff' },
  click: { backgroundColor: '#072a66', color: '#ffffff' },
};

// --- the handler deep-chat calls for every user message -----------------------------------------

async function handler(body, signals) {
  const typed = (body && body.messages && body.messages[0] && body.messages[0].text) || '';
  let text = typed;
  if (pending && pending.title === typed) text = pending.payload;
  pending = null;
  disableOldChoices();
  try {
    const reply = await hub.send(text);
    setOffline(false);
    const messages = reply.messages || [];
    const out = messages.flatMap((m) => toChatMessages(m));
    if (reply.error === 'unavailable') out.push({ role: 'ai', html: retryButton(typed, text) });
    // An agent holds the chat: the hub answers nothing now (the agent's reply is pushed later),
    // so say where the message went instead of leaving an empty "…" bubble.
    if (!out.length && reply.handoff === 'agent') {
      messages.push({ text: t('with_agent') });
      out.push({ role: 'ai', text: t('with_agent') });
    }
    await signals.onResponse(out.length ? out : [{ text: '…' }]);
    announce(messages);
  } catch (error) {
    setOffline(true);
    const html = `<p style="margin:0 0 6px">${escapeHtml(t('offline'))}</p>${retryButton(typed, text)}`;
    await signals.onResponse({ html });
    announce([{ text: t('offline') }]);
  }
}

// --- building the element ---------------------------------------------------------------------

function historyToChat(items) {
  const out = [];
  let offered = new Map(); // payload → title of the buttons in the bot's latest reply
  for (const item of items) {
    if (item.role === 'user') {
      if (item.file) out.push(...toChatMessages({ text: `📎 ${item.file.filename}` }, 'user'));
      if (item.text) out.push(...toChatMessages({ text: offered.get(item.text) || item.text }, 'user'));
      offered = new Map();
    } else {
      (item.buttons || []).forEach((b) => offered.set(b.payload, b.title));
      out.push(...toChatMessages(item, 'ai'));
    }
  }
  // Only the last bot reply's buttons are live; older ones are shown but cannot be pressed.
  let lastUser = -1;
  out.forEach((m, i) => {
    if (m.role === 'user') lastUser = i;
  });
  return out.map((m, i) =>
    i < lastUser && m.html ? { ...m, html: m.html.replaceAll('<button type="button" class="deep-chat-button assist-choice"', `<button type="button" disabled aria-disabled="true" style="${DISABLED_STYLE}" class="deep-chat-button assist-choice"`) } : m,
  );
}

function applyLanguage() {
  document.documentElement.lang = language;
  document.querySelectorAll('[data-i18n]').forEach((el) => {
    el.textContent = t(el.getAttribute('data-i18n'));
  });
  document.querySelectorAll('.lang-switch button').forEach((button) => {
    button.setAttribute('aria-pressed', String(button.dataset.language === language));
  });
  if (chat) {
    chat.setPlaceholderText(t('placeholder'));
    labelControls();
  }
}

// deep-chat's input is a contenteditable div and its send button a div: give them names and roles.
function labelControls() {
  const root = chat && chat.shadowRoot;
  if (!root) return;
  const input = root.getElementById('text-input');
  if (input) {
    input.setAttribute('role', 'textbox');
    input.setAttribute('aria-multiline', 'true');
    input.setAttribute('aria-label', t('input_label'));
  }
  // The send button is deep-chat's only input button (no microphone, camera or attachment buttons
  // are configured); while it swaps state a second copy may briefly exist, so name every one.
  root.querySelectorAll('#input .input-button').forEach((button) => {
    button.setAttribute('role', 'button');
    button.setAttribute('aria-label', t('submit'));
    if (!button.hasAttribute('tabindex')) button.setAttribute('tabindex', '0');
    if (!button.dataset.assistKeys) {
      button.dataset.assistKeys = '1';
      button.addEventListener('keydown', (event) => {
        if (event.key === 'Enter' || event.key === ' ') {
          event.preventDefault();
          button.click();
        }
      });
    }
  });
  const messages = root.getElementById('messages');
  if (messages) {
    messages.setAttribute('role', 'region'); // replies are read out by #chat-announcer, not twice
    messages.setAttribute('aria-label', t('heading'));
  }
  watchControls(root);
}

// deep-chat rebuilds its input area when the send button changes state (submit, loading, disabled)
// and after some layout changes, and the new elements come without our names. onComponentRender
// does not fire for those, so a screen-reader user could meet an unnamed button: re-label whenever
// the input area's elements change. Only child lists are watched, so our own setAttribute calls
// do not wake the observer again.
let controlsObserver = null;
let observedRoot = null;
function watchControls(root) {
  if (controlsObserver && observedRoot === root) return;
  if (controlsObserver) controlsObserver.disconnect();
  observedRoot = root;
  controlsObserver = new MutationObserver(() => {
    const unnamed = root.querySelector('#input .input-button:not([aria-label]), #text-input:not([aria-label])');
    if (unnamed) labelControls();
  });
  controlsObserver.observe(root, { childList: true, subtree: true });
}

function createChat(history) {
  chat = document.createElement('deep-chat');
  chat.id = 'assist-chat';
  chat.setAttribute('aria-label', t('heading'));
  chat.style.width = '100%';
  chat.style.height = '100%';
  // deep-chat fetches the Inter font from Google unless the element names its own font family.
  chat.style.fontFamily = FONT;
  chat.connect = { handler };
  chat.history = history;
  if (!history.length) chat.introMessage = { text: t('intro') };
  chat.textInput = {
    placeholder: { text: t('placeholder') },
    characterLimit: 2000,
    styles: {
      container: { border: '2px solid #5a6472', borderRadius: '10px', backgroundColor: '#ffffff', boxShadow: 'none' },
      focus: { border: '2px solid #0b3d91', outline: '3px solid #ffbf47' },
      text: { color: '#1a1a1a', fontSize: '16px', padding: '10px 12px' },
    },
  };
  chat.chatStyle = {
    width: '100%',
    height: '100%',
    border: 'none',
    backgroundColor: '#ffffff',
    fontFamily: FONT,
    fontSize: '16px',
  };
  chat.messageStyles = {
    default: {
      shared: { bubble: { maxWidth: '85%', fontSize: '16px', lineHeight: '1.45' } },
      ai: { bubble: { backgroundColor: '#eef1f5', color: '#1a1a1a' } },
      user: { bubble: { backgroundColor: '#0b3d91', color: '#ffffff' } },
    },
    html: {
      shared: { bubble: { maxWidth: '85%', fontSize: '16px', lineHeight: '1.45' } },
      ai: { bubble: { backgroundColor: '#eef1f5', color: '#1a1a1a' } },
      user: { bubble: { backgroundColor: '#0b3d91', color: '#ffffff' } },
    },
  };
  const sendButton = (background, svgFilter) => ({
    container: {
      default: { backgroundColor: background, borderRadius: '8px' },
      hover: { backgroundColor: background === '#0b3d91' ? '#072a66' : background },
    },
    svg: { styles: { default: { filter: svgFilter } } },
  });
  chat.submitButtonStyles = {
    submit: sendButton('#0b3d91', 'brightness(0) invert(1)'),
    disabled: sendButton('#e3e7ed', 'brightness(0) opacity(0.6)'),
    loading: sendButton('#e3e7ed', 'none'),
    position: 'outside-end',
  };
  chat.htmlClassUtilities = {
    'assist-choice': { events: { click: onChoice }, styles: choiceStyles },
    'assist-retry': { events: { click: onRetry }, styles: choiceStyles },
  };
  chat.onComponentRender = () => {
    labelControls();
  };
  mount.replaceChildren(chat);
}

// --- messages the hub pushes: a deadline reminder, a payment result, a helpline agent's reply ------
// GET /api/v1/chat/events (server-sent events, the session cookie) streams the transcript's
// proactive messages after a cursor: the page's own ?after= (the newest id /history gave, then
// the newest pushed id shown) when it opens a stream, the browser's Last-Event-ID when
// EventSource reconnects by itself. So a message pushed while the stream was down arrives once
// it is back, and an id already shown (history and stream overlap after a reconnect) is dropped.
let lastId = null; // null: no cursor known yet (history not loaded), 0: an empty chat
const shownIds = new Set();

function advance(id) {
  if (typeof id === 'number' && (lastId === null || id > lastId)) lastId = id;
}

function remember(id) {
  if (typeof id !== 'number') return true;
  if (shownIds.has(id)) return false;
  shownIds.add(id);
  advance(id);
  return true;
}

// "Aisyah (PERKESO) is typing…" while a helpline agent types in the console (event: typing),
// or "sent to the agent" after a message while an agent holds the chat. One line, read politely.
let typingTimer = null;
function showTyping(text, seconds) {
  if (!typingEl) return;
  clearTimeout(typingTimer);
  if (!text) {
    typingEl.hidden = true;
    typingEl.textContent = '';
    return;
  }
  typingEl.textContent = text;
  typingEl.hidden = false;
  if (seconds) typingTimer = setTimeout(() => showTyping(''), seconds * 1000);
}

// The stream also brings the chat back automatically after an outage: while the chat is offline
// it is re-opened every few seconds, and an open stream means the backend answers again.
let pushed = null;
let reconnectTimer = null;

function reconnectSoon(delay) {
  if (pushed) pushed.close();
  pushed = null;
  clearTimeout(reconnectTimer);
  reconnectTimer = setTimeout(async () => {
    try {
      await hub.session(language); // keeps the session; a new cookie only if it was lost
    } catch (error) {
      setOffline(true);
      reconnectSoon(3000); // still down: try again
      return;
    }
    listenForPushed();
  }, delay);
}

function listenForPushed() {
  if (pushed || typeof EventSource === 'undefined') return;
  // No cursor yet (history could not be loaded): the server starts from "now".
  const after = lastId === null ? '' : `&after=${lastId}`;
  pushed = new EventSource(`/api/v1/chat/events?wait=55${after}`, { withCredentials: true });
  pushed.onopen = () => setOffline(false);
  pushed.onerror = () => {
    // CONNECTING: EventSource retries by itself (the server's stream ended, or a blip).
    if (pushed && pushed.readyState === EventSource.CLOSED) reconnectSoon(5000);
  };
  pushed.onmessage = (event) => {
    let message;
    try {
      message = JSON.parse(event.data);
    } catch (error) {
      return;
    }
    if (!chat || !message || !remember(message.id)) return;
    showTyping(''); // the agent's words are here: no longer "typing"
    disableOldChoices(); // the pushed message's buttons are the live ones now
    toChatMessages(message).forEach((m) => chat.addMessage(m));
    announce([message]);
  };
  // The stream's cursor (also past the bot's answers to the user's own turns): where the next
  // stream this page opens starts.
  pushed.addEventListener('cursor', (event) => {
    try {
      advance(JSON.parse(event.data).id);
    } catch (error) {
      // a malformed frame changes nothing
    }
  });
  pushed.addEventListener('typing', (event) => {
    let state;
    try {
      state = JSON.parse(event.data);
    } catch (error) {
      return;
    }
    if (state && state.agent) showTyping(t('agent_typing').replace('{agent}', state.agent), 7);
    else showTyping('');
  });
}

async function start() {
  let history = [];
  try {
    const session = await hub.session();
    if (session && (session.language === 'en' || session.language === 'ms')) language = session.language;
    const past = await hub.history();
    (past.messages || []).forEach((m) => remember(m.id));
    advance(past.last_id);
    history = historyToChat(past.messages || []);
  } catch (error) {
    setOffline(true);
  }
  applyLanguage();
  await customElements.whenDefined('deep-chat');
  createChat(history);
  applyLanguage();
  listenForPushed();
}

// --- attaching a document (the supporting-documents step) ---------------------------------------

const attachButton = document.getElementById('attach-button');
const attachInput = document.getElementById('attach-input');
const MAX_BYTES = 10 * 1024 * 1024;

async function uploadFile(file) {
  const form = new FormData();
  form.append('file', file, file.name);
  const post = () => fetch('/api/v1/chat/files', { method: 'POST', body: form, credentials: 'same-origin' });
  let response = await post();
  if (response.status === 401) {
    await hub.session(language);
    response = await post();
  }
  if (!response.ok) throw new HubError(response.status, `upload: ${response.status}`);
  return response.json();
}

if (attachButton && attachInput) {
  attachButton.addEventListener('click', () => attachInput.click());
  attachInput.addEventListener('change', async () => {
    const file = attachInput.files && attachInput.files[0];
    attachInput.value = '';
    if (!file || !chat) return;
    chat.addMessage({ role: 'user', html: userHtml(`📎 ${file.name}`) });
    attachButton.disabled = true;
    try {
      const reply = file.size > MAX_BYTES ? { messages: [{ text: t('too_big') }] } : await uploadFile(file);
      setOffline(false);
      const messages = reply.messages || [];
      messages.flatMap((m) => toChatMessages(m)).forEach((m) => chat.addMessage(m));
      announce(messages);
    } catch (error) {
      setOffline(true);
      chat.addMessage({ role: 'ai', text: t('offline') });
      announce([{ text: t('offline') }]);
    } finally {
      attachButton.disabled = false;
    }
  });
}

// --- language switch ------------------------------------------------------------------------------

document.querySelectorAll('.lang-switch button').forEach((button) => {
  button.addEventListener('click', async () => {
    const chosen = button.dataset.language;
    if (chosen !== 'en' && chosen !== 'ms') return;
    const changed = chosen !== language;
    language = chosen;
    applyLanguage();
    try {
      await hub.session(language);
    } catch (error) {
      setOffline(true);
    }
    if (changed && chat) sendAsUser(t('switch_text'), null);
  });
});

// --- "delete my conversation" (PDPA): the hub erases the transcript, the login and Rasa's events --

const ERASED = 'assist-erased';

document.getElementById('erase-button').addEventListener('click', async () => {
  if (!window.confirm(t('erase_confirm'))) return;
  try {
    await call('DELETE', '/api/v1/chat/history');
  } catch (error) {
    showStatus(t('erase_failed'));
    return;
  }
  // A fresh page: nothing of the old conversation left on screen, the live stream restarted.
  try {
    sessionStorage.setItem(ERASED, '1');
  } catch (error) {
    /* storage blocked: the page still reloads empty, without the notice */
  }
  window.location.reload();
});

function noticeErased() {
  try {
    if (sessionStorage.getItem(ERASED) !== '1') return;
    sessionStorage.removeItem(ERASED);
  } catch (error) {
    return;
  }
  showStatus(t('erase_done'));
}

noticeErased();
start();
