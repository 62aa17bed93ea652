/*
 * blog-editor.js — the back office's article editor: refreshes the
 * preview as one types, with the HTML the server renders for the site
 * (POST /api/blog/preview, core/markdown.h). Without it the form's
 * "Prévisualiser" button does the same with a page load.
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
