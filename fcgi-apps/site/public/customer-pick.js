/*
 * customer-pick.js — the live customer search of the admin's booking
 * form (fcgi-apps/admin/templates/customer-pick.html). The page works
 * without it: "Chercher" posts the form and the server lists the
 * matches (customer_pick.c). With it, typing asks GET /api/users?q=
 * (the customers' list search) after a short pause and draws the same
 * radio choices, the chosen account kept; the count is said in the
 * status line (aria-live). No search is done here.
 */
(function () {
	"use strict";

	var input = document.getElementById("n-find");
	var list = document.getElementById("customer-list");
	var status = document.getElementById("customer-status");
	var button = input && input.form && input.form.querySelector("button[name=find]");
	if (!input || !list || !status || !window.fetch)
		return;
	var MAX = 10;
	var timer = 0, seq = 0, last = input.value.trim();

	function el(tag, cls, text) {
		var e = document.createElement(tag);
		if (cls)
			e.className = cls;
		if (text)
			e.textContent = text;
		return e;
	}

	/* one radio choice, as the template draws it */
	function choice(u, checked) {
		var label = el("label", "choice");
		var radio = el("input");
		radio.type = "radio";
		radio.name = "customer";
		radio.value = u.id;
		radio.checked = checked;
		var body = el("span", "choice-body");
		body.appendChild(el("strong", "", u.givenName || u.username || u.email || ""));
		body.appendChild(document.createTextNode(" "));
		var meta = el("span", "muted", u.email || "");
		if (u.phone) {
			meta.appendChild(document.createTextNode(" · "));
			meta.appendChild(el("span", "nowrap", u.phone));
		}
		body.appendChild(meta);
		label.appendChild(radio);
		label.appendChild(document.createTextNode("\n"));
		label.appendChild(body);
		return label;
	}

	function say(total, q) {
		if (total === 0)
			return "Aucun compte client ne correspond à « " + q + " ».";
		if (total === 1)
			return "1 compte client trouvé.";
		if (total <= MAX)
			return total + " comptes clients trouvés.";
		return total + " comptes clients trouvés : les " + MAX + " premiers sont affichés, précisez la recherche.";
	}

	function show(users, total, q) {
		/* the chosen account stays, first */
		var kept = list.querySelector("input[name=customer]:checked");
		var keep = kept ? kept.closest("label") : null;
		list.textContent = "";
		if (keep)
			list.appendChild(keep);
		users.forEach(function (u) {
			if (!keep || u.id !== kept.value)
				list.appendChild(choice(u, false));
		});
		status.textContent = say(total, q);
	}

	/* the page's way: post the form with find=1 */
	function post() {
		var h = el("input");
		h.type = "hidden";
		h.name = "find";
		h.value = "1";
		input.form.appendChild(h);
		input.form.submit();
	}

	function run(asked) {
		var q = input.value.trim(), n = ++seq;
		if (q === last && !asked)
			return;
		last = q;
		if (!q) {
			status.textContent = asked ? "Saisissez un nom, un e-mail ou un téléphone." : "";
			return;
		}
		fetch("/api/users?limit=" + MAX + "&q=" + encodeURIComponent(q), {
			credentials: "same-origin",
			headers: { "Accept": "application/json" }
		}).then(function (r) { return r.json(); }).then(function (j) {
			if (n !== seq)
				return;
			if (j.users)
				show(j.users, j.pagination ? j.pagination.total : j.users.length, q);
			else if (j.error)
				status.textContent = j.error.message;
		}).catch(function () {
			if (asked && n === seq)
				post();   /* asked for: the server answers instead */
		});
	}

	function later() {
		clearTimeout(timer);
		timer = setTimeout(run, 300);
	}

	input.addEventListener("input", later);
	/* "Chercher" (and Enter in a field: it is the form's first button)
	 * searches here, without leaving the page */
	if (button)
		button.addEventListener("click", function (ev) {
			ev.preventDefault();
			clearTimeout(timer);
			run(true);
		});
})();
