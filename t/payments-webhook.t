#!/usr/bin/perl
# Stripe's webhook through Caddy (POST /api/webhooks/stripe and the
# original's /api/payments/webhook): only a delivery signed with
# STRIPE_WEBHOOK_SECRET, at most 5 minutes off, with the body exactly as
# signed, is taken — anything else is 400 and leaves no trace; each event
# is recorded once in `stripeevents`, however many times (and however
# concurrently) it is delivered; several v1 signatures (a secret being
# rolled) are fine; the fake of Stripe (t/fake/stripe) delivers the events
# of a card hold to it, signed. Without the keys, production refuses to
# start naming the variable, and development answers "not configured".
use strict;
use warnings;
use utf8;
use FindBin;
use lib "$FindBin::Bin/lib", "$FindBin::Bin/fake";
use Test::More;
use CWC::Stack;
use CWC::Stripe;
use FakeService;
use File::Temp qw(tempdir);
use HTTP::Tiny;
use JSON::PP;
use POSIX qw(:sys_wait_h);
use Time::HiRes qw(sleep time);

binmode $_, ':encoding(UTF-8)' for Test::More->builder->output,
	Test::More->builder->failure_output, Test::More->builder->todo_output;

my $KEY = 'sk_test_cwc_' . join('', map { ('a' .. 'z', 0 .. 9)[rand 36] } 1 .. 24);
my $SECRET = 'whsec_' . join('', map { ('a' .. 'z', 0 .. 9)[rand 36] } 1 .. 32);
my $OLD_SECRET = 'whsec_old_' . join('', map { ('a' .. 'z', 0 .. 9)[rand 36] } 1 .. 28);
my $stripe = FakeService->start('stripe', '--key', $KEY);
my $s = CWC::Stack->start(env => {
	STRIPE_SECRET_KEY => $KEY, STRIPE_PUBLIC_KEY => 'pk_test_cwc', STRIPE_WEBHOOK_SECRET => $SECRET,
	STRIPE_API_BASE => $stripe->url,
});

my $n = 0;
sub event {
	my ($type, %o) = @_;
	$n++;
	my $obj = $o{object} // { id => sprintf('pi_test%05d', $n), object => 'payment_intent',
				  amount => 3000, amount_capturable => 3000, status => 'requires_capture',
				  metadata => { bookingId => '65f0c0ffee0000000000abcd' } };
	return encode_json({ id => $o{id} // sprintf('evt_test%05d_%d', $n, $$), object => 'event',
			     type => $type, api_version => '2025-10-29.clover', created => time,
			     livemode => JSON::PP::false, data => { object => $obj } });
}
sub deliver {
	my ($body, $sig, %o) = @_;
	return $s->post($o{path} // '/api/webhooks/stripe', body => $body,
			headers => { 'Content-Type' => 'application/json; charset=utf-8',
				     'User-Agent' => 'Stripe/1.0 (+https://stripe.com/docs/webhooks)',
				     (defined $sig ? ('Stripe-Signature' => $sig) : ()) });
}
sub events { CWC::Stripe::collection($s, 'stripeevents') }
sub event_ids { map { $_->{eventId} } events() }

# ---- refused: nothing recorded ------------------------------------------------------------

my $body = event('payment_intent.amount_capturable_updated');
my $now = int time;
my %refused = (
	'no signature' => [ $body, undef ],
	'signed with another secret' => [ $body, CWC::Stripe::signature($body, $now, 'whsec_not_ours') ],
	'stale: signed 301 s ago' => [ $body, CWC::Stripe::signature($body, $now - 301, $SECRET) ],
	'dated 6 minutes ahead' => [ $body, CWC::Stripe::signature($body, $now + 360, $SECRET) ],
	'the body changed by one byte' => [ do { (my $b = $body) =~ s/"amount":3000/"amount":3001/; $b },
					    CWC::Stripe::signature($body, $now, $SECRET) ],
	'the body with a byte added' => [ "$body ", CWC::Stripe::signature($body, $now, $SECRET) ],
	'a malformed header' => [ $body, 't=abc,v1=zz' ],
	'a v0 signature only' => [ $body, do { (my $h = CWC::Stripe::signature($body, $now, $SECRET)) =~ s/v1=/v0=/; $h } ],
	'the signature moved to another timestamp' => [ $body, do {
		(my $h = CWC::Stripe::signature($body, $now, $SECRET)) =~ s/^t=\d+/'t=' . ($now - 5)/e; $h } ],
);
for my $case (sort keys %refused) {
	my $r = deliver(@{ $refused{$case} });
	is $r->{status}, 400, "$case: 400";
	is $r->{json}{error}{code}, 'bad_signature', '  bad_signature';
}
is scalar(events()), 0, 'nothing was recorded for any of them';
like $s->log_text('site'), qr/refused a delivery \(stale signature\)/, 'the log says why (stale)';
like $s->log_text('site'), qr/refused a delivery \(mismatch signature\)/, '  (mismatch)';

