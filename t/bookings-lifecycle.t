#!/usr/bin/perl
# A booking's life through Caddy: a customer's list (every page), detail
# only for its owner or with the guest link's token (anyone else: 404,
# as for a booking that does not exist), the fee preview by calendar
# days before the date, cancelling (which frees the slot), and the
# transitions staff make (cwc-ctl booking-status) — every one not in
# SPEC §7's table refused with 422 invalid_transition.
use strict;
use warnings;
use utf8;
use FindBin;
use lib "$FindBin::Bin/lib";
use CWC::Stack;
use CWC::Bookings qw(add_days);
use Test::More;
binmode $_, ':encoding(UTF-8)' for map { Test::More->builder->$_ } qw(output failure_output todo_output);

# many guest bookings from one address: above the guest-booking throttle
my $s = CWC::Stack->start(env => { CWC_THROTTLE_GUEST_BOOKING => '100000/3600' });
my $b = CWC::Bookings->new($s);
my $client = $s->login('client');
my $other = $s->new_client('autre.cliente@example.com', givenName => 'Dominique');
my $today = $b->today_paris;

# --- a customer's bookings: 24 of them, every page
my $first = $b->open_weekday(2, 40);
my @mine;
for my $i (0 .. 23) {
	my $day = add_days($first, $i);
	next if $b->holiday_name($day) || $day =~ /-(12-25|01-01)$/;
	my $r = $b->book(session => $client, date => $day, startTime => '10:00', endTime => '11:00',
			 contactName => undef, contactEmail => undef, contactPhone => undef,
			 specialRequests => "Une place près de la fenêtre, s'il vous plaît (réservation n°$i)");
	is $r->{status}, 201, "the customer books day $i" or diag $r->{content};
	push @mine, $r->{json}{booking};
}
is $mine[0]{contactEmail}, 'client@coworkingcafe.local', "a customer's contact comes from the account";
ok !exists $mine[0]{manageUrl} && !exists $mine[0]{manageTokenHash}, 'no guest token for a customer';
my %seen;
my $r = $s->get('/api/bookings?limit=10', session => $client);
is $r->{json}{pagination}{total}, scalar @mine, 'the list counts them all';
is $r->{json}{pagination}{pages}, 3, '3 pages of 10';
for my $page (1 .. 3) {
	$r = $s->get("/api/bookings?limit=10&page=$page", session => $client);
	is $r->{status}, 200, "page $page";
	$seen{ $_->{_id} }++ for @{ $r->{json}{bookings} };
	if ($page == 1) {
		is $r->{json}{bookings}[0]{_id}, $mine[-1]{_id}, 'latest date first';
	}
}
is scalar(keys %seen), scalar @mine, 'every booking exactly once over the pages';
is $s->get('/api/bookings', session => $other)->{json}{pagination}{total}, 0, 'another customer sees none of them';
is $s->get('/api/bookings')->{status}, 401, 'signed out: 401';
is $s->get('/api/bookings?status=lost', session => $client)->{status}, 400, 'an unknown status filter is 400';

# --- detail: owner only
my $bk = $mine[3];
$r = $s->get("/api/bookings/$bk->{_id}", session => $client);
is $r->{status}, 200, 'the owner reads their booking by id';
$r = $s->get("/api/bookings/" . lc $bk->{confirmationNumber}, session => $client);
is $r->{json}{booking}{_id}, $bk->{_id}, '…and by confirmation number (any case)';
like $bk->{confirmationNumber}, qr/^CWC-[2-9A-HJ-NP-Z]{6}$/, 'confirmation numbers look like CWC-7K3Q9M';
for my $who ([ 'another customer', session => $other ], [ 'anyone signed out' ]) {
	my ($what, @sess) = @$who;
	is $s->get("/api/bookings/$bk->{_id}", @sess)->{status}, 404, "$what: 404";
	is $s->get("/api/bookings/$bk->{_id}/cancellation-fees", @sess)->{status}, 404, "$what: fee preview 404";
	is $s->post("/api/bookings/$bk->{_id}/cancel", @sess, json => {})->{status}, 404, "$what cannot cancel: 404";
}
is $s->get('/api/bookings/ffffffffffffffffffffffff', session => $client)->{status}, 404, 'an unknown id: 404';

