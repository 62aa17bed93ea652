/*
 * catalogue.js — the live price preview of the admin's space form
 * (fcgi-apps/admin/templates/space.html). The page works without it:
 * "Prévisualiser" posts the form and the server answers with the quote.
 * With it, the same form is posted to /booking/space-preview as you
 * type and the server's answer (booking_price_quote with the unsaved
 * values) is shown. No price is computed here.
 */
(function () {
	"use strict";

	var form = document.getElementById("space-form");
	var out = document.getElementById("preview-result");
	if (!form || !out || !window.fetch || !window.URLSearchParams)
		return;
	var total = out.querySelector("[data-total]");
	var detail = out.querySelector("[data-detail]");
	var timer = 0, seq = 0;

	function show(t, d) {
		total.textContent = t;
		detail.textContent = d;
		out.hidden = false;
	}

	function run() {
		var n = ++seq;
		var body = new URLSearchParams(new FormData(form));
		body.delete("action");
		fetch("/booking/space-preview", {
			method: "POST",
			credentials: "same-origin",
			headers: { "Content-Type": "application/x-www-form-urlencoded" },
			body: body.toString()
		}).then(function (r) { return r.json(); }).then(function (j) {
			if (n !== seq)
				return;
			if (j.preview)
				show(j.preview.total, j.preview.detail);
			else if (j.error)
				show("—", j.error.message);
		}).catch(function () { /* the button still works */ });
	}

	function later() {
		clearTimeout(timer);
		timer = setTimeout(run, 250);
	}

	form.addEventListener("input", later);
	form.addEventListener("change", later);
})();