# ---- taken -------------------------------------------------------------------------------

my $r = deliver($body, CWC::Stripe::signature($body, $now, $SECRET));
is $r->{status}, 200, 'a good signature: 200';
is_deeply $r->{json}, { received => JSON::PP::true }, '  {"received":true}';
my @ev = events();
is scalar(@ev), 1, '  recorded once';
is $ev[0]{type}, 'payment_intent.amount_capturable_updated', '  with its type';
like $ev[0]{objectId}, qr/^pi_test/, '  and the PaymentIntent it is about';
is $ev[0]{status}, 'processed', '  handled (for now: recorded, the booking module fills the handler)';

$r = deliver($body, CWC::Stripe::signature($body, $now, $SECRET));
is $r->{status}, 200, 'delivered again: 200 (Stripe must stop retrying)';
ok $r->{json}{duplicate}, '  marked duplicate';
is scalar(events()), 1, '  still one record';

$r = deliver($body, CWC::Stripe::signature($body, $now - 290, $SECRET));
is $r->{status}, 200, 'signed 290 s ago: within the tolerance';

my $rolled = event('payment_intent.succeeded');
$r = deliver($rolled, CWC::Stripe::signature($rolled, $now, $OLD_SECRET, $SECRET));
is $r->{status}, 200, 'two v1 (the old secret and ours, while a secret is rolled): 200';
my $rolled2 = event('payment_intent.canceled');
$r = deliver($rolled2, join(',', CWC::Stripe::signature($rolled2, $now, $SECRET), 'v0=' . ('0' x 64), 'v2=future'));
is $r->{status}, 200, 'unknown schemes beside our v1 are ignored';

my $orig = event('charge.refunded', object => { id => 'ch_test1', object => 'charge', amount_refunded => 1200 });
$r = deliver($orig, CWC::Stripe::signature($orig, $now, $SECRET), path => '/api/payments/webhook');
is $r->{status}, 200, 'the original\'s URL /api/payments/webhook works too';

my $other = event('customer.created', object => { id => 'cus_test1', object => 'customer' });
$r = deliver($other, CWC::Stripe::signature($other, $now, $SECRET));
is $r->{status}, 200, 'a type we do not handle: 200';
my ($rec) = grep { $_->{type} eq 'customer.created' } events();
is $rec->{status}, 'unhandled', '  recorded as unhandled (a replay is still recognised)';

for my $bad ('[1,2,3]', '{"id":"evt_x","type":"payment_intent.succeeded"}', '{"id":"evt_y","data":{"object":{}}}',
	     'not json at all', '{"id":"evt_z","type":"a","data":{"object":{}}} trailing') {
	$r = deliver($bad, CWC::Stripe::signature($bad, $now, $SECRET));
	is $r->{status}, 400, "signed but not an event (" . substr($bad, 0, 24) . "…): 400";
	is $r->{json}{error}{code}, 'bad_event', '  bad_event';
}
ok !(grep { $_->{eventId} =~ /^evt_[xyz]$/ } events()), '  none recorded';

$r = $s->get('/api/webhooks/stripe');
is $r->{status}, 405, 'GET: 405';

# ---- one event delivered 5 times, 3 of them at once --------------------------------------------

my $dup_id = "evt_dup_$$";
my $dup = event('payment_intent.amount_capturable_updated', id => $dup_id);
my $sig = CWC::Stripe::signature($dup, int time, $SECRET);
my $dir = tempdir('cwc-webhook-XXXXXX', TMPDIR => 1, CLEANUP => 1);
my @kids;
for my $i (1 .. 3) {
	my $pid = fork // die;
	if (!$pid) {
		my $ua = HTTP::Tiny->new(timeout => 30);
		my $res = $ua->post($s->site_url . '/api/webhooks/stripe', { content => $dup,
			headers => { 'Content-Type' => 'application/json', 'Stripe-Signature' => $sig } });
		open my $fh, '>', "$dir/$i" or POSIX::_exit(1);
		print $fh "$res->{status} $res->{content}";
		close $fh;
		POSIX::_exit(0);
	}
	push @kids, $pid;
}
waitpid $_, 0 for @kids;
my @answers = map { open my $fh, '<', "$dir/$_" or die; scalar <$fh> } 1 .. 3;
push @answers, map { my $x = deliver($dup, $sig); "$x->{status} $x->{content}" } 1 .. 2;
is_deeply [ map { /^(\d+)/ } @answers ], [ (200) x 5 ], 'five deliveries (three concurrent): all 200';
is scalar(grep { /"duplicate":true/ } @answers), 4, '  four of them answered as duplicates';
is scalar(grep { $_ eq $dup_id } event_ids()), 1, '  exactly one record of the event';

