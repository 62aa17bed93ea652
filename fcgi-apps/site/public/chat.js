// The chat of /dashboard/messages (customers) and /messages (staff).
// History and sending go through the HTTP API; live messages, read
// receipts and typing come from the relay (a ticket from
// /api/messages/ticket, then a WebSocket). After every (re)connection the
// open conversation is caught up over HTTP (?after=<last id seen>), so a
// relay or Redis restart loses nothing; messages are keyed by id, so
// nothing shows twice.
'use strict';
(function () {
  var root = document.getElementById('chat');
  if (!root) return;
  var staff = root.dataset.view === 'staff';
  var me = root.dataset.me;
  var list = document.getElementById('messages');
  var convList = document.getElementById('conversation-list');
  var statusEl = document.getElementById('status');
  var typingEl = document.getElementById('typing');
  var unreadEl = document.getElementById('unread');
  var form = document.getElementById('send');
  var input = document.getElementById('content');
  var current = null;        // the open conversation id
  var lastId = null;         // newest message id shown
  var seen = {};             // message ids shown
  var ws = null, retry = 500, typingTimer = null, typingSent = 0;
  var unread = {};           // conversation id → unread count

  function api(method, path, body) {
    return fetch(path, {
      method: method, credentials: 'same-origin',
      headers: body ? { 'Content-Type': 'application/json' } : {},
      body: body ? JSON.stringify(body) : undefined
    }).then(function (r) {
      if (r.status === 401) { location.href = staff ? '/login?next=/messages' : '/auth/login?next=/dashboard/messages'; }
      return r.json().then(function (j) { if (!r.ok) throw j; return j; });
    });
  }

  function status(text) { statusEl.textContent = text; statusEl.hidden = !text; }

  function showUnread() {
    var total = 0;
    Object.keys(unread).forEach(function (k) { total += unread[k]; });
    unreadEl.textContent = total;
    unreadEl.hidden = total === 0;
    document.title = (total ? '(' + total + ') ' : '') + 'Messages — CoworKing Café';
    Array.prototype.forEach.call(convList.children, function (li) {
      var n = unread[li.dataset.id] || 0;
      li.querySelector('.count').textContent = n ? n : '';
    });
  }

  // "14:05" today, "3 déc., 14:05" before (an hour alone would mislead)
  function shownTime(d) {
    var hm = d.toLocaleTimeString('fr-FR', { hour: '2-digit', minute: '2-digit' });
    if (d.toDateString() === new Date().toDateString()) return hm;
    var opts = { day: 'numeric', month: 'short' };
    if (d.getFullYear() !== new Date().getFullYear()) opts.year = 'numeric';
    return d.toLocaleDateString('fr-FR', opts) + ', ' + hm;
  }

  function render(m) {
    if (seen[m.id]) return;
    seen[m.id] = true;
    var li = document.createElement('li');
    li.className = 'message' + (m.sender === me ? ' mine' : '');
    li.dataset.id = m.id;
    var who = document.createElement('span');
    who.className = 'who';
    who.textContent = m.sender === me ? 'Vous' : (m.senderInfo && m.senderInfo.name) || '';
    var text = document.createElement('p');
    text.textContent = m.content;
    var when = document.createElement('time');
    when.dateTime = m.createdAt;
    when.textContent = shownTime(new Date(m.createdAt));
    li.appendChild(who); li.appendChild(text); li.appendChild(when);
    // keep the list in time order
    var after = null;
    Array.prototype.some.call(list.children, function (el) {
      if (el.querySelector('time').dateTime > m.createdAt) { after = el; return true; }
      return false;
    });
    list.insertBefore(li, after);
    if (!lastId || m.createdAt >= (list.lastElementChild.querySelector('time').dateTime)) lastId = list.lastElementChild.dataset.id;
    list.scrollTop = list.scrollHeight;
  }

  function markRead() {
    if (!current || document.hidden) return;
    unread[current] = 0;
    showUnread();
    api('POST', '/api/conversations/' + current + '/read').catch(function () {});
  }

  function catchUp() {
    if (!current) return Promise.resolve();
    var q = lastId ? '?after=' + lastId + '&limit=100' : '?limit=50';
    return api('GET', '/api/conversations/' + current + '/messages' + q).then(function (j) {
      j.messages.slice().reverse().forEach(render);
      if (j.hasMore && lastId) return catchUp();
      markRead();
    });
  }

  function open(id) {
    current = id; lastId = null; seen = {};
    list.textContent = '';
    Array.prototype.forEach.call(convList.children, function (li) {
      li.classList.toggle('active', li.dataset.id === id);
    });
    return catchUp();
  }

  function loadConversations() {
    return api('GET', '/api/conversations').then(function (j) {
      convList.textContent = '';
      j.conversations.forEach(function (c) {
        unread[c.id] = c.unreadCount;
        var li = document.createElement('li');
        li.dataset.id = c.id;
        var name = c.type === 'group' ? c.name : (c.people[0] && c.people[0].name) || 'Client';
        var a = document.createElement('button');
        a.type = 'button';
        a.textContent = name;
        a.addEventListener('click', function () { open(c.id); });
        var count = document.createElement('span');
        count.className = 'count';
        li.appendChild(a); li.appendChild(count);
        convList.appendChild(li);
      });
      showUnread();
      return j.conversations;
    });
  }

  function connect() {
    api('GET', '/api/messages/ticket').then(function (t) {
      ws = new WebSocket(t.url);
      ws.onopen = function () {
        retry = 500;
        status('');
        catchUp();
      };
      ws.onmessage = function (ev) {
        var f;
        try { f = JSON.parse(ev.data); } catch (e) { return; }
        if (f.type === 'message') {
          var m = f.message;
          if (f.conversationId === current) {
            render(m);
            if (m.sender !== me && document.hidden) { unread[current] = (unread[current] || 0) + 1; showUnread(); }
            else if (m.sender !== me) markRead();
          }
          else if (m.sender !== me) {
            unread[f.conversationId] = (unread[f.conversationId] || 0) + 1;
            if (staff && !convList.querySelector('[data-id="' + f.conversationId + '"]')) loadConversations();
            showUnread();
          }
        } else if (f.type === 'resync') {
          catchUp();
          if (staff) loadConversations();
        } else if (f.type === 'typing' && f.conversationId === current && f.userId !== me) {
          typingEl.textContent = (f.name || 'Quelqu’un') + ' écrit…';
          typingEl.hidden = !f.active;
        } else if (f.type === 'read' && f.conversationId === current && f.userId !== me) {
          Array.prototype.forEach.call(list.querySelectorAll('.mine'), function (li) { li.classList.add('read'); });
        }
      };
      ws.onclose = function () {
        status('Reconnexion…');
        setTimeout(connect, retry);
        retry = Math.min(retry * 2, 10000);
      };
    }).catch(function () {
      status('Reconnexion…');
      setTimeout(connect, retry);
      retry = Math.min(retry * 2, 10000);
    });
  }

  function sendTyping(active) {
    if (!ws || ws.readyState !== 1 || !current) return;
    ws.send(JSON.stringify({ type: 'typing', conversationId: current, active: active }));
  }

  input.addEventListener('input', function () {
    var now = Date.now();
    if (now - typingSent > 2000) { sendTyping(true); typingSent = now; }
    clearTimeout(typingTimer);
    typingTimer = setTimeout(function () { sendTyping(false); typingSent = 0; }, 3000);
  });

  form.addEventListener('submit', function (ev) {
    ev.preventDefault();
    var content = input.value.trim();
    if (!content || !current) return;
    input.disabled = true;
    api('POST', '/api/conversations/' + current + '/messages', { content: content }).then(function (m) {
      render(m);
      input.value = '';
      sendTyping(false);
    }).catch(function (e) {
      status((e.error && e.error.message) || 'Message non envoyé.');
    }).then(function () { input.disabled = false; input.focus(); });
  });

  document.addEventListener('visibilitychange', markRead);

  var start = staff
    ? loadConversations().then(function (cs) { if (cs.length) return open(cs[0].id); })
    : api('POST', '/api/conversations').then(function (c) { return open(c.id); });
  start.then(function () { status(''); connect(); }, function () { status('Le service est momentanément indisponible.'); });
})();
