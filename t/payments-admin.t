#!/usr/bin/perl
# The bookings' money in the back office, through Caddy and the fake of
# Stripe (issue 12 "Admin"): GET /api/payments (admins only; filters by
# kind, status, booking, dates; paginated, limit at most 100), its CSV
# export (BOM, ";", a customer's formula neutralised, an audit entry
# payments.export), the /booking/payments page, and a booking's detail
# page: its payment card (status, PaymentIntent, the hold's expiry and a
# warning when it lapses before the booking ends), its money history for
# an admin (kind, amount, Stripe ids, who), none of it for the staff; the
# no-show button asks for confirmation with the fee.
use strict;
use warnings;
use utf8;
use FindBin;
use lib "$FindBin::Bin/lib", "$FindBin::Bin/fake";
use CWC::Stack;
use CWC::Bookings qw(add_days);
use CWC::Stripe;
use FakeService;
use Encode qw(decode encode);
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
my $today = $b->today_paris;
my $admin = $s->login('admin', undef, host => 'admin');
my $staff = $s->login('staff', undef, host => 'admin');
my %env = $s->app_env;
my $api = HTTP::Tiny->new(timeout => 10);

sub fake_post {
	my ($path, $o) = @_;
	my $r = $api->post($stripe->url . $path, { headers => { 'Content-Type' => 'application/json' },
						   content => encode_json($o) });
	return decode_json($r->{content});
}
sub booking_doc { my ($n) = @_; (grep { $_->{confirmationNumber} eq $n } CWC::Stripe::collection($s, 'bookings'))[0] }
sub wait_for_cond {
	my ($what, $cond) = @_;
	my $deadline = time + 40;
	while (time < $deadline) { my $v = $cond->(); return $v if $v; sleep 0.1 }
	fail "in time: $what";
	return;
}
sub store_update {
	my @args = @_;
	local @ENV{ keys %env } = values %env;
	my $pid = fork // die "fork: $!";
	if (!$pid) {
		open STDOUT, '>>', $s->dir . '/logs/store-update.log' or POSIX::_exit(127);
		exec("$CWC::Stack::ROOT/build/asan/t/tools/store-update", @args) or POSIX::_exit(127);
	}
	waitpid($pid, 0);
	die "store-update @args: $?" if $?;
}
sub day_ahead {
	my $d = add_days($today, $_[0]);
	$d = add_days($d, 1) while $d =~ /-(12-25|01-01)$/;
	return $d;
}
sub admin_api { my ($method, $path, $who, %o) = @_; $s->request($method, $path, session => $who, host => 'admin', %o) }

# ---- a dozen bookings held, then refused, present, absent ---------------------------------------