# ---- the fake of Stripe delivers a hold's events, signed ------------------------------------------------

my $api = HTTP::Tiny->new(timeout => 10);
sub stripe_api {
	my ($method, $path, $form, %h) = @_;
	my $res = $api->request($method, $stripe->url . $path, {
		headers => { Authorization => "Bearer $KEY", 'Content-Type' => 'application/x-www-form-urlencoded', %h },
		(defined $form ? (content => $form) : ()) });
	return decode_json($res->{content});
}
$stripe->control(webhookUrl => $s->site_url . '/api/webhooks/stripe', webhookSecrets => [ $OLD_SECRET, $SECRET ]);
my $pi = stripe_api('POST', '/v1/payment_intents',
	'amount=3000&currency=eur&capture_method=manual&payment_method_types%5B%5D=card&metadata%5BbookingId%5D=65f0c0ffee0000000000abcd',
	'Idempotency-Key' => "cwc-booking/65f0c0ffee0000000000abcd/hold-$$");
like $pi->{id} // '', qr/^pi_/, 'a hold created at the fake';
$api->post($stripe->url . '/_fake/confirm', { headers => { 'Content-Type' => 'application/json' },
	content => encode_json({ id => $pi->{id}, paymentMethod => 'pm_card_visa' }) });
my $deadline = time + 30;
my @mine;
while (time < $deadline) {
	@mine = grep { ($_->{objectId} // '') eq $pi->{id} } events();
	last if @mine >= 2;
	sleep 0.1;
}
is_deeply [ sort map { $_->{type} } @mine ], [ 'payment_intent.amount_capturable_updated', 'payment_intent.created' ],
	'the fake\'s signed deliveries (two v1: a rolled secret) are recorded: created, amount_capturable_updated';
my @deliveries = grep { $_->{delivery} } $stripe->records;
ok @deliveries >= 2 && !(grep { $_->{status} != 200 } @deliveries), '  every delivery answered 200';

# ---- configuration ----------------------------------------------------------------------------------

my $cfgdir = tempdir('cwc-webhook-cfg-XXXXXX', TMPDIR => 1, CLEANUP => 1);
sub run_site {
	my (%env) = @_;
	my %base = (CWC_ENV_FILE => '/dev/null', CWC_DATA_DIR => "$cfgdir/var", CWC_ENV => 'production',
		    NEXTAUTH_SECRET => 'n' x 40, JWT_SECRET => 'j' x 40, CWC_SITE_LISTEN => "$cfgdir/site.sock",
		    REDIS_URL => $s->redis_url, MONGODB_URI => undef, NODE_ENV => undef,
		    STRIPE_SECRET_KEY => undef, STRIPE_PUBLIC_KEY => undef, STRIPE_WEBHOOK_SECRET => undef,
		    %CWC::Stack::SANITIZER_ENV);
	local @ENV{ keys %base } = values %base;
	local @ENV{ keys %env } = values %env;
	delete @ENV{ grep { !defined $ENV{$_} } keys %ENV };
	my $bin = CWC::Stack::program('site');
	my $out = `timeout 20 $bin -w 1 2>&1 < /dev/null`;
	return ($? >> 8, $out);
}
my ($rc, $out) = run_site();
is $rc, 1, 'production without Stripe keys: the site refuses to start';
like $out, qr/STRIPE_SECRET_KEY is not set/, '  naming STRIPE_SECRET_KEY';
($rc, $out) = run_site(STRIPE_SECRET_KEY => $KEY, STRIPE_PUBLIC_KEY => 'pk_live_x');
is $rc, 1, 'production without STRIPE_WEBHOOK_SECRET: refuses';
like $out, qr/STRIPE_WEBHOOK_SECRET is not set/, '  naming it';

my $dev = CWC::Stack->start(env => { STRIPE_SECRET_KEY => undef, STRIPE_WEBHOOK_SECRET => undef,
				     STRIPE_PUBLIC_KEY => undef, CWC_ENV => undef });
$r = $dev->post('/api/webhooks/stripe', body => $body,
		headers => { 'Stripe-Signature' => CWC::Stripe::signature($body, int time, $SECRET) });
is $r->{status}, 503, 'development without STRIPE_WEBHOOK_SECRET: 503';
is $r->{json}{error}{code}, 'payments_unavailable', '  payments_unavailable';
is $r->{json}{error}{message}, 'Payments are not configured.', '  "Payments are not configured."';

done_testing;
