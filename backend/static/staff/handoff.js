// Staff console: the handoff queue and one chat (live transcript, reply, hand back).
// The transcript arrives over server-sent events (/staff/api/handoffs/{id}/events).
(function () {
  'use strict';
  const config = JSON.parse(document.getElementById('staff-config').textContent);
  const headers = { 'Content-Type': 'application/json', 'X-CSRF-Token': config.csrf, Accept: 'application/json' };
  const statusLine = document.getElementById('console-status');
  const say = (text) => { if (statusLine) statusLine.textContent = text; };
  const S = config.strings || {};
  const tr = (text) => S[text] || text;
  const LABEL = { user: tr('User'), bot: tr('Bot'), agent: tr('Agent') };

  async function post(url, body) {
    const res = await fetch(url, { method: 'POST', credentials: 'same-origin', headers, body: JSON.stringify(body || {}) });
    const data = await res.json().catch(() => ({}));
    if (!res.ok) throw new Error((data.detail && data.detail.message) || res.statusText);
    return data;
  }

  // --- the queue page ---
  document.querySelectorAll('.callback-done').forEach((button) => {
    button.addEventListener('click', async () => {
      await post(`/staff/api/callbacks/${button.dataset.id}/done`);
      button.closest('tr').remove();
    });
  });
  const rows = document.getElementById('queue-rows');
  if (rows) {
    const cell = (text) => { const td = document.createElement('td'); td.textContent = text; return td; };
    setInterval(async () => {
      const res = await fetch('/staff/api/handoffs', { credentials: 'same-origin', headers: { Accept: 'application/json' } });
      if (!res.ok) return;
      const tickets = (await res.json()).tickets.filter((t) => t.status !== 'closed');
      const out = tickets.map((t) => {
        const tr = document.createElement('tr');
        const td = document.createElement('td');
        const a = document.createElement('a');
        a.href = `/staff/handoffs/${t.id}`;
        a.textContent = `#${t.id}`;
        td.append(a);
        tr.append(td, cell(t.channel), cell(t.language), cell(t.flow || '—'), cell(t.reason), cell(tr(t.status)), cell(t.created_at));
        return tr;
      });
      if (!out.length) {
        const tr = document.createElement('tr');
        const td = cell(tr('Nobody is waiting.'));
        td.colSpan = 7;
        tr.append(td);
        out.push(tr);
      }
      rows.replaceChildren(...out);
    }, 3000);
  }

  // --- one chat ---
  const transcript = document.getElementById('transcript');
  if (!transcript || !config.ticket) return;
  const seen = new Set([...transcript.querySelectorAll('li')].map((li) => li.dataset.id));
  function addMessage(m) {
    if (seen.has(String(m.id))) return;
    seen.add(String(m.id));
    const li = document.createElement('li');
    li.dataset.id = m.id;
    li.className = `msg msg-${m.role}`;
    const who = document.createElement('strong');
    who.textContent = `${LABEL[m.role] || m.role}:`;
    const text = document.createElement('span');
    text.style.whiteSpace = 'pre-wrap';
    text.textContent = ` ${m.text}`;
    li.append(who, text);
    transcript.append(li);
    transcript.scrollTop = transcript.scrollHeight;
  }
  const ticketStatus = document.getElementById('ticket-status');
  const events = new EventSource(`/staff/api/handoffs/${config.ticket}/events?after=${config.last}`);
  events.onmessage = (event) => addMessage(JSON.parse(event.data));
  events.addEventListener('status', (event) => {
    const status = JSON.parse(event.data).status;
    ticketStatus.textContent = `(${tr(status)})`;
    ticketStatus.dataset.status = status;
  });
  transcript.scrollTop = transcript.scrollHeight;

  const form = document.getElementById('reply-form');
  if (!form) return;
  const box = document.getElementById('reply-text');
  // While the agent types, the user sees "… is typing" (widget line, Telegram's chat action);
  // one signal every 3 s at most, each lasting a few seconds on the server.
  let typingSent = 0;
  box.addEventListener('input', () => {
    if (!box.value.trim() || Date.now() - typingSent < 3000) return;
    typingSent = Date.now();
    post(`/staff/api/handoffs/${config.ticket}/typing`).catch(() => {});
  });
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    const text = box.value.trim();
    if (!text) return;
    try {
      await post(`/staff/api/handoffs/${config.ticket}/reply`, { text });
      box.value = '';
      say(tr('Reply sent.'));
    } catch (error) {
      say(`${tr('Not sent:')} ${error.message}`);
    }
  });
  document.getElementById('hand-back').addEventListener('click', async () => {
    try {
      await post(`/staff/api/handoffs/${config.ticket}/handback`);
      say(tr('Handed back to the bot.'));
      form.remove();
    } catch (error) {
      say(`${tr('Could not hand back:')} ${error.message}`);
    }
  });
})();
