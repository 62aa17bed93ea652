/*
 * stripe.js — a stand-in for Stripe.js v3 (https://docs.stripe.com/js),
 * served by t/fake/stripe at GET /v3/ so that a browser test can "enter a
 * card" offline. Only what the booking funnel's card step uses:
 *
 *   var stripe = Stripe(publishableKey, {locale});
 *   var elements = stripe.elements({clientSecret});
 *   elements.create('payment').mount('#payment-element');
 *   stripe.confirmPayment({elements, confirmParams: {return_url}, redirect});
 *   stripe.confirmSetup({elements, confirmParams: {return_url}, redirect});
 *
 * The Payment Element is a plain form of test cards (radio buttons named
 * "fake-card"): accepted (pm_card_visa), declined
 * (pm_card_chargeDeclined), authentication required
 * (pm_card_authenticationRequired: the "3-D Secure" step is approved, or
 * refused with the fourth choice). Confirming calls the fake's
 * /_fake/confirm as Stripe.js calls Stripe from the customer's browser,
 * and resolves like Stripe.js: {paymentIntent} / {setupIntent}, or
 * {error: {type, code, decline_code, message}} — never rejects for a
 * declined card. With redirect 'always' it goes to return_url with
 * Stripe's query parameters, as after a redirect-based method.
 */
(function () {
	"use strict";

	var script = document.currentScript;
	var base = script ? new URL(script.src).origin : "";
	var CARDS = [
		{ pm: "pm_card_visa", label: "Visa 4242 4242 4242 4242 — acceptée" },
		{ pm: "pm_card_chargeDeclined", label: "Visa 4000 0000 0000 0002 — refusée" },
		{ pm: "pm_card_authenticationRequired", label: "Visa 4000 0027 6000 3184 — 3-D Secure (validé)" },
		{ pm: "pm_card_authenticationRequired", label: "Visa 4000 0027 6000 3184 — 3-D Secure (refusé)", refuse: true }
	];

	function post(body) {
		/* text/plain: a simple request, as the fake answers any origin */
		return fetch(base + "/_fake/confirm", { method: "POST", headers: { "Content-Type": "text/plain" },
							body: JSON.stringify(body) })
			.then(function (r) { return r.json().then(function (j) { return { ok: r.ok, j: j }; }); });
	}

	function Elements(clientSecret) {
		if (typeof clientSecret !== "string" || clientSecret.indexOf("_secret_") < 0)
			throw new Error("IntegrationError: elements() needs the intent's clientSecret.");
		this.clientSecret = clientSecret;
		this.element = null;
	}

	Elements.prototype.create = function (type) {
		if (type !== "payment")
			throw new Error("IntegrationError: this fake only has the 'payment' Element.");
		var self = this, root = null;
		this.element = {
			mount: function (sel) {
				root = typeof sel === "string" ? document.querySelector(sel) : sel;
				if (!root)
					throw new Error("IntegrationError: no element matches " + sel);
				var fs = document.createElement("fieldset");
				fs.className = "fake-stripe-element";
				var lg = document.createElement("legend");
				lg.textContent = "Carte de test (Stripe simulé)";
				fs.appendChild(lg);
				CARDS.forEach(function (c, i) {
					var l = document.createElement("label"), r = document.createElement("input");
					r.type = "radio";
					r.name = "fake-card";
					r.value = String(i);
					r.checked = i === 0;
					l.appendChild(r);
					l.appendChild(document.createTextNode(" " + c.label));
					l.style.display = "block";
					fs.appendChild(l);
				});
				root.appendChild(fs);
			},
			card: function () {
				var r = root && root.querySelector("input[name=fake-card]:checked");
				return CARDS[r ? Number(r.value) : 0];
			}
		};
		return this.element;
	};

	function confirm(kind) {
		return function (opts) {
			var elements = opts && opts.elements;
			if (!elements || !elements.element)
				return Promise.reject(new Error("IntegrationError: confirm needs the mounted elements."));
			var secret = elements.clientSecret, id = secret.split("_secret_")[0];
			if ((kind === "setup") !== (id.indexOf("seti_") === 0))
				return Promise.reject(new Error("IntegrationError: " + (kind === "setup" ? "confirmSetup" : "confirmPayment") +
								" with the client secret of another kind of intent."));
			var card = elements.element.card();
			var done = function (res) {
				var o = res.j;
				if (!res.ok)
					return { error: o.error || { type: "api_error", message: "Stripe (fake) failed." } };
				var err = o.last_payment_error || o.last_setup_error;
				if (o.status === "requires_payment_method" && err)
					return { error: err };
				var redirect = opts.redirect || "always", ret = opts.confirmParams && opts.confirmParams.return_url;
				if (redirect === "always" && ret) {
					var u = new URL(ret);
					u.searchParams.set(kind === "setup" ? "setup_intent" : "payment_intent", o.id);
					u.searchParams.set(kind === "setup" ? "setup_intent_client_secret" : "payment_intent_client_secret", secret);
					u.searchParams.set("redirect_status", "succeeded");
					location.assign(u.href);
					return new Promise(function () {});
				}
				var out = {};
				out[kind === "setup" ? "setupIntent" : "paymentIntent"] = o;
				return out;
			};
			return post({ id: id, clientSecret: secret, paymentMethod: card.pm }).then(function (res) {
				if (res.ok && res.j.status === "requires_action")   /* the bank's "3-D Secure" page */
					return post({ id: id, clientSecret: secret, authenticate: !card.refuse }).then(done);
				return done(res);
			});
		};
	}

	window.Stripe = function (key, options) {
		if (typeof key !== "string" || key.indexOf("pk_") !== 0)
			throw new Error("IntegrationError: Invalid value for Stripe(): apiKey should be a publishable key.");
		return {
			_options: options || {},
			elements: function (o) { return new Elements(o && o.clientSecret); },
			confirmPayment: confirm("payment"),
			confirmSetup: confirm("setup")
		};
	};
})();
