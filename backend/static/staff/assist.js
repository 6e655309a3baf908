// Assisted chat: the agent types (or taps the assistant's buttons) for the caller; each turn goes
// through the hub like any chat turn (POST /staff/api/assist/{id}/messages).
(function () {
  'use strict';
  const config = JSON.parse(document.getElementById('staff-config').textContent);
  const transcript = document.getElementById('transcript');
  const form = document.getElementById('assist-form');
  const box = document.getElementById('assist-text');
  const choices = document.getElementById('assist-buttons');
  const S = config.strings || {};

  function add(role, text, buttons) {
    const li = document.createElement('li');
    li.className = `msg msg-${role}`;
    const who = document.createElement('strong');
    who.textContent = `${role === 'user' ? S.You || 'You' : S.Assistant || 'Assistant'}:`;
    const span = document.createElement('span');
    span.style.whiteSpace = 'pre-wrap';
    span.textContent = ` ${text || ''}`;
    li.append(who, span);
    if (buttons && buttons.length) {
      const hint = document.createElement('span');
      hint.className = 'hint';
      hint.textContent = ` [${buttons.map((b) => b.title).join(' | ')}]`;
      li.append(hint);
    }
    transcript.append(li);
    transcript.scrollTop = transcript.scrollHeight;
  }

  async function send(text, shown) {
    add('user', shown || text);
    choices.replaceChildren();
    const res = await fetch(`/staff/api/assist/${config.session}/messages`, {
      method: 'POST',
      credentials: 'same-origin',
      headers: { 'Content-Type': 'application/json', 'X-CSRF-Token': config.csrf, Accept: 'application/json' },
      body: JSON.stringify({ text }),
    });
    const reply = await res.json().catch(() => ({}));
    if (!res.ok) {
      add('bot', (reply.detail && reply.detail.message) || 'Not sent.');
      return;
    }
    for (const m of reply.messages || []) {
      add('bot', m.text || (m.link && m.link.title) || (m.document && m.document.filename) || '', m.buttons);
      for (const b of m.buttons || []) {
        const button = document.createElement('button');
        button.type = 'button';
        button.textContent = b.title;
        button.addEventListener('click', () => send(b.payload, b.title));
        choices.append(button);
      }
    }
  }

  form.addEventListener('submit', (event) => {
    event.preventDefault();
    const text = box.value.trim();
    if (!text) return;
    box.value = '';
    send(text);
  });
  transcript.scrollTop = transcript.scrollHeight;
})();
