/*
 * booking-card.js — the card step of a booking's page (card.c,
 * templates/reservation.html): loads Stripe.js from the form's
 * data-stripe-js (STRIPE_JS_URL), mounts a Payment Element with the
 * booking's client secret, confirms it (confirmPayment, or confirmSetup
 * for a SetupIntent) and comes back to the page, whose server asks Stripe
 * what became of the card: the browser's word is never taken. A declined
 * card shows the French of the page (data-declined…) and the form stays
 * for another try.
 */
(function () {
	"use strict";

	var form = document.getElementById("card-form");
	if (!form)
		return;
	var d = form.dataset;
	var err = document.getElementById("card-error");
	var button = document.getElementById("card-submit");
	var loading = document.getElementById("card-loading");

	function fail(text) {
		err.textContent = text;
		err.hidden = !text;
	}

	/* Stripe's error in the page's French (Stripe.js' own, localised, else) */
	function french(e) {
		var code = e.code || "", dcode = e.decline_code || "";
		if (code === "card_declined" || dcode || code === "expired_card" || code === "incorrect_cvc" ||
		    code === "insufficient_funds")
			return d.declined;
		if (code.indexOf("authentication") >= 0)
			return d.auth;
		if (e.type === "validation_error" && e.message)
			return e.message;
		return d.unavailable;
	}

	function start() {
		var stripe, elements;
		try {
			stripe = window.Stripe(d.key, { locale: "fr" });
			elements = stripe.elements({ clientSecret: d.secret, locale: "fr" });
			elements.create("payment").mount("#payment-element");
		} catch (e) {
			loading.hidden = true;
			fail(d.unavailable);
			return;
		}
		loading.hidden = true;
		form.hidden = false;
		form.addEventListener("submit", function (ev) {
			ev.preventDefault();
			fail("");
			button.disabled = true;
			var back = new URL(d["return"], location.href).href;
			var opts = { elements: elements, confirmParams: { return_url: back }, redirect: "if_required" };
			var p = d.intent === "setup" ? stripe.confirmSetup(opts) : stripe.confirmPayment(opts);
			p.then(function (r) {
				if (r && r.error) {
					fail(french(r.error));
					button.disabled = false;
					return;
				}
				/* the server reads the intent from Stripe */
				location.replace(back);
			}, function () {
				fail(d.unavailable);
				button.disabled = false;
			});
		});
	}

	loading.hidden = false;
	var s = document.createElement("script");
	s.src = d.stripeJs;
	s.onload = start;
	s.onerror = function () {
		loading.hidden = true;
		fail(d.unavailable);
	};
	document.head.appendChild(s);
})();