# --- guests: the private link
my $gday = add_days($first, 30);
$gday = add_days($gday, 1) while $b->holiday_name($gday);
$r = $b->book(date => $gday, spaceType => 'salle-verriere', startTime => '14:00', endTime => '16:00', numberOfPeople => 3,
	      contactName => 'Alexandre Dupont-Moretti', contactEmail => 'Alex.Dupont@Example.com');
is $r->{status}, 201, 'a guest books the Verrière';
my $guest = $r->{json}{booking};
is $guest->{user}, undef, 'no account';
is $guest->{contactEmail}, 'alex.dupont@example.com', 'the e-mail is lower-cased';
my ($number, $token) = $r->{json}{manageUrl} =~ m{^/reservation/(CWC-\w+)\?token=([0-9a-f]{64})$};
ok $number && $token, 'the answer gives the private link /reservation/CWC-…?token=…';
$r = $b->book(date => $gday, spaceType => 'salle-etage', startTime => '14:00', endTime => '16:00', numberOfPeople => 3,
	      contactEmail => 'second.guest@example.com');
my ($token2) = $r->{json}{manageUrl} =~ /token=(\w+)/;
is $s->get("/api/bookings/$number?token=$token")->{status}, 200, 'the link opens the booking';
is $s->get("/api/bookings/$guest->{_id}?token=$token")->{json}{booking}{confirmationNumber}, $number, '…by id too';
is $s->get("/api/bookings/$number")->{status}, 404, 'without the token: 404';
is $s->get("/api/bookings/$number?token=$token2")->{status}, 404, "another guest's token: 404";
is $s->get("/api/bookings/$number?token=" . ('0' x 64))->{status}, 404, 'a made-up token: 404';
is $s->get("/api/bookings/$number", session => $client)->{status}, 404, 'a signed-in customer without the token: 404';
is $s->get("/api/bookings/$mine[0]{_id}?token=$token")->{status}, 404, "the guest's token opens nothing else";
$r = $s->get("/api/bookings/$number?token=$token");
ok !exists $r->{json}{booking}{manageTokenHash}, 'the stored token hash is never shown';

# guest cancels a pending booking: no fee
$r = $s->get("/api/bookings/$number/cancellation-fees?token=$token");
is $r->{json}{fees}{chargePercentage}, 0, 'a pending booking cancels free';
$r = $s->post("/api/bookings/$number/cancel", json => { token => $token, reason => 'Réunion reportée' });
is $r->{status}, 200, 'the guest cancels with the token';
is $r->{json}{booking}{status}, 'cancelled', 'cancelled';
is $r->{json}{booking}{cancelReason}, 'Réunion reportée', 'with the reason given';
$r = $s->post("/api/bookings/$number/cancel?token=$token", json => {});
is $r->{status}, 422, 'cancelling twice: 422';
is $r->{json}{error}{code}, 'invalid_transition', 'invalid_transition';
$r = $b->book(date => $gday, spaceType => 'salle-verriere', startTime => '14:00', endTime => '16:00', numberOfPeople => 2,
	      contactEmail => 'next.guest@example.com');
is $r->{status}, 201, 'the cancelled slot can be booked again';

