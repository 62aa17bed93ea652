/*
 * booking.js — the booking funnel's live hints (templates/booking.html).
 * The funnel works without it: every step is a server-checked form.
 * Date step: the chosen day's free slots (GET /api/availability). Times
 * step: the price as the times and people change (POST
 * /api/calculate-price). Both only inform; the server decides.
 */
(function () {
	"use strict";

	function show(el, text) {
		el.textContent = text;
		el.hidden = !text;
	}

	function euros(v) {
		return Number(v).toLocaleString("fr-FR", { style: "currency", currency: "EUR" });
	}

	var dateForm = document.getElementById("date-form");
	if (dateForm) {
		var input = dateForm.querySelector("#date");
		var out = document.getElementById("live-availability");
		var seq = 0;
		var check = function () {
			var n = ++seq;
			if (!input.value) { show(out, ""); return; }
			fetch("/api/availability?spaceType=" + encodeURIComponent(dateForm.dataset.space) +
			      "&date=" + encodeURIComponent(input.value))
				.then(function (r) { return r.json(); })
				.then(function (a) {
					if (n !== seq) return;
					if (!a.slots) { show(out, ""); return; }
					var free = a.slots.filter(function (s) { return s.available; });
					if (!a.open || free.length === 0)
						show(out, a.closedReason ? "Fermé ce jour-là : " + a.closedReason + "."
							: "Aucun créneau libre ce jour-là.");
					else
						show(out, free.length + " créneaux d’une demi-heure libres, de " +
							free[0].time + " à " + free[free.length - 1].endTime + ".");
				})
				.catch(function () { show(out, ""); });
		};
		input.addEventListener("change", check);
		check();
	}

	var timeForm = document.getElementById("time-form");
	if (timeForm) {
		var quote = document.getElementById("live-quote");
		var qseq = 0;
		var update = function () {
			var n = ++qseq, body = {
				spaceType: timeForm.dataset.space,
				reservationType: timeForm.dataset.type,
				date: timeForm.dataset.date,
				numberOfPeople: parseInt(timeForm.querySelector("#numberOfPeople").value, 10) || 0
			};
			var s = timeForm.querySelector("#startTime"), e = timeForm.querySelector("#endTime");
			if (s && e) { body.startTime = s.value; body.endTime = e.value; }
			fetch("/api/calculate-price", {
				method: "POST",
				headers: { "Content-Type": "application/json" },
				body: JSON.stringify(body)
			})
				.then(function (r) { return r.json().then(function (j) { return { ok: r.ok, j: j }; }); })
				.then(function (res) {
					if (n !== qseq) return;
					if (res.ok && res.j.quote)
						show(quote, "Prix : " + euros(res.j.quote.totalPrice) + " TTC.");
					else
						show(quote, "Ce choix n’est pas possible : la page suivante vous dira pourquoi.");
				})
				.catch(function () { show(quote, ""); });
		};
		timeForm.addEventListener("change", update);
		update();
	}
})();
