/*
 * blog-editor.js — the back office's editors (articles, events).
 * The article editor's preview: refreshed as one types, with the HTML the
 * server renders for the site (POST /api/blog/preview, core/markdown.h).
 * Without it the form's "Prévisualiser" button does the same with a page
 * load.
 * Every image field (`.upload-field` > input[type=file], articles and
 * events) sends the chosen image: to POST /api/uploads (the admin app
 * makes the WebP variants), or — when the page names the signature
 * endpoint — straight to Cloudinary with the parameters the admin app
 * signed; either way the image's address fills the field named by the
 * input's data-target. Without script the fields stay hidden and the
 * address can be typed, or — when uploads are stored here — the
 * `.upload-nojs` field sends a file with its own multipart form
 * (POST /blog/articles/:id/image, /events/:id/image); with script that
 * field is hidden.
 */
(function () {
	'use strict';
	var input = document.getElementById('a-content');
	var out = document.getElementById('preview');
	if (!input || !out)
		return;
	var timer = null, seq = 0;
	function refresh() {
		var mine = ++seq;
		fetch(out.getAttribute('data-endpoint'), {
			method: 'POST',
			credentials: 'same-origin',
			headers: { 'Content-Type': 'application/json' },
			body: JSON.stringify({ content: input.value })
		}).then(function (r) {
			return r.ok ? r.json() : null;
		}).then(function (j) {
			if (j && mine === seq)
				out.innerHTML = j.html; /* sanitised by the server's renderer */
		}).catch(function () { /* the button still works */ });
	}
	input.addEventListener('input', function () {
		clearTimeout(timer);
		timer = setTimeout(refresh, 300);
	});
})();

(function () {
	'use strict';
	if (!window.FormData || !window.fetch)
		return;
	function json(r) {
		return r.json().then(function (j) {
			if (!r.ok)
				throw new Error(j && j.error ? j.error.message : '');
			return j;
		});
	}
	function wire(file) {
		var target = document.getElementById(file.getAttribute('data-target'));
		var hint = document.getElementById(file.getAttribute('aria-describedby'));
		if (!target || !hint)
			return;
		file.closest('.upload-field').hidden = false;
		/* the no-script form (a file input and its button) is not needed */
		var nojs = file.closest('fieldset').querySelector('.upload-nojs');
		if (nojs)
			nojs.hidden = true;
		function done(url) {
			target.value = url;
			hint.textContent = 'Image envoyée.';
		}
		function failed(message) {
			hint.textContent = message || 'L’envoi a échoué.';
		}
		file.addEventListener('change', function () {
			var f = file.files[0], endpoint = file.getAttribute('data-endpoint');
			if (!f)
				return;
			hint.textContent = 'Envoi en cours…';
			if (/signature$/.test(endpoint)) {
				fetch(endpoint, { method: 'POST', credentials: 'same-origin',
					headers: { 'Content-Type': 'application/json' }, body: '{}' })
				.then(json).then(function (s) {
					var fd = new FormData();
					Object.keys(s.params).forEach(function (k) { fd.append(k, s.params[k]); });
					fd.append('file', f);
					return fetch(s.uploadUrl, { method: 'POST', body: fd }).then(json);
				}).then(function (c) { done(c.secure_url); })
				.catch(function (e) { failed(e.message); });
			} else {
				fetch(endpoint, { method: 'POST', credentials: 'same-origin',
					headers: { 'Content-Type': f.type || 'application/octet-stream' }, body: f })
				.then(json).then(function (j) { done(j.upload.url); })
				.catch(function (e) { failed(e.message); });
			}
		});
	}
	var files = document.querySelectorAll('.upload-field input[type=file][data-target]');
	for (var i = 0; i < files.length; i++)
		wire(files[i]);
})();
