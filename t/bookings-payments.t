#!/usr/bin/perl
# A booking's card hold through Caddy and the fake of Stripe (SPEC §7):
# creating a booking places a manual-capture PaymentIntent of its hold
# (or a SetupIntent when it is more than holdLeadDays ahead), the
# customer's card is confirmed at the fake as Stripe.js would, the
# webhook's events set the booking and `payments` from the intent read
# back from Stripe, and the lifecycle moves the money: refused or present
# → released; no-show or late cancel → the fee captured; cancelled after
# a capture → the difference refunded. place-holds, expire-holds, Stripe
# down while booking, and stale or repeated events.
use strict;
use warnings;
use utf8;
use FindBin;
use POSIX ();
use lib "$FindBin::Bin/lib", "$FindBin::Bin/fake";
use CWC::Stack;
use CWC::Bookings qw(add_days);
use CWC::Cron;
use CWC::Stripe;
use FakeService;
use HTTP::Tiny;
use JSON::PP;
use POSIX ();
use Test::More;
use Time::HiRes qw(sleep time);
binmode $_, ':encoding(UTF-8)' for map { Test::More->builder->$_ } qw(output failure_output todo_output);

my $KEY = 'sk_test_cwc_' . join('', map { ('a' .. 'z', 0 .. 9)[rand 36] } 1 .. 24);
my $SECRET = 'whsec_' . join('', map { ('a' .. 'z', 0 .. 9)[rand 36] } 1 .. 32);
my $stripe = FakeService->start('stripe', '--key', $KEY);
my $s = CWC::Stack->start(env => {
	STRIPE_SECRET_KEY => $KEY, STRIPE_PUBLIC_KEY => 'pk_test_cwc', STRIPE_WEBHOOK_SECRET => $SECRET,
	STRIPE_API_BASE => $stripe->url, CWC_THROTTLE_GUEST_BOOKING => '100000/3600',
});
$stripe->control(webhookUrl => $s->site_url . '/api/webhooks/stripe', webhookSecrets => [ $SECRET ]);
my $b = CWC::Bookings->new($s);
my $client = $s->login('client');
my $today = $b->today_paris;