# --- staff transitions, and those refused
sub ctl_status {
	my ($num, $status) = @_;
	my ($rc, $out) = $s->ctl('booking-status', $num, $status);
	return ($rc, $out);
}
my $c = $mine[5]{confirmationNumber};
my ($rc, $out) = ctl_status($c, 'completed');
isnt $rc, 0, 'pending → completed is refused';
like $out, qr/cannot become completed/, '…saying why';
($rc, $out) = ctl_status($c, 'confirmed');
is $rc, 0, 'staff confirm (pending → confirmed)' or diag $out;
($rc, $out) = ctl_status($c, 'confirmed');
isnt $rc, 0, 'confirmed → confirmed is refused';
($rc, $out) = ctl_status($c, 'completed');
is $rc, 0, 'confirmed → completed' or diag $out;
$r = $s->post("/api/bookings/$mine[5]{_id}/cancel", session => $client, json => {});
is $r->{status}, 422, 'the customer cannot cancel a completed booking';
is $r->{json}{error}{code}, 'invalid_transition', 'invalid_transition';
($rc) = ctl_status($c, 'no-show');
isnt $rc, 0, 'completed → no-show is refused';
($rc) = ctl_status($c, 'pending');
isnt $rc, 0, 'completed → pending is refused';
my $c2 = $mine[6]{confirmationNumber};
ctl_status($c2, 'confirmed');
($rc, $out) = ctl_status($c2, 'no-show');
is $rc, 0, 'confirmed → no-show' or diag $out;
$r = $s->get("/api/bookings/$mine[6]{_id}", session => $client);
is $r->{json}{booking}{attendanceStatus}, 'absent', 'a no-show is marked absent';
$r = $s->post("/api/bookings/$mine[6]{_id}/cancel", session => $client, json => {});
is $r->{json}{error}{code}, 'invalid_transition', 'no-show → cancelled is refused';
$r = $b->book(session => $other, date => $mine[6]{day}, startTime => '10:00', endTime => '11:00',
	      contactName => undef, contactEmail => undef, contactPhone => undef);
is $r->{status}, 201, "the no-show's slot is free again";

# --- fees by calendar days before the date (confirmed bookings)
$r = $s->get('/api/cancellation-policy?spaceType=open-space');
my @os_tiers = @{ $r->{json}{tiers} };
is_deeply [ map { "$_->{daysBeforeBooking}:$_->{chargePercentage}" } @os_tiers ], [ '7:0', '3:50', '0:100' ],
	'open-space policy 7 → 0 %, 3 → 50 %, 0 → 100 %';
$r = $s->get('/api/cancellation-policy?spaceType=meeting-room-glass');
is $r->{json}{policy}, 'meeting_rooms', 'a (legacy-named) meeting room has the rooms\' policy';
is_deeply [ map { "$_->{daysBeforeBooking}:$_->{chargePercentage}" } @{ $r->{json}{tiers} } ],
	[ '22:0', '15:30', '8:50', '0:70' ], '22 → 0 %, 15 → 30 %, 8 → 50 %, 0 → 70 %';
is $s->get('/api/cancellation-policy?spaceType=garage')->{status}, 422, 'an unknown space: 422';

sub pct_for {
	my ($days, @tiers) = @_;
	for my $t (@tiers) {   # the API gives them by days, descending
		return $t->{chargePercentage} if $days >= $t->{daysBeforeBooking};
	}
	return 100;
}
for my $ahead (2, 5, 10) {
	my $day = add_days($today, $ahead);
	$day = add_days($day, 1), $ahead++ while $b->holiday_name($day) || $day =~ /-(12-25|01-01)$/;
	$r = $b->book(session => $client, date => $day, reservationType => 'daily', startTime => undef,
		      endTime => undef, numberOfPeople => 2, contactName => undef, contactEmail => undef, contactPhone => undef);
	is $r->{status}, 201, "a day for 2 (58 €) in $ahead days" or diag $r->{content};
	my $id = $r->{json}{booking}{_id};
	ctl_status($r->{json}{booking}{confirmationNumber}, 'confirmed');
	my $want = pct_for($ahead, @os_tiers);
	$r = $s->get("/api/bookings/$id/cancellation-fees", session => $client);
	is $r->{json}{fees}{daysUntilBooking}, $ahead, "$ahead calendar days before";
	is $r->{json}{fees}{chargePercentage}, $want, "…$want %";
	is $r->{json}{fees}{cancellationFee}, 58 * $want / 100, '…fee ' . (58 * $want / 100) . ' €';
	$r = $s->post("/api/bookings/$id/cancel", session => $client, json => {});
	is $r->{status}, 200, '…the customer cancels';
	is $r->{json}{booking}{cancellationFee}, 58 * $want / 100, '…the fee is recorded';
	is $r->{json}{booking}{refundAmount}, 58 - 58 * $want / 100, '…and the rest released';
}

done_testing;
