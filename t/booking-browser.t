#!/usr/bin/perl
# The booking funnel end to end in headless Chromium, as a customer walks
# it: space → formula → date (the day's free slots appear live) → times and
# people (live price) → services → contact → summary (the quote shown is
# the API's) → the card step with the fake Stripe.js served by
# t/fake/stripe (STRIPE_JS_URL) → the confirmation page, which asks Stripe
# through the server (no webhook is configured here: the page's word is
# Stripe's, never the browser's).
#   - a guest books the Verrière on a laptop: "carte autorisée", the
#     booking pending with its hold requires_capture at the fake;
#   - a guest on a phone (390×844): a declined card shows the French error
#     and the form lets them try another card;
#   - without JavaScript the card page says a card is needed and why;
#   - a signed-in customer books more than holdLeadDays ahead (a
#     SetupIntent: "carte enregistrée") and ends in /dashboard/reservations;
#   - on a stack without payments the confirmation says the request waits
#     for the staff.
use strict;
use warnings;
use utf8;
use FindBin;
use lib "$FindBin::Bin/lib", "$FindBin::Bin/fake";
use CWC::Browser;
use CWC::Bookings qw(add_days);
use CWC::Stack;
use FakeService;
use HTTP::Tiny;
use JSON::PP;
use Test::More;
binmode $_, ':encoding(UTF-8)' for map { Test::More->builder->$_ } qw(output failure_output todo_output);

plan skip_all => 'chromium is not installed' unless CWC::Browser::binary();

my $KEY = 'sk_test_cwc_' . join('', map { ('a' .. 'z', 0 .. 9)[rand 36] } 1 .. 24);
my $stripe = FakeService->start('stripe', '--key', $KEY);
my %pay = (
	STRIPE_SECRET_KEY => $KEY, STRIPE_PUBLIC_KEY => 'pk_test_cwc', STRIPE_WEBHOOK_SECRET => 'whsec_unused',
	STRIPE_API_BASE => $stripe->url, STRIPE_JS_URL => $stripe->url . '/v3/',
	CWC_CSP_STRIPE_SCRIPT => $stripe->url, CWC_CSP_STRIPE_CONNECT => $stripe->url,
	CWC_THROTTLE_GUEST_BOOKING => '100000/3600',
);
my $s = CWC::Stack->start(env => \%pay);
my $bk = CWC::Bookings->new($s);
my $b = CWC::Browser->start or BAIL_OUT('chromium did not start');
my $today = $bk->today_paris;

sub fake_obj {
	my $r = HTTP::Tiny->new(timeout => 5)->get($stripe->url . "/_fake/objects/$_[0]");
	return $r->{success} ? decode_json($r->{content}) : {};
}
# the first day from `ahead` days on that is open (not 25 Dec or 1 Jan)
sub day_ahead {
	my $d = add_days($today, $_[0]);
	$d = add_days($d, 1) while $d =~ /-(12-25|01-01)$/ || $bk->holiday_name($d);
	return $d;
}

# The funnel's current step (its label), once the page shows `label`.
sub at_step {
	my ($p, $label) = @_;
	return $p->wait_for(qq{document.readyState === 'complete' &&
		(document.querySelector('.steps [aria-current=step] .label') || {}).textContent === '$label'}, 15);
}
sub run { my ($p, $js) = @_; $p->js("(function () { $js })(); true") }
sub submit_form { my ($p, $sel) = @_; run($p, qq{document.querySelector('$sel').requestSubmit()}) }

