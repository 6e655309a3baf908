/* ASSIST Assistant embed snippet: a floating chat button that opens the chat page in an iframe.
 *
 *   <script src="https://assist.example/static/widget/embed.js"
 *           data-assist-url="https://assist.example" defer></script>
 *
 * Optional attributes: data-language="en"|"ms" (the button's words; the chat itself follows the
 * visitor's browser or their choice), data-position="left" (bottom-left instead of bottom-right).
 * Everything is scoped under #assist-embed; nothing from the host page is read or sent.
 */
(function () {
  'use strict';
  var script = document.currentScript;
  if (!script || document.getElementById('assist-embed')) return;
  var base = (script.getAttribute('data-assist-url') || new URL(script.src, location.href).origin)
    .replace(/\/+$/, '');
  var pageLang = (script.getAttribute('data-language') || document.documentElement.lang || 'en')
    .toLowerCase().slice(0, 2);
  var lang = pageLang === 'ms' ? 'ms' : 'en';
  var WORDS = {
    en: { open: 'Chat with ASSIST Assistant', close: 'Close the chat', title: 'ASSIST Assistant chat' },
    ms: { open: 'Sembang dengan ASSIST Assistant', close: 'Tutup sembang', title: 'Sembang ASSIST Assistant' },
  }[lang];
  var side = script.getAttribute('data-position') === 'left' ? 'left' : 'right';

  var css =
    '#assist-embed{position:fixed;bottom:16px;' + side + ':16px;z-index:2147483000;' +
    'font-family:system-ui,-apple-system,"Segoe UI",Roboto,Arial,sans-serif;font-size:16px}' +
    '#assist-embed .assist-embed-toggle{display:flex;align-items:center;gap:8px;min-height:48px;' +
    'padding:10px 18px;border:2px solid #ffffff;border-radius:24px;background:#0b3d91;color:#ffffff;' +
    'font:inherit;font-weight:700;cursor:pointer;box-shadow:0 4px 14px rgba(0,0,0,.3)}' +
    '#assist-embed .assist-embed-toggle:hover{background:#072a66}' +
    '#assist-embed .assist-embed-toggle:focus-visible,#assist-embed .assist-embed-close:focus-visible' +
    '{outline:3px solid #ffbf47;outline-offset:2px}' +
    '#assist-embed .assist-embed-panel{position:fixed;bottom:80px;' + side + ':16px;width:400px;' +
    'height:640px;max-height:calc(100vh - 100px);max-width:calc(100vw - 32px);background:#ffffff;' +
    'border:1px solid #c9d1dc;border-radius:12px;overflow:hidden;box-shadow:0 8px 30px rgba(0,0,0,.3);' +
    'display:flex;flex-direction:column}' +
    '#assist-embed .assist-embed-panel[hidden]{display:none}' +
    '#assist-embed .assist-embed-close{align-self:flex-end;margin:4px;min-height:36px;padding:4px 12px;' +
    'border:2px solid #0b3d91;border-radius:18px;background:#ffffff;color:#0b3d91;font:inherit;' +
    'font-weight:600;cursor:pointer}' +
    '#assist-embed iframe{flex:1 1 auto;width:100%;border:0}' +
    '@media (max-width:480px){#assist-embed .assist-embed-panel{left:0;right:0;bottom:0;top:0;' +
    'width:100vw;height:100%;max-height:none;max-width:none;border-radius:0}}';

  var root = document.createElement('div');
  root.id = 'assist-embed';
  var style = document.createElement('style');
  style.textContent = css;
  root.appendChild(style);

  var panel = document.createElement('div');
  panel.className = 'assist-embed-panel';
  panel.id = 'assist-embed-panel';
  panel.hidden = true;
  panel.setAttribute('role', 'dialog');
  panel.setAttribute('aria-label', WORDS.title);

  var close = document.createElement('button');
  close.type = 'button';
  close.className = 'assist-embed-close';
  close.textContent = '✕ ' + WORDS.close;
  panel.appendChild(close);

  var toggle = document.createElement('button');
  toggle.type = 'button';
  toggle.className = 'assist-embed-toggle';
  toggle.setAttribute('aria-expanded', 'false');
  toggle.setAttribute('aria-controls', panel.id);
  toggle.textContent = '💬 ' + WORDS.open;

  var frame = null;
  function open() {
    if (!frame) {
      frame = document.createElement('iframe');
      frame.src = base + '/chat';
      frame.title = WORDS.title;
      frame.setAttribute('allow', 'clipboard-write');
      panel.appendChild(frame);
    }
    panel.hidden = false;
    toggle.setAttribute('aria-expanded', 'true');
    frame.focus();
  }
  function shut() {
    panel.hidden = true;
    toggle.setAttribute('aria-expanded', 'false');
    toggle.focus();
  }
  toggle.addEventListener('click', function () {
    if (panel.hidden) open(); else shut();
  });
  close.addEventListener('click', shut);
  panel.addEventListener('keydown', function (event) {
    if (event.key === 'Escape') shut();
  });

  root.appendChild(panel);
  root.appendChild(toggle);
  (document.body || document.documentElement).appendChild(root);
})();
