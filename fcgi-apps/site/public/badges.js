// badges.js — keeps the back office's sidebar counts live (SPEC §9): the
// page is served with the counts; this opens the relay's WebSocket (a
// ticket from /api/messages/ticket, as the messenger does) and, on a
// {"type":"badge"} event, reads /api/badges again and rewrites the
// sidebar's badges. Without it (no script, relay down) the counts are
// right after a reload. The socket opens once the page has stayed open
// a few seconds: a member clicking through pages does not open (and the
// relay does not throttle, 429) a socket per page.
(function () {
  'use strict';
  var nav = document.querySelector('[data-badges]');
  if (!nav || !window.WebSocket || !window.fetch) return;
  var retry = 1000, pending = null;

  function show(counts) {
    Object.keys(counts).forEach(function (k) {
      var el = nav.querySelector('[data-badge="' + k + '"]');
      if (!el) return;
      var n = counts[k] | 0;
      el.textContent = n > 99 ? '99+' : String(n);
      el.hidden = n === 0;
    });
  }

  function refresh() {
    if (pending) return;
    pending = fetch('/api/badges', { credentials: 'same-origin' })
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(function (j) { if (j && j.badges) show(j.badges); })
      .catch(function () {})
      .then(function () { pending = null; });
  }

  function connect() {
    fetch('/api/messages/ticket', { credentials: 'same-origin' })
      .then(function (r) { if (!r.ok) throw new Error('ticket'); return r.json(); })
      .then(function (t) {
        var ws = new WebSocket(t.url);
        ws.onopen = function () { retry = 1000; refresh(); };
        ws.onmessage = function (ev) {
          var f;
          try { f = JSON.parse(ev.data); } catch (e) { return; }
          if (f.type === 'badge' || f.type === 'resync') refresh();
        };
        ws.onclose = function () { later(); };
      })
      .catch(function () { later(); });
  }

  function later() {
    setTimeout(connect, retry);
    retry = Math.min(retry * 2, 60000);
  }

  setTimeout(connect, 5000);
})();