# Walks the funnel's first steps, up to the contact step. %o: space, type,
# date, start, end, people, service (index of the service to tick or undef).
sub walk_to_contact {
	my ($p, %o) = @_;
	$p->goto(($o{base} // $s->site_url) . '/booking');
	ok at_step($p, 'Espace'), "$o{who}: the funnel opens on the space step";
	run($p, qq{document.querySelector('input[name=spaceType][value="$o{space}"]').click()});
	submit_form($p, 'form[action="/booking"]');
	my $label = $o{type} ? 'Formule' : 'Date';
	ok at_step($p, $label), "$o{who}: then the formula";
	if ($o{type}) {
		run($p, qq{document.querySelector('input[name=reservationType][value="$o{type}"]').click()});
		submit_form($p, 'form[action="/booking"]');
		ok at_step($p, 'Date'), "$o{who}: then the date";
	}
	run($p, qq{var i = document.getElementById('date'); i.value = '$o{date}'; i.dispatchEvent(new Event('change'))});
	ok $p->wait_for(q{!document.getElementById('live-availability').hidden &&
		/créneaux d’une demi-heure libres/.test(document.getElementById('live-availability').textContent)}, 10),
		"$o{who}: the day's free slots appear as the date is chosen";
	submit_form($p, '#date-form');
	ok at_step($p, 'Horaires'), "$o{who}: then the times";
	if ($o{start}) {
		ok $p->js(q{document.querySelectorAll('.slots li.free').length > 10}), "$o{who}: the day's slots are listed";
		run($p, qq{document.getElementById('startTime').value = '$o{start}';
			   document.getElementById('endTime').value = '$o{end}'});
	}
	run($p, qq{var n = document.getElementById('numberOfPeople'); n.value = '$o{people}';
		   document.getElementById('time-form').dispatchEvent(new Event('change'))});
	ok $p->wait_for(q{/^Prix : /.test(document.getElementById('live-quote').textContent)}, 10),
		"$o{who}: the price follows the times and people";
	submit_form($p, '#time-form');
	ok at_step($p, 'Services'), "$o{who}: then the services";
	run($p, qq{document.querySelectorAll('input[name=service]')[$o{service}].click()}) if defined $o{service};
	submit_form($p, 'form[action="/booking"]');
	ok at_step($p, 'Coordonnées'), "$o{who}: then the contact details";
}

# The summary's total (euros, a number), as shown.
sub shown_total {
	my ($p) = @_;
	my $t = $p->js(q{document.querySelector('table.quote tr.total td').textContent});
	$t =~ s/[^\d,]//g;
	$t =~ tr/,/./;
	return $t + 0;
}

# Books from the summary; returns once the booking's page is open.
sub book_from_summary {
	my ($p, $who) = @_;
	run($p, q{document.querySelector('input[name=terms]').click()});
	run($p, q{document.querySelector('button[name=book]').click()});
	ok $p->wait_for(q{/^\/(reservation|dashboard\/reservations)\/CWC-/.test(location.pathname) && document.readyState === 'complete'}, 20),
		"$who: booked, on the booking's page";
}

# Picks the fake Payment Element's card `n` (0 accepted, 1 declined) and confirms.
sub pay_with {
	my ($p, $n) = @_;
	ok $p->wait_for(q{document.querySelectorAll('#payment-element input[name=fake-card]').length === 4 &&
			   !document.getElementById('card-form').hidden}, 15), 'the Payment Element is mounted';
	run($p, qq{document.querySelectorAll('#payment-element input[name=fake-card]')[$n].click();
		   document.getElementById('card-submit').click()});
}

# --- a guest books the Verrière on a laptop ----------------------------------------
my $day = day_ahead(1);   # within holdLeadDays: the hold is placed at once
my $p = $b->page;
$p->viewport(1280, 800);
walk_to_contact($p, who => 'guest', space => 'salle-verriere', type => 'hourly', date => $day,
		start => '10:00', end => '12:00', people => 3, service => 0);
my $service = $p->js(q{document.querySelector('input[name=service]') && document.querySelector('input[name=service]').value});
run($p, q{document.getElementById('contactName').value = 'Camille Martin-Lefèvre';
	  document.getElementById('contactEmail').value = 'Camille.Browser@Example.com';
	  document.getElementById('contactPhone').value = '+33 6 12 34 56 78';
	  document.getElementById('contactPhone').form.requestSubmit()});
ok at_step($p, 'Récapitulatif'), 'guest: the summary';
my $quote = $s->post('/api/calculate-price', json => { spaceType => 'salle-verriere', reservationType => 'hourly',
	date => $day, startTime => '10:00', endTime => '12:00', numberOfPeople => 3,
	services => [ $service ] })->{json}{quote};
ok $quote && $quote->{totalPrice} > 0, "the API's quote" or diag explain $quote;
is shown_total($p), $quote->{totalPrice}, "the summary shows the API's quote ($quote->{totalPrice} €)";
like $p->js(q{document.getElementById('card-next').textContent}), qr/empreinte/, 'the summary announces the card step';
book_from_summary($p, 'guest');
my ($number) = $p->js('location.pathname') =~ m{(CWC-[A-Z0-9]{6})};
ok $number, "the booking $number";
like $p->js('document.querySelector("h1").textContent'), qr/carte bancaire/, 'the card step';
my $token = $p->js(q{new URLSearchParams(location.search).get('token')});
my $api = $s->get("/api/bookings/$number?token=$token")->{json}{booking};
is $api->{status}, 'pending', 'the booking waits for its card';
(my $hold = sprintf('%.2f', $api->{depositAmount} / 100)) =~ s/\.00$//;
$hold =~ tr/./,/;
like $p->js(q{document.getElementById('card-hold').textContent}), qr/^\Q$hold\E[\s\x{a0}]?€$/, "the hold shown is the server's ($hold €)";
ok $p->js(q{document.querySelector('#card-step details li') !== null}), 'with the cancellation policy';
pay_with($p, 0);
ok $p->wait_for(q{document.getElementById('card-status') && /Carte autorisée/.test(document.getElementById('card-status').textContent)}, 20),
	'the confirmation page says "carte autorisée"';
like $p->js('document.body.textContent'), qr/\Q$number\E/, 'and shows the confirmation number';
like $p->js('document.querySelector("h1").textContent'), qr/Merci/, 'and thanks the guest';
ok !$p->js(q{!!document.getElementById('card-form')}), 'the card form is gone';
$api = $s->get("/api/bookings/$number?token=$token")->{json}{booking};
is $api->{status}, 'pending', 'the booking is pending (the staff validate it)';
is $api->{paymentStatus}, 'authorized', 'its card authorised';
is fake_obj($api->{stripePaymentIntentId})->{status}, 'requires_capture', 'the hold is requires_capture at Stripe (the fake)';
is fake_obj($api->{stripePaymentIntentId})->{amount}, $api->{depositAmount}, 'for the hold of the quote';
my @pr;
ok !(@pr = $p->problems), 'no console error or failed load (CSP included)' or diag join "\n", @pr;

# --- without JavaScript, the card page explains -----------------------------------------
my $r = $s->post('/api/bookings', json => $bk->body(spaceType => 'open-space', date => day_ahead(2),
	contactEmail => 'sans.js@example.com'));
is $r->{status}, 201, 'another guest booking, for the page without JavaScript';
my $nojs = $b->page;
$nojs->cmd('Emulation.setScriptExecutionDisabled', { value => JSON::PP::true() });
$nojs->goto($s->site_url . "$r->{json}{manageUrl}&new=1");
like $nojs->js(q{document.getElementById('card-noscript') ? document.getElementById('card-noscript').textContent : ''}),
	qr/carte bancaire est nécessaire.*JavaScript/s, 'without JavaScript: a card is needed, and why';
ok $nojs->js(q{document.getElementById('card-form').hidden}), 'and no dead form is shown';

# --- a guest on a phone: a declined card, then another ----------------------------------
my $phone = $b->page;
$phone->viewport(390, 844);
walk_to_contact($phone, who => 'phone guest', space => 'open-space', type => 'hourly', date => $day,
		start => '14:00', end => '16:00', people => 2);
run($phone, q{document.getElementById('contactName').value = 'Dominique Téléphone';
	      document.getElementById('contactEmail').value = 'dominique.phone@example.com';
	      document.getElementById('contactPhone').value = '06 12 34 56 78';
	      document.getElementById('contactPhone').form.requestSubmit()});
ok at_step($phone, 'Récapitulatif'), 'phone guest: the summary';
ok $phone->js(q{document.documentElement.scrollWidth <= window.innerWidth}), 'phone: the summary fits the screen';
book_from_summary($phone, 'phone guest');
ok $phone->js(q{document.documentElement.scrollWidth <= window.innerWidth}), 'phone: the card page fits the screen';
pay_with($phone, 1);
ok $phone->wait_for(q{!document.getElementById('card-error').hidden}, 15), 'a declined card: an error';
like $phone->js(q{document.getElementById('card-error').textContent}), qr/Votre carte a été refusée/, 'in French, next to the card';
ok !$phone->js(q{document.getElementById('card-submit').disabled}), 'the form stays, to try again';
($number) = $phone->js('location.pathname') =~ m{(CWC-[A-Z0-9]{6})};
$token = $phone->js(q{new URLSearchParams(location.search).get('token')});
isnt $s->get("/api/bookings/$number?token=$token")->{json}{booking}{paymentStatus}, 'authorized', 'nothing authorised';
run($phone, q{document.querySelectorAll('#payment-element input[name=fake-card]')[0].click();
	      document.getElementById('card-submit').click()});
ok $phone->wait_for(q{document.getElementById('card-status') && /Carte autorisée/.test(document.getElementById('card-status').textContent)}, 20),
	'another card: "carte autorisée"';
is $s->get("/api/bookings/$number?token=$token")->{json}{booking}{paymentStatus}, 'authorized', 'the server agrees';
ok !(@pr = grep { !/status of 402/ } $phone->problems), 'phone: no console error' or diag join "\n", @pr;

# --- a signed-in customer, more than holdLeadDays ahead: a SetupIntent ----------------
my $member = $b->page;
$member->viewport(1280, 800);
$member->sign_in($s->site_url, '/auth/login', 'client');
my $later = day_ahead(20);
walk_to_contact($member, who => 'customer', space => 'open-space', type => 'daily', date => $later, people => 1);
like $member->js('document.getElementById("main") ? document.body.textContent : document.body.textContent'),
	qr/Vous réservez avec votre compte/, 'customer: no contact details asked';
submit_form($member, 'form[action="/booking"][method=post]');
ok at_step($member, 'Récapitulatif'), 'customer: the summary';
book_from_summary($member, 'customer');
like $member->js('location.pathname'), qr{^/dashboard/reservations/CWC-}, 'on the dashboard';
like $member->js(q{document.getElementById('card-submit') ? document.getElementById('card-submit').textContent : ''}),
	qr/Enregistrer ma carte/, 'beyond holdLeadDays the card is saved (a SetupIntent)';
pay_with($member, 0);
ok $member->wait_for(q{document.getElementById('card-status') && /Carte enregistrée/.test(document.getElementById('card-status').textContent)}, 20),
	'"carte enregistrée"';
($number) = $member->js('location.pathname') =~ m{(CWC-[A-Z0-9]{6})};
$member->goto($s->site_url . '/dashboard/reservations');
ok $member->js(qq{!!document.querySelector('a[href="/dashboard/reservations/$number"]')}), 'listed in /dashboard/reservations';
ok !(@pr = $member->problems), 'customer: no console error' or diag join "\n", @pr;

# --- without payments: the request waits for the staff -----------------------------------
my $s2 = CWC::Stack->start(env => { CWC_THROTTLE_GUEST_BOOKING => '100000/3600' });
$s2->seed;
{
	my $q = $b->page;
	$q->viewport(1280, 800);
	walk_to_contact($q, base => $s2->site_url, who => 'no payments', space => 'salle-verriere', type => 'hourly', date => $day,
			start => '10:00', end => '11:00', people => 2);
	run($q, q{document.getElementById('contactName').value = 'Alex Sans-Carte';
		  document.getElementById('contactEmail').value = 'alex@example.com';
		  document.getElementById('contactPhone').value = '0612345678';
		  document.getElementById('contactPhone').form.requestSubmit()});
	ok at_step($q, 'Récapitulatif'), 'no payments: the summary';
	like $q->js('document.body.textContent'), qr/transmise à l’équipe/, 'which says the request goes to the staff';
	book_from_summary($q, 'no payments');
	ok $q->js(q{!document.getElementById('card-step') && !!document.getElementById('waits-for-staff')}),
		'the confirmation says it waits for the staff, no card step';
	like $q->js('document.body.textContent'), qr/CWC-[A-Z0-9]{6}/, 'with the confirmation number';
	ok !(@pr = $q->problems), 'no console error' or diag join "\n", @pr;
}

done_testing;
