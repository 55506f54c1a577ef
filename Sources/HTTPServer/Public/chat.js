/* Samenspraak parent chat: sends over POST, receives over long polling, keeps the
   transcript in localStorage. Server text only ever reaches the DOM via textContent. */
(function () {
  'use strict';

  var MAX_LEN = 2000, POLL_TIMEOUT = 35000, POST_TIMEOUT = 20000, MAX_BACKOFF = 30000, RATE_LIMIT_WAIT = 5000;

  var UI = {
    nl: { connecting: 'Verbinden…', online: 'Verbonden', reconnecting: 'Opnieuw verbinden…',
      label: 'Uw bericht', placeholder: 'Typ uw bericht…', notSent: 'Niet verstuurd: ',
      left: function (n) { return 'Nog ' + n + ' tekens'; } },
    en: { connecting: 'Connecting…', online: 'Connected', reconnecting: 'Reconnecting…',
      label: 'Your message', placeholder: 'Type your message…', notSent: 'Not sent: ',
      left: function (n) { return n + ' characters left'; } },
    ar: { connecting: 'جارٍ الاتصال…', online: 'متصل', reconnecting: 'جارٍ إعادة الاتصال…',
      label: 'رسالتكم', placeholder: 'اكتبوا رسالتكم…', notSent: 'لم تُرسَل: ',
      left: function (n) { return 'متبقٍّ ' + n + ' حرفًا'; } },
    tr: { connecting: 'Bağlanıyor…', online: 'Bağlı', reconnecting: 'Yeniden bağlanıyor…',
      label: 'Mesajınız', placeholder: 'Mesajınızı yazın…', notSent: 'Gönderilemedi: ',
      left: function (n) { return n + ' karakter kaldı'; } },
    pl: { connecting: 'Łączenie…', online: 'Połączono', reconnecting: 'Ponowne łączenie…',
      label: 'Twoja wiadomość', placeholder: 'Proszę wpisać wiadomość…', notSent: 'Nie wysłano: ',
      left: function (n) { return 'Pozostało znaków: ' + n; } },
    uk: { connecting: 'Підключення…', online: 'Підключено', reconnecting: 'Повторне підключення…',
      label: 'Ваше повідомлення', placeholder: 'Напишіть повідомлення…', notSent: 'Не надіслано: ',
      left: function (n) { return 'Залишилось символів: ' + n; } },
    // so, ti and fa are machine-quality, like their locales: to be reviewed by a native speaker.
    so: { connecting: 'Waa la xiriirayaa…', online: 'Waa xiran yahay', reconnecting: 'Mar kale ayaa la xiriirayaa…',
      label: 'Fariintaada', placeholder: 'Qor fariintaada…', notSent: 'Lama dirin: ',
      left: function (n) { return n + ' xaraf ayaa haray'; } },
    ti: { connecting: 'ይራኸብ ኣሎ…', online: 'ተራኺቡ', reconnecting: 'እንደገና ይራኸብ ኣሎ…',
      label: 'መልእኽትኹም', placeholder: 'መልእኽትኹም ጽሓፉ…', notSent: 'ኣይተላእከን: ',
      left: function (n) { return n + ' ፊደላት ተሪፎም'; } },
    fa: { connecting: 'در حال اتصال…', online: 'متصل', reconnecting: 'اتصال دوباره…',
      label: 'پیام شما', placeholder: 'پیام خود را بنویسید…', notSent: 'فرستاده نشد: ',
      left: function (n) { return n.toLocaleString('fa') + ' نویسه مانده'; } },
    es: { connecting: 'Conectando…', online: 'Conectado', reconnecting: 'Reconectando…',
      label: 'Su mensaje', placeholder: 'Escriba su mensaje…', notSent: 'No enviado: ',
      left: function (n) { return 'Quedan ' + n + ' caracteres'; } }
  };

  var root = document.documentElement;
  var $ = function (id) { return document.getElementById(id); };
  var app = $('app'), log = $('log'), list = $('messages'), form = $('composer'), input = $('input');
  var statusEl = $('status'), statusText = $('status-text'), hint = $('remaining'), errorEl = $('error');

  // localStorage can throw (private mode, disabled storage, quota): degrade to memory only.
  function load(k) { try { return localStorage.getItem(k); } catch (e) { return null; } }
  function keep(k, v) { try { localStorage.setItem(k, v); } catch (e) { /* memory only */ } }

  function uuid() {
    if (window.crypto && typeof crypto.randomUUID === 'function') return crypto.randomUUID();
    // randomUUID exists only in secure contexts; a plain-http school network still gets a v4 UUID.
    var b = crypto.getRandomValues(new Uint8Array(16));
    b[6] = (b[6] & 0x0f) | 0x40; b[8] = (b[8] & 0x3f) | 0x80;
    var h = Array.prototype.map.call(b, function (x) { return (x + 0x100).toString(16).slice(1); }).join('');
    return h.slice(0, 8) + '-' + h.slice(8, 12) + '-' + h.slice(12, 16) + '-' + h.slice(16, 20) + '-' + h.slice(20);
  }

  // ---- Identity and stored transcript ----
  var code = '';
  try { code = decodeURIComponent(location.pathname.split('/').filter(Boolean).pop() || ''); } catch (e) { code = ''; }
  var api = '/api/chat/' + encodeURIComponent(code) + '/messages';
  var client = load('samenspraak.client');
  if (!client) { client = uuid(); keep('samenspraak.client', client); }
  var KEY = 'samenspraak.transcript.' + code;
  var t = null;
  try { t = JSON.parse(load(KEY)); } catch (e) { /* corrupt: start over */ }
  if (!t || !Array.isArray(t.items) || typeof t.seq !== 'number') {
    // First visit from this browser: queue the one-time start message (persisted, so a
    // reload before it is accepted retries it with the same id instead of a new one).
    t = { seq: 0, items: [{ kind: 'start', id: uuid(), pending: true }] };
  }
  function save() { keep(KEY, JSON.stringify(t)); }

  var dead = false; // set once the invite code turns out to be unknown
  var health = { poll: null, send: true };
  var nodes = new Map(); // transcript item -> <li>

  // Page chrome speaks the conversation's language when it knows it, English otherwise.
  function uiLang() { var primary = (root.lang || '').split('-')[0].toLowerCase(); return UI[primary] ? primary : 'en'; }
  function ui() { return UI[uiLang()]; }
  function lastSchool() {
    for (var i = t.items.length - 1; i >= 0; i--) if (t.items[i].kind === 'school') return t.items[i];
    return null;
  }

  // Cancellable waits: going back online wakes every backoff at once.
  var sleepers = new Set();
  function sleep(ms) {
    return new Promise(function (resolve) {
      function done() { clearTimeout(timer); sleepers.delete(done); resolve(); }
      var timer = setTimeout(done, ms);
      sleepers.add(done);
    });
  }
  function wake() { Array.from(sleepers).forEach(function (f) { f(); }); }
  window.addEventListener('online', wake);

  // ---- Rendering ----
  var LINK = /https?:\/\/[^\s<>"']+|\/[^\s<>"']+\.ics(?=[\s.,;:!?)]|$)/gi;

  function appendLinked(el, text) {
    var pos = 0, m;
    LINK.lastIndex = 0;
    while ((m = LINK.exec(text))) {
      var raw = m[0].replace(/[.,;:!?)\]}'"»]+$/, '');
      // A bare path only counts at a word start (not the tail of "a/b.ics").
      if (raw[0] === '/' && m.index > 0 && !/\s/.test(text[m.index - 1])) continue;
      var url;
      try { url = new URL(raw, location.href); } catch (e) { continue; }
      if (url.protocol !== 'http:' && url.protocol !== 'https:') continue;
      el.appendChild(document.createTextNode(text.slice(pos, m.index)));
      var a = make('a');
      a.href = url.href;
      a.textContent = raw;
      if (url.origin !== location.origin) { a.target = '_blank'; a.rel = 'noopener noreferrer'; }
      el.appendChild(a);
      LINK.lastIndex = pos = m.index + raw.length;
    }
    el.appendChild(document.createTextNode(text.slice(pos)));
  }

  function make(tag, cls) { var e = document.createElement(tag); if (cls) e.className = cls; return e; }

  function addItem(item) {
    if (item.kind === 'start') return; // protocol only, nothing to show
    var li = make('li', 'msg msg--' + item.kind), p = make('p', 'bubble'), note = make('p', 'note');
    // dir/lang go on the content, not the <li>: the <li>'s logical margins must follow the page.
    function tag(e) { if (item.language) e.lang = item.language; e.dir = item.rtl ? 'rtl' : 'ltr'; }
    tag(p);
    // Typed text may be in another script than the conversation (names, numbers).
    if (item.kind === 'parent' && !item.choice) p.dir = 'auto';
    appendLinked(p, item.text || '');
    li.appendChild(p);
    if (item.kind === 'school' && item.choices && item.choices.length) {
      var group = make('div', 'choices');
      group.setAttribute('role', 'group');
      tag(group);
      item.choices.forEach(function (c) {
        var b = make('button', 'choice');
        b.type = 'button'; b.textContent = c.label; b.dataset.id = c.id;
        // A label may be in another script than the conversation ("Emma (Groep 4)" in Arabic): its own direction.
        b.dir = 'auto';
        b.addEventListener('click', function () { choose(item, c); });
        group.appendChild(b);
      });
      li.appendChild(group);
    }
    li.appendChild(note);
    list.appendChild(li);
    nodes.set(item, li);
    updateItem(item);
  }

  function updateItem(item) {
    var li = nodes.get(item);
    if (!li) return;
    li.classList.toggle('is-pending', !!item.pending);
    var note = li.querySelector('.note');
    note.hidden = !item.failed;
    note.textContent = item.failed ? ui().notSent + item.failed : '';
    note.lang = uiLang();
  }

  // Only the newest school message's set is live, and only until one is pressed.
  function refreshChoices() {
    var last = lastSchool();
    nodes.forEach(function (li, item) {
      if (item.kind !== 'school') return;
      li.querySelectorAll('.choice').forEach(function (b) {
        b.disabled = item !== last || !!item.used;
        b.classList.toggle('is-chosen', b.dataset.id === item.chosen);
      });
    });
  }

  // The page language and direction follow the newest school message.
  function applyLanguage() {
    var last = lastSchool();
    if (last && last.language) root.lang = last.language;
    if (last) root.dir = last.rtl ? 'rtl' : 'ltr';
    [statusEl, hint, $('input-label')].forEach(function (e) { e.lang = uiLang(); });
    $('input-label').textContent = ui().label;
    input.placeholder = ui().placeholder;
    renderStatus(); updateRemaining();
  }

  function renderStatus() {
    var state = health.poll === null ? 'connecting' : (health.poll && health.send ? 'online' : 'reconnecting');
    statusEl.dataset.state = state;
    // Rewriting the same text would make the role=status region re-announce on every poll.
    if (statusText.textContent !== ui()[state]) statusText.textContent = ui()[state];
  }
  function setHealth(key, ok) { health[key] = ok; renderStatus(); }

  function showError(text) { errorEl.textContent = text || ''; errorEl.hidden = !text; }

  function scrollDown() { requestAnimationFrame(function () { log.scrollTop = log.scrollHeight; }); }

  function showInvalid() {
    dead = true;
    wake();
    app.hidden = true; $('invalid').hidden = false;
    root.lang = 'nl'; root.dir = 'ltr';
    document.title = 'Samenspraak – link niet geldig / link not valid';
    $('invalid').querySelector('h1').focus();
  }

  // ---- Network ----
  async function request(url, opts, ms) {
    var ctrl = new AbortController();
    var timer = setTimeout(function () { ctrl.abort(); }, ms);
    try {
      var res = await fetch(url, Object.assign({ signal: ctrl.signal, cache: 'no-store', credentials: 'same-origin' }, opts));
      var data = null;
      try { data = await res.json(); } catch (e) { if (e.name === 'AbortError') throw e; /* non-JSON body */ }
      return { status: res.status, ok: res.ok, data: data || {} };
    } finally {
      clearTimeout(timer);
    }
  }
  function reason(res) { return typeof res.data.error === 'string' ? res.data.error : 'HTTP ' + res.status; }

  // Sends queued items strictly one at a time, in order, each retried with its own id.
  var pumping = false;
  async function pump() {
    if (pumping) return;
    pumping = true;
    var delay = 1000;
    try {
      for (;;) {
        var item = t.items.find(function (i) { return i.pending; });
        if (!item || dead) return;
        var body = { client: client, id: item.id };
        if (item.kind === 'start') { body.start = true; body.language = navigator.language; }
        else if (item.choice) body.choice = item.choice;
        else body.text = item.text;
        var res = null;
        try {
          res = await request(api, { method: 'POST', headers: { 'Content-Type': 'application/json', Accept: 'application/json' },
            body: JSON.stringify(body) }, POST_TIMEOUT);
        } catch (e) { /* network error or timeout: retried below */ }
        if (res && res.status === 404) { showInvalid(); return; }
        if (res && res.status === 429) { showError(reason(res)); await sleep(RATE_LIMIT_WAIT); continue; }
        if (!res || res.status >= 500) { // transient: same id again later, the server drops duplicates
          setHealth('send', false);
          await sleep(delay);
          delay = Math.min(delay * 2, MAX_BACKOFF);
          continue;
        }
        delay = 1000; setHealth('send', true); showError('');
        item.pending = false;
        if (!res.ok) rejected(item, reason(res));
        save(); updateItem(item);
      }
    } finally {
      pumping = false;
    }
  }

  // 400/413 and other client errors: not retried; tell the parent and let them try again.
  function rejected(item, text) {
    if (item.kind === 'start') { showError(text); return; }
    item.failed = text;
    var s = lastSchool();
    if (item.choice && s && s.chosen === item.choice) { s.used = false; delete s.chosen; refreshChoices(); }
    if (!item.choice && !input.value) { input.value = item.text; onInput(); }
  }

  function receive(messages) {
    var added = false;
    messages.slice().sort(function (a, b) { return a.seq - b.seq; }).forEach(function (m) {
      if (!m || !(m.seq > t.seq)) return; // already have it
      var item = {
        kind: 'school', seq: m.seq, text: String(m.text == null ? '' : m.text),
        choices: (Array.isArray(m.choices) ? m.choices : []).filter(function (c) { return c && c.id != null; })
          .map(function (c) { return { id: String(c.id), label: String(c.label == null ? c.id : c.label) }; }),
        language: typeof m.language === 'string' ? m.language : '', rtl: m.rtl === true
      };
      t.seq = m.seq;
      t.items.push(item);
      addItem(item);
      added = true;
    });
    if (added) { save(); applyLanguage(); refreshChoices(); scrollDown(); }
  }

  async function poll() {
    var delay = 1000;
    while (!dead) {
      var started = Date.now(), res = null;
      try {
        res = await request(api + '?client=' + encodeURIComponent(client) + '&after=' + t.seq,
          { headers: { Accept: 'application/json' } }, POLL_TIMEOUT);
      } catch (e) { /* network error or timeout */ }
      if (dead) return;
      if (res && res.status === 404) { showInvalid(); return; }
      if (!res || !res.ok) {
        setHealth('poll', false);
        await sleep(res && res.status === 429 ? Math.max(delay, RATE_LIMIT_WAIT) : delay);
        delay = Math.min(delay * 2, MAX_BACKOFF);
        continue;
      }
      delay = 1000; setHealth('poll', true);
      var msgs = Array.isArray(res.data.messages) ? res.data.messages : [];
      receive(msgs);
      // Guard against a hot loop if something in between answers empty polls instantly.
      if (!msgs.length && Date.now() - started < 1000) await sleep(1000);
    }
  }

  // ---- Parent input ----
  function queue(fields) {
    var item = Object.assign({ kind: 'parent', id: uuid(), pending: true, language: root.lang, rtl: root.dir === 'rtl' }, fields);
    t.items.push(item); save();
    addItem(item); scrollDown();
    pump();
  }

  function choose(item, choice) {
    if (dead || item !== lastSchool() || item.used) return;
    item.used = true; item.chosen = choice.id;
    refreshChoices();
    queue({ text: choice.label, choice: choice.id });
    log.focus({ preventScroll: true }); // the pressed button is now disabled; keep focus nearby
  }

  function sendTyped() {
    var text = input.value.trim().slice(0, MAX_LEN);
    if (!text || dead) return;
    input.value = ''; onInput();
    queue({ text: text });
  }

  function autosize() {
    input.style.height = 'auto';
    input.style.height = (input.scrollHeight + input.offsetHeight - input.clientHeight) + 'px';
  }
  function onInput() { autosize(); updateRemaining(); }
  function updateRemaining() {
    var left = MAX_LEN - input.value.length;
    hint.hidden = left >= 100;
    hint.textContent = ui().left(left);
  }

  form.addEventListener('submit', function (e) { e.preventDefault(); sendTyped(); });
  input.addEventListener('keydown', function (e) {
    // isComposing/229: Enter that confirms an IME candidate must not send.
    if (e.key === 'Enter' && !e.shiftKey && !e.isComposing && e.keyCode !== 229) { e.preventDefault(); sendTyped(); }
  });
  input.addEventListener('input', onInput);

  // ---- Start ----
  if (!code) { showInvalid(); return; }
  save();
  t.items.forEach(addItem);
  applyLanguage(); refreshChoices(); scrollDown();
  pump(); poll();
})();
