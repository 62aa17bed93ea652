// The login form of /auth/login (site) and /login (admin): posts JSON to
// /api/auth/login, then goes to the page the visitor came for.
'use strict';
(function () {
  var form = document.getElementById('login');
  if (!form) return;
  var error = document.getElementById('error');
  form.addEventListener('submit', function (ev) {
    ev.preventDefault();
    error.hidden = true;
    fetch('/api/auth/login', {
      method: 'POST',
      credentials: 'same-origin',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({
        email: document.getElementById('email').value,
        password: document.getElementById('password').value
      })
    }).then(function (r) {
      if (r.ok) { location.href = form.dataset.next || '/'; return; }
      return r.json().then(function (j) {
        error.textContent = (j.error && j.error.message) || 'Connexion impossible.';
        error.hidden = false;
      });
    }).catch(function () {
      error.textContent = 'Le service est momentanément indisponible.';
      error.hidden = false;
    });
  });
})();