my $api = HTTP::Tiny->new(timeout => 10);
sub fake_post {
	my ($path, $o) = @_;
	my $r = $api->post($stripe->url . $path, { headers => { 'Content-Type' => 'application/json' },
						   content => encode_json($o) });
	return decode_json($r->{content});
}
sub fake_obj { my $r = $api->get($stripe->url . "/_fake/objects/$_[0]"); $r->{success} ? decode_json($r->{content}) : {} }
sub stripe_api {
	my ($method, $path, $form) = @_;
	my $r = $api->request($method, $stripe->url . $path, {
		headers => { Authorization => "Bearer $KEY", 'Content-Type' => 'application/x-www-form-urlencoded',
			     'Idempotency-Key' => "test-$path-" . time },
		(defined $form ? (content => $form) : ()) });
	return decode_json($r->{content});
}
sub api_calls { grep { $_->{method} && $_->{path} =~ m{^/v1/} } $stripe->records }
sub payments { CWC::Stripe::collection($s, 'payments') }
# the stored booking's holdCaptureBefore equals the fake charge's capture_before
sub stored_capture_before_is {
	my ($id, $intent, $what) = @_;
	my $ch = fake_obj(fake_obj($intent)->{latest_charge} // 'none');
	my $cb = $ch->{payment_method_details}{card}{capture_before} // 0;
	my ($bk) = grep { ($_->{_id} // '') eq $id } CWC::Stripe::collection($s, 'bookings');
	my $want = POSIX::strftime('%Y-%m-%d %H:%M:%S', gmtime $cb);
	like $bk->{holdCaptureBefore} // '', qr/^\Q$want\E(?:\+00:00)?$/, "  its expiry stored from Stripe's capture_before ($what)";
	return $cb;
}

# the first day from `ahead` days on that is open all afternoon
sub day_ahead {
	my ($ahead) = @_;
	my $d = add_days($today, $ahead);
	$d = add_days($d, 1) while $d =~ /-(12-25|01-01)$/;
	return $d;
}
my $later = day_ahead(20);   # beyond: a SetupIntent

# the booking as its owner sees it
sub reread {
	my ($bk) = @_;
	my $r = $bk->{token} ? $s->get("/api/bookings/$bk->{id}?token=$bk->{token}")
			     : $s->get("/api/bookings/$bk->{id}", session => $client);
	die "reread: $r->{status}" unless $r->{status} == 200;
	return $r->{json}{booking};
}
sub wait_for {
	my ($what, $cond) = @_;
	my $deadline = time + 40;
	my $v;
	while (time < $deadline) {
		return $v if $v = $cond->();
		sleep 0.1;
	}
	fail "in time: $what";
	return;
}
sub wait_status {
	my ($bk, $status) = @_;
	my $last;
	return wait_for("paymentStatus $status", sub {
		$last = reread($bk);
		($last->{paymentStatus} // '') eq $status ? $last : undef;
	}) // $last;
}

my $n = 0;
sub book {
	my (%o) = @_;
	my $guest = delete $o{guest};
	$n++;
	# a slot of its own: 10:00–19:00 over 1 to 3 days ahead (all within holdLeadDays)
	my $r = $b->book(date => day_ahead(1 + int(($n - 1) / 9) % 3), spaceType => 'salle-verriere',
			 startTime => sprintf('%02d:00', 10 + ($n - 1) % 9), endTime => sprintf('%02d:00', 11 + ($n - 1) % 9),
			 numberOfPeople => 3,
			 ($guest ? (contactEmail => "invite.$n\@example.com", contactName => "Invitée numéro $n de la Verrière")
				 : (session => $client, contactName => undef, contactEmail => undef, contactPhone => undef)),
			 %o);
	is $r->{status}, 201, "booking $n made" or diag $r->{content};
	my $bk = { id => $r->{json}{booking}{_id}, number => $r->{json}{booking}{confirmationNumber},
		   secret => $r->{json}{clientSecret}, type => $r->{json}{intentType},
		   hold => $r->{json}{booking}{depositAmount}, total => $r->{json}{booking}{totalPrice} };
	($bk->{token}) = ($r->{json}{manageUrl} // '') =~ /token=([0-9a-f]{64})/;
	($bk->{intent}) = ($bk->{secret} // '') =~ /^((?:pi|seti)_[0-9a-f]+)_secret_/;
	return $bk;
}
sub authorise {
	my ($bk, $pm) = @_;
	my $o = fake_post('/_fake/confirm', { id => $bk->{intent}, paymentMethod => $pm // 'pm_card_visa' });
	return $o;
}
sub staff { my ($rc, $out) = $s->ctl('booking-status', @_); is $rc, 0, "staff: $_[0] → $_[1]" or diag $out }

# ---- 1. a customer's booking: hold, authorised, validated, present -------------------------------------

my $c1 = book();
like $c1->{secret}, qr/^pi_\w+_secret_\w+$/, "the answer carries the PaymentIntent's client secret";
is $c1->{type}, 'payment', '  a payment (not a setup) intent';
my $pi = fake_obj($c1->{intent});
is $pi->{capture_method}, 'manual', '  capture_method=manual: a hold';
is $pi->{amount}, $c1->{hold}, "  of the booking's hold ($c1->{hold} cents)";
is $pi->{metadata}{bookingId}, $c1->{id}, '  metadata.bookingId';
my ($create) = grep { $_->{method} eq 'POST' && $_->{path} eq '/v1/payment_intents' && ($_->{id} // '') eq $c1->{intent} } api_calls();
is $create->{idempotencyKey}, "cwc-booking/$c1->{id}/hold", "  Idempotency-Key from booking/<id>/hold";
my $doc = reread($c1);
is $doc->{paymentStatus}, 'pending', '  paymentStatus pending until the card is given';
ok $doc->{holdExpiresAt}, '  with a hold deadline';
authorise($c1);
$doc = wait_status($c1, 'authorized');
is $doc->{paymentStatus}, 'authorized', 'the card authorised (webhook): paymentStatus authorized';
{
	my $cb = stored_capture_before_is($c1->{id}, $c1->{intent}, 'on session');
	my $ch = fake_obj(fake_obj($c1->{intent})->{latest_charge} // 'none');
	is $cb - ($ch->{created} // 0), 7 * 86400, '  on session: 7 days after the authorisation';
}
ok !exists $doc->{holdExpiresAt}, '  the deadline is gone: the slot is held for the staff';
like $s->wait_mail('client@coworkingcafe.local', qr/\Q$c1->{number}\E.*empreinte/s),
	qr/empreinte/, '  the "en attente" mail';
my ($hold) = grep { $_->{_id} eq "booking/$c1->{id}/hold" } payments();
is $hold->{status}, 'authorized', '  its payments document: the hold, authorized';
is $hold->{stripePaymentIntentId}, $c1->{intent}, '  with the intent id';
staff($c1->{number}, 'confirmed');
staff($c1->{number}, 'completed');
is fake_obj($c1->{intent})->{status}, 'canceled', 'present: the hold is released at Stripe';
$doc = wait_status($c1, 'released');
is $doc->{paymentStatus}, 'released', '  paymentStatus released';
is scalar(grep { $_->{_id} eq "booking/$c1->{id}/release" && $_->{status} eq 'succeeded' } payments()), 1,
	'  one payments document for the release';

# ---- 2. a guest, and a refusal ----------------------------------------------------------------------------

my $g = book(guest => 1);
ok $g->{token}, 'a guest books (private link)';
like $g->{secret}, qr/^pi_/, '  with a hold to authorise';
authorise($g);
is wait_status($g, 'authorized')->{paymentStatus}, 'authorized', "  authorised: the guest's booking waits for the staff";
$s->wait_mail("invite.$n\@example.com", qr/empreinte/);
pass '  the guest has the "en attente" mail';
staff($g->{number}, 'cancelled');   # refused
is fake_obj($g->{intent})->{status}, 'canceled', 'refused: the hold is released';
is wait_status($g, 'released')->{status}, 'cancelled', '  the booking cancelled, paymentStatus released';

# ---- 2b. the confirmation page asks the server, which asks Stripe -------------------------------------------------

$stripe->control(deliver => JSON::PP::false);   # no webhook this time
my $pc = book(guest => 1);
my $r = $s->post("/api/bookings/$pc->{id}/payment-check", json => { token => $pc->{token}, status => 'succeeded',
								  paymentStatus => 'authorized' });
is $r->{status}, 200, 'payment-check before the card is given: 200' or diag $r->{content};
is $r->{json}{booking}{paymentStatus}, 'pending', '  still pending: what the browser claims is not read';
is $r->{json}{clientSecret}, $pc->{secret}, '  with the client secret to finish the card step';
is $s->post("/api/bookings/$pc->{id}/payment-check", json => {})->{status}, 404, '  without the guest token: 404';
authorise($pc);
$r = $s->post("/api/bookings/$pc->{id}/payment-check", json => { token => $pc->{token} });
is $r->{json}{booking}{paymentStatus}, 'authorized', '  after the card, without any webhook: authorized (read from Stripe)';
ok !exists $r->{json}{booking}{holdExpiresAt}, '  the slot held for the staff';
is $r->{json}{clientSecret}, undef, '  nothing left for the customer to do: no client secret';
$stripe->control(deliver => JSON::PP::true);

# ---- 3. no-show: the fee captured ---------------------------------------------------------------------------

my $ns = book();
authorise($ns);
wait_status($ns, 'authorized');
staff($ns->{number}, 'confirmed');
{	# two staff at once: one move, one capture
	my @kids = map {
		my $pid = fork // die "fork: $!";
		if (!$pid) { my ($rc) = $s->ctl('booking-status', $ns->{number}, 'no-show'); POSIX::_exit($rc ? 1 : 0) }
		$pid;
	} 1 .. 2;
	my @rcs = map { waitpid($_, 0); $? >> 8 } @kids;
	is_deeply [ sort @rcs ], [ 0, 1 ], 'no-show marked twice at once: one succeeds, one is refused';
}
my $fee = int($ns->{total} * 70 + 0.5);   # cents: the meeting rooms' 0-day tier, 70 % of the total
$fee = $ns->{hold} if $fee > $ns->{hold};
$pi = fake_obj($ns->{intent});
is $pi->{status}, 'succeeded', 'no-show: the hold is captured';
is $pi->{amount_received}, $fee, "  the no-show fee only ($fee of $ns->{hold} cents; the rest released)";
$doc = wait_status($ns, 'paid');
is $doc->{amountPaid}, $fee / 100, '  amountPaid in euros';
is scalar(grep { ($_->{booking} // '') eq $ns->{id} && $_->{kind} eq 'capture' } payments()), 1, '  one capture document';
is scalar(grep { $_->{method} eq 'POST' && $_->{path} eq "/v1/payment_intents/$ns->{intent}/capture" } api_calls()), 1,
	'  one capture request to Stripe';

# ---- 4. late cancellation by the customer: the fee captured ---------------------------------------------------

my $lc = book();
authorise($lc);
wait_status($lc, 'authorized');
staff($lc->{number}, 'confirmed');
$r = $s->post("/api/bookings/$lc->{id}/cancel", session => $client, json => { reason => 'Empêchement de dernière minute' });
is $r->{status}, 200, 'the customer cancels a day or three before' or diag $r->{content};
my $lfee = int($r->{json}{fees}{cancellationFee} * 100 + 0.5);
ok $lfee > 0 && $lfee < $lc->{hold}, "  a fee ($lfee cents) below the hold";
$pi = fake_obj($lc->{intent});
is $pi->{amount_received}, $lfee, '  exactly the fee captured at Stripe';
is wait_status($lc, 'paid')->{amountPaid}, $lfee / 100, '  amountPaid = the fee';

# ---- 5. cancelled after a capture: the difference refunded -----------------------------------------------------

my $rf = book();
authorise($rf);
wait_status($rf, 'authorized');
staff($rf->{number}, 'confirmed');
stripe_api('POST', "/v1/payment_intents/$rf->{intent}/capture", '');   # captured in full (Stripe's dashboard)
is wait_status($rf, 'paid')->{amountPaid}, $rf->{hold} / 100, 'a hold captured in full: paid (webhook)';
$r = $s->post("/api/bookings/$rf->{id}/cancel", session => $client, json => {});
is $r->{status}, 200, '  then cancelled';
my $rfee = int($r->{json}{fees}{cancellationFee} * 100 + 0.5);
my @refunds = grep { $_->{method} eq 'POST' && $_->{path} eq '/v1/refunds' && ($_->{params}{payment_intent} // '') eq $rf->{intent} } api_calls();
is scalar(@refunds), 1, '  one refund';
is $refunds[0]{params}{amount}, $rf->{hold} - $rfee, "  of the difference ($rf->{hold} − $rfee cents)";
$doc = wait_status($rf, 'partial');
is $doc->{amountPaid}, $rfee / 100, '  amountPaid = the fee kept';
is scalar(grep { ($_->{booking} // '') eq $rf->{id} && $_->{kind} eq 'refund' && $_->{stripeRefundId} } payments()), 1,
	'  one refund document with its Stripe id';

# ---- 5b. the back office: an admin waives the fee, deletes a booking -------------------------------------------------

my $admin = $s->login('admin', undef, host => 'admin');
sub admin_api { my ($method, $path, %o) = @_; $s->request($method, "/api/booking/reservations$path", session => $admin, host => 'admin', %o) }
my $wv = book();
authorise($wv);
wait_status($wv, 'authorized');
is admin_api('POST', "/$wv->{id}/validate", json => {})->{status}, 200, 'the back office validates a held booking';
$r = admin_api('POST', "/$wv->{id}/cancel", json => { reason => 'Geste commercial', waiveFee => JSON::PP::true });
is $r->{status}, 200, '  an admin cancels it, fee waived' or diag $r->{content};
$pi = fake_obj($wv->{intent});
is $pi->{status}, 'canceled', '  the hold is released: nothing is captured (no card fees for a fee waived)';
is scalar(grep { $_->{method} eq 'POST' && ($_->{path} eq "/v1/payment_intents/$wv->{intent}/capture"
				     || $_->{path} eq '/v1/refunds' && ($_->{params}{payment_intent} // '') eq $wv->{intent}) } api_calls()),
   0, '  …no capture, no refund';
my $wdoc = wait_status($wv, 'released');
is_deeply [ $wdoc->{amountPaid}, $wdoc->{cancellationFee}, $wdoc->{feeWaived} ? 1 : 0 ], [ 0, 0, 1 ],
	  '  paymentStatus released, amountPaid 0, fee 0, feeWaived';
my $del = book();
authorise($del);
wait_status($del, 'authorized');
$r = admin_api('DELETE', "/$del->{id}");
ok $r->{success}, 'an admin deletes a held booking' or diag "$r->{status} $r->{content}";
is fake_obj($del->{intent})->{status}, 'canceled', '  its hold released first';

# ---- 6. stale and repeated events change nothing -----------------------------------------------------------------

my @before = payments();
my $old = { id => $rf->{intent}, object => 'payment_intent', status => 'requires_capture', amount => $rf->{hold},
	    amount_capturable => $rf->{hold}, metadata => { bookingId => $rf->{id} } };
for my $evt ([ 'payment_intent.amount_capturable_updated', 'evt_stale_1' ], [ 'payment_intent.amount_capturable_updated', 'evt_stale_1' ],
	     [ 'payment_intent.canceled', 'evt_stale_2' ]) {
	my $body = encode_json({ id => "$evt->[1]_$$", object => 'event', type => $evt->[0], created => int(time) - 3600,
				 data => { object => { %$old, ($evt->[0] =~ /canceled/ ? (status => 'canceled') : ()) } } });
	my $res = $s->post('/api/webhooks/stripe', body => $body, headers => {
		'Content-Type' => 'application/json', 'Stripe-Signature' => CWC::Stripe::signature($body, int(time), $SECRET) });
	is $res->{status}, 200, "a stale $evt->[0] is taken (200)" or diag $res->{content};
}
$doc = reread($rf);
is $doc->{paymentStatus}, 'partial', '  the booking keeps what Stripe says now (partial, not authorized or released)';
is $doc->{amountPaid}, $rfee / 100, '  and its amountPaid';
is scalar(payments()), scalar(@before), '  no payments document added';

# ---- 7. a SetupIntent, then place-holds, with a card that needs its holder --------------------------------------

my $su = book(date => $later);
like $su->{secret}, qr/^seti_/, "a booking $later: a SetupIntent (the hold comes later)";
is $su->{type}, 'setup', '  intentType setup';
authorise($su);
$doc = wait_status($su, 'card_saved');
is $doc->{paymentStatus}, 'card_saved', '  the card saved (webhook)';
ok !exists $doc->{holdExpiresAt}, '  the slot held for the staff';
like $s->wait_mail('client@coworkingcafe.local', qr/\Q$su->{number}\E.*sera plac/s), qr/quelques jours avant/,
	'  the "en attente" mail says the hold comes later';
my $su2 = book(date => $later, guest => 1);
fake_post('/_fake/confirm', { id => $su2->{intent}, paymentMethod => 'pm_card_authenticationRequired' });
fake_post('/_fake/confirm', { id => $su2->{intent}, authenticate => JSON::PP::true });
is wait_status($su2, 'card_saved')->{paymentStatus}, 'card_saved', 'a second one, with a card that asks for 3-D Secure';
my %env = $s->app_env;
my ($rc, $out) = run_cron(\%env, $s->dir . '/logs/cwc-cron.log', 'place-holds');
like $out, qr/placed 0 holds/, 'place-holds: none due yet (20 days ahead)';
# t/tools/store-update: a state no API makes yet (settings, a deadline past)
sub store_update {
	my @args = @_;
	my $out = $s->dir . '/logs/store-update.log';
	my $pid = fork // die "fork: $!";
	if (!$pid) {
		open STDOUT, '>>', $out or POSIX::_exit(127);
		exec("$CWC::Stack::ROOT/build/asan/t/tools/store-update", @args) or POSIX::_exit(127);
	}
	waitpid($pid, 0);
	die "store-update @args: $?" if $?;
}
{
	local @ENV{ keys %env } = values %env;
	store_update('--upsert', 'bookingsettings', '{}', '{"$set": {"holdLeadDays": 30}}');
}
my @cron = map {
	my $pid = open(my $fh, '-|') // die "fork: $!";
	if (!$pid) {   # _exit: the fakes and the stack are the parent's
		my ($c, $o) = run_cron(\%env, $s->dir . '/logs/cwc-cron.log', 'place-holds');
		print $o;
		STDOUT->flush;
		POSIX::_exit($c);
	}
	$fh;
} 1 .. 2;
my $both = join '', map { local $/; my $t = readline($_); close $_; $t } @cron;
like $both, qr/placed 1 hold/, 'place-holds twice at once (holdLeadDays 30): one hold placed' or diag $both;
$doc = wait_status($su, 'authorized');
is $doc->{paymentStatus}, 'authorized', '  the saved card now holds the booking';
$pi = fake_obj($doc->{stripePaymentIntentId} // 'none');
is $pi->{status}, 'requires_capture', '  a hold at Stripe';
{
	my $cb = stored_capture_before_is($su->{id}, $pi->{id}, 'off session');
	my $ch = fake_obj($pi->{latest_charge} // 'none');
	is $cb - ($ch->{created} // 0), 4 * 86400 + 18 * 3600, '  off session: 4 days 18 hours after it';
}
is $pi->{amount}, $su->{hold}, '  of the hold amount';
is scalar(grep { $_->{method} eq 'POST' && $_->{path} eq '/v1/payment_intents' && ($_->{params}{metadata}{bookingId} // '') eq $su->{id} } api_calls()),
	1, '  one PaymentIntent created for it, however many runs';
$doc = wait_status($su2, 'action_required');
is $doc->{paymentStatus}, 'action_required', 'the 3-D Secure card off-session: the booking is flagged action_required';
my $mail = $s->wait_mail("invite.$n\@example.com", qr/confirmiez/);
like $mail, qr{/reservation/\Q$su2->{number}\E}, '  the customer is mailed a link';
like $s->wait_mail('strasbourg@coworkingcafe.fr', qr/\Q$su2->{number}\E.*authentication_required/s),
	qr/invite\.$n\@example\.com/, '  and the staff alerted (notificationEmail), with whom to call';
like $mail, qr/invitation\.ics/, '  both with the invitation';
like $s->wait_mail('strasbourg@coworkingcafe.fr', qr/\Q$su2->{number}\E.*authentication_required/s),
	qr{/booking/reservations/\Q$su2->{id}\E}, '  the staff\'s with a link to the booking in the back office';
like $s->wait_mail('strasbourg@coworkingcafe.fr', qr/\Q$su2->{number}\E.*authentication_required/s),
	qr/le titulaire s’authentifie/, '  and the reason in words';
$r = $s->post("/api/bookings/$su2->{id}/payment-check", json => { token => $su2->{token} });
my ($again) = ($r->{json}{clientSecret} // '') =~ /^(pi_[0-9a-f]+)_secret_/;
ok $again, '  back on the site, the customer gets a new hold to confirm on session' or diag $r->{content};
fake_post('/_fake/confirm', { id => $again, paymentMethod => 'pm_card_visa' });
is wait_status($su2, 'authorized')->{stripePaymentIntentId}, $again, '  confirmed: the booking is held (authorized)';
is fake_obj($again)->{amount}, $su2->{hold}, '  for its hold amount';

# ---- 8. an unpaid hold expires: the booking cancelled, the intent cancelled ---------------------------------------

my $ex = book();
{
	local @ENV{ keys %env } = values %env;
	my $past = (int(time) - 60) * 1000;
	store_update('bookings', qq({"confirmationNumber": "$ex->{number}"}), qq({"\$set": {"holdExpiresAt": {"\$date": {"\$numberLong": "$past"}}}}));
	store_update('bookingclaims', qq({"booking": {"\$oid": "$ex->{id}"}}), qq({"\$set": {"expiresAt": {"\$date": {"\$numberLong": "$past"}}}}));
}
($rc, $out) = run_cron(\%env, $s->dir . '/logs/cwc-cron.log', 'expire-holds');
like $out, qr/expired 1 pending booking/, 'expire-holds cancels the unpaid booking';
is reread($ex)->{status}, 'cancelled', '  cancelled';
is fake_obj($ex->{intent})->{status}, 'canceled', '  and its PaymentIntent cancelled at Stripe';

# ---- 8b. Stripe down when the staff refuse: the move stands, the release is retried ----------------------------------

my $sd = book();
authorise($sd);
wait_status($sd, 'authorized');
$stripe->control(failFirst => 100, failStatus => 503);
staff($sd->{number}, 'cancelled');
$stripe->control(failFirst => 0);
$doc = reread($sd);
is $doc->{status}, 'cancelled', 'Stripe down while refusing: the booking is refused all the same';
is $doc->{paymentRetry}{to}, 'cancelled', '  its release marked to retry';
is fake_obj($sd->{intent})->{status}, 'requires_capture', '  (the hold still at Stripe)';
($rc, $out) = run_cron(\%env, $s->dir . '/logs/cwc-cron.log', 'expire-holds');
like $out, qr/card steps retried: 1 done, 0 failed/, 'expire-holds retries it once Stripe is back';
is fake_obj($sd->{intent})->{status}, 'canceled', '  the hold released';
$doc = wait_status($sd, 'released');
ok !exists $doc->{paymentRetry}, '  the mark removed';
($rc, $out) = run_cron(\%env, $s->dir . '/logs/cwc-cron.log', 'expire-holds');
unlike $out, qr/retried/, '  nothing left to retry';

# ---- 9. Stripe down while booking: nothing half-made ---------------------------------------------------------------

my $count = () = CWC::Stripe::collection($s, 'bookings');
my $claims = () = CWC::Stripe::collection($s, 'bookingclaims');
$stripe->control(failFirst => 100, failStatus => 503);
$r = $b->book(date => day_ahead(3), spaceType => 'salle-etage', startTime => '18:00', endTime => '19:00', numberOfPeople => 10,
	      contactEmail => 'panne.stripe@example.com');
$stripe->control(failFirst => 0);
is $r->{status}, 503, 'Stripe unreachable: 503';
is $r->{json}{error}{code}, 'payment_unavailable', '  payment_unavailable';
unlike $r->{content}, qr/sk_test|stripe\.com|127\.0\.0\.1/, '  nothing internal in the answer';
is scalar(() = CWC::Stripe::collection($s, 'bookings')), $count, '  no booking stored';
is scalar(() = CWC::Stripe::collection($s, 'bookingclaims')), $claims, '  no slot claimed';
$r = $b->book(date => day_ahead(3), spaceType => 'salle-etage', startTime => '18:00', endTime => '19:00', numberOfPeople => 10,
	      contactEmail => 'panne.stripe@example.com');
is $r->{status}, 201, '  the same slot can be booked once Stripe is back';
my $number = $r->{json}{booking}{confirmationNumber};
$s->wait_mail('panne.stripe@example.com', qr/\Q$number\E/);
my @to = grep { open my $fh, '<', $_; my $t = do { local $/; <$fh> }; $t =~ /^To:.*panne\.stripe\@example\.com/mi } $s->mails;
is scalar(@to), 1, '  one mail to that customer: the booking made, none for the one refused';

done_testing;