my $EVIL = '=HYPERLINK("http://evil.example/x";"Cliquez")';
my @bk;
for my $i (0 .. 11) {
	my $r = $b->book(date => day_ahead(1 + int($i / 6)), spaceType => 'salle-verriere', numberOfPeople => 2,
			 startTime => sprintf('%02d:00', 10 + $i % 6), endTime => sprintf('%02d:00', 11 + $i % 6),
			 contactEmail => "argent.$i\@example.com",
			 contactName => $i == 5 ? $EVIL : "Client·e de l’argent n°$i");
	is $r->{status}, 201, "booking $i" or diag $r->{content};
	my $bk = { id => $r->{json}{booking}{_id}, number => $r->{json}{booking}{confirmationNumber},
		   hold => $r->{json}{booking}{depositAmount} };
	($bk->{intent}) = ($r->{json}{clientSecret} // '') =~ /^(pi_[0-9a-f]+)_secret_/;
	fake_post('/_fake/confirm', { id => $bk->{intent}, paymentMethod => 'pm_card_visa' });
	push @bk, $bk;
}
for my $bk (@bk) {
	wait_for_cond("$bk->{number} authorised", sub { (booking_doc($bk->{number})->{paymentStatus} // '') eq 'authorized' });
}
sub act { my ($bk, $what, $who) = @_; my $r = admin_api(POST => "/api/booking/reservations/$bk->{id}/$what", $who // $admin, json => {}); is $r->{status}, 200, "$bk->{number}: $what" or diag $r->{content} }
act($bk[$_], 'reject') for 0 .. 2;                                     # 3 releases by the admin
act($bk[$_], 'validate', $staff) for 3 .. 11;
act($bk[$_], 'mark-noshow', $staff) for 3 .. 5;                        # 3 captures by the staff
act($bk[$_], 'mark-present', $staff) for 6 .. 7;                       # 2 releases
wait_for_cond('the captures', sub { (booking_doc($bk[5]{number})->{paymentStatus} // '') eq 'paid' });
my @all = CWC::Stripe::collection($s, 'payments');
is scalar(@all), 12 + 3 + 3 + 2, '20 payments documents: 12 holds, 3 captures, 5 releases';

# ---- GET /api/payments ---------------------------------------------------------------------------

is admin_api(GET => '/api/payments', undef)->{status}, 401, 'signed out: 401';
is admin_api(GET => '/api/payments', $staff)->{status}, 403, 'the staff: 403 (money figures are the admins\')';
my $r = admin_api(GET => '/api/payments?limit=100', $admin);
is $r->{status}, 200, 'an admin: 200';
is $r->{json}{pagination}{total}, 20, '  all 20';
my @p = @{ $r->{json}{payments} };
ok !(grep { $p[$_ - 1]{createdAt} lt $p[$_]{createdAt} } 1 .. $#p), '  newest first';
is admin_api(GET => '/api/payments?limit=101', $admin)->{status}, 400, 'limit 101: 400 (at most 100)';
$r = admin_api(GET => '/api/payments?limit=7&page=3', $admin);
is scalar(@{ $r->{json}{payments} }), 6, 'limit 7, page 3: the last 6';
is_deeply [ @{ $r->{json}{pagination} }{qw(page limit total pages)} ], [ 3, 7, 20, 3 ], '  pagination {page, limit, total, pages}';

$r = admin_api(GET => '/api/payments?kind=capture', $admin);
is $r->{json}{pagination}{total}, 3, 'kind=capture: 3';
my %fee = map { $_->{bookingNumber} => $_->{amount} } @{ $r->{json}{payments} };
is_deeply [ sort keys %fee ], [ sort map { $_->{number} } @bk[3 .. 5] ], '  the three no-shows';
ok !(grep { $_->{status} ne 'succeeded' || !$_->{stripeChargeId} || $_->{by} ne 'staff@coworkingcafe.local' } @{ $r->{json}{payments} }),
	'  succeeded, with their charge id, by the staff member who marked them';
$r = admin_api(GET => '/api/payments?kind=release', $admin);
is $r->{json}{pagination}{total}, 5, 'kind=release: 5';
is scalar(grep { $_->{by} eq 'admin@coworkingcafe.local' } @{ $r->{json}{payments} }), 3, '  3 by the admin (refusals)';
$r = admin_api(GET => "/api/payments?booking=$bk[4]{number}", $admin);
is_deeply [ sort map { $_->{kind} } @{ $r->{json}{payments} } ], [ 'capture', 'hold' ], "booking=$bk[4]{number}: its hold and its capture";
is $r->{json}{payments}[0]{stripePaymentIntentId}, $bk[4]{intent}, '  with the PaymentIntent id';
$r = admin_api(GET => '/api/payments?status=authorized', $admin);
is $r->{json}{pagination}{total}, 4, 'status=authorized: the 4 holds still in place';
is admin_api(GET => "/api/payments?from=$today&to=$today", $admin)->{json}{pagination}{total}, 20, "from=to=$today: all";
my $tomorrow = add_days($today, 1);
is admin_api(GET => "/api/payments?from=$tomorrow", $admin)->{json}{pagination}{total}, 0, "from=$tomorrow: none";
$r = admin_api(GET => '/api/payments?from=2026-13-01', $admin);
is $r->{status}, 400, 'a bad date: 400';
is $r->{json}{error}{field}, 'from', '  naming the field';
is admin_api(GET => '/api/payments?kind=gift', $admin)->{json}{error}{field}, 'kind', 'an unknown kind: 400 on kind';
is admin_api(GET => '/api/payments?booking=CWC-NOPE00', $admin)->{json}{pagination}{total}, 0, 'an unknown booking: none';

# ---- the CSV export -----------------------------------------------------------------------------

my $before = admin_api(GET => '/api/audit-log?collection=payments&limit=100', $admin)->{json}{pagination}{total} // 0;
$r = admin_api(GET => '/api/payments?format=csv', $staff);
is $r->{status}, 403, 'CSV as the staff: 403';
$r = admin_api(GET => '/api/payments?format=csv&kind=hold', $admin);
is $r->{status}, 200, 'CSV as an admin: 200';
like $r->{headers}{'content-type'}, qr{^text/csv}, '  text/csv';
like $r->{headers}{'content-disposition'} // '', qr/paiements\.csv/, '  offered as paiements.csv';
my $csv = $r->{content};
is substr($csv, 0, 3), "\xEF\xBB\xBF", '  starts with the UTF-8 byte-order mark';
my @lines = split /\r\n/, decode('UTF-8', substr($csv, 3));
is scalar(@lines), 13, '  a header and the 12 holds';
like $lines[0], qr/^Date;Réservation;Client;Type;Statut;Montant \(€\);/, '  ";" between French headings';
my ($evil) = grep { /\Q$bk[5]{number}\E/ } @lines;
like $evil, qr/;"'=HYPERLINK\(""http:/, "  the customer's formula is neutralised ('=…, quoted)";
unlike $evil, qr/;"?=HYPERLINK/, '  never a bare formula';
my ($held) = grep { /\Q$bk[8]{number}\E/ } @lines;
my $euros = sprintf('%d,%02d', int($bk[8]{hold} / 100), $bk[8]{hold} % 100);
like $held, qr/;Empreinte;Autorisée;\Q$euros\E;eur;\Q$bk[8]{intent}\E;/, "  a hold: kind, status, $euros, the intent";
my $audit = admin_api(GET => '/api/audit-log?collection=payments&limit=100', $admin)->{json};
is $audit->{pagination}{total}, $before + 1, 'the export is in the audit log';
my ($entry) = @{ $audit->{entries} };
is $entry->{action}, 'payments.export', '  as payments.export';
is $entry->{after}{exported}, 12, '  with the rows exported';
like $entry->{after}{query}, qr/kind=hold/, '  and the query that chose them';
is $entry->{actor}{email}, 'admin@coworkingcafe.local', '  by the admin';
admin_api(GET => '/api/payments?kind=hold', $admin);
is admin_api(GET => '/api/audit-log?collection=payments&limit=100', $admin)->{json}{pagination}{total}, $before + 1,
	'reading the list as JSON is not on record';

# ---- the pages ----------------------------------------------------------------------------------

$r = admin_api(GET => '/booking/payments', $admin);
is $r->{status}, 200, '/booking/payments for an admin';
my $html = decode('UTF-8', $r->{content});
like $html, qr{<td[^>]*>\d\d/\d\d/\d{4} \d\d:\d\d</td>}, '  dated as people read it (06/12/2026 14:05), not ISO';
like $html, qr/20 mouvement\(s\)/, '  counts the movements';
like $html, qr{href="/api/payments\?format=csv"}, '  links the CSV export';
like $html, qr{<a href="/booking/payments"[^>]*aria-current="page">Paiements</a>}, '  its sidebar entry, current';
$r = admin_api(GET => "/booking/payments?kind=capture&booking=$bk[3]{number}", $admin);
$html = decode('UTF-8', $r->{content});
is scalar(() = $html =~ /<td class="kind"[^>]*>Encaissement<\/td>/g), 1, '  filtered: one capture';
like $html, qr{href="/api/payments\?format=csv&amp;kind=capture&amp;booking=\Q$bk[3]{number}\E"}, '  the CSV link keeps the filters';
is admin_api(GET => '/booking/payments', $staff)->{status}, 403, 'the staff: 403';
unlike decode('UTF-8', admin_api(GET => '/', $staff)->{content}), qr{href="/booking/payments"}, '  and no sidebar entry';

# the detail of a no-show: its history
$r = admin_api(GET => "/booking/reservations/$bk[4]{id}", $admin);
$html = decode('UTF-8', $r->{content});
like $html, qr{<h2 id="money-title">Paiement</h2>}, "the detail page has a payment card";
like $html, qr{<dt>PaymentIntent</dt><dd>\Q$bk[4]{intent}\E</dd>}, '  with the PaymentIntent id';
my ($hist) = $html =~ m{<h3>Mouvements</h3>(.*?)</table>}s;
ok $hist, '  and the money history (admin)';
like $hist // '', qr{<td class="kind"[^>]*>Empreinte</td>\s*<td class="num"[^>]*>[\d,]+\x{a0}€</td>\s*<td class="pay-status"[^>]*>Encaissée}, "  the hold, its amount, captured";
my $fee = $fee{ $bk[4]{number} };
my $fee_text = sprintf("%d,%02d\x{a0}€", int($fee / 100), $fee % 100);
like $hist // '', qr{<td class="kind"[^>]*>Encaissement</td>\s*<td class="num"[^>]*>\Q$fee_text\E</td>\s*<td class="pay-status"[^>]*>Réussi}, "  the no-show fee captured, $fee_text";
like $hist // '', qr{staff\@coworkingcafe\.local}, '  by whom';
like $hist // '', qr{ch_[0-9a-zA-Z]+}, '  with the charge id';
$html = decode('UTF-8', admin_api(GET => "/booking/reservations/$bk[4]{id}", $staff)->{content});
like $html, qr{<h2 id="money-title">Paiement</h2>}, 'the staff see the payment card';
unlike $html, qr{Mouvements|Encaissement}, '  but not the money history';

# a confirmed one: the hold's expiry, the no-show confirmation with the fee
$html = decode('UTF-8', admin_api(GET => "/booking/reservations/$bk[9]{id}", $admin)->{content});
like $html, qr{<dt>Empreinte valable jusqu’au</dt><dd>\w+ (?:1er|\d+) \w+ \d{4} à \d\d:\d\d</dd>}, 'a held booking: when its hold lapses, in French words';
unlike $html, qr/avant la fin de la réservation/, '  a fresh hold: no warning';
like $html, qr{<summary class="btn btn-secondary">Client absent…</summary>.*?frais d’absence de <strong>[\d,]+\x{a0}€</strong>.*?Confirmer l’absence}s,
	'  "Client absent" asks for confirmation, saying the fee';
# Stripe's capture_before, stored on the booking, is what the page reads
my $soon = int((time + 0.5 * 86400) * 1000);
store_update('bookings', qq({"confirmationNumber": "$bk[9]{number}"}), qq({"\$set": {"holdCaptureBefore": {"\$date": {"\$numberLong": "$soon"}}}}));
$html = decode('UTF-8', admin_api(GET => "/booking/reservations/$bk[9]{id}", $staff)->{content});
like $html, qr{class="alert alert-warning"[^>]*>L’empreinte expire le [^<]*avant la fin de la réservation}, 'a hold Stripe says lapses in 12 hours: the warning';

done_testing;
