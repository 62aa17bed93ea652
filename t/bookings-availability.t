#!/usr/bin/perl
# Every availability rule of SPEC §7, through Caddy, each on a date that
# makes it bite: the past, closed days (annual and exceptional closures),
# holiday hours on a public holiday, opening hours, both 2027 DST Sundays,
# partial closures, reservation types and spaces on quote, exclusive
# rooms (half-open intervals: 10–11 and 11–12 both fit), and the
# open-space's seats counted at every moment — and that GET
# /api/availability shows the same as what booking accepts.
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
my $n = 0;

sub book_ok {
	my ($what, %o) = @_;
	my $r = $b->book(contactEmail => 'guest' . ++$n . '@example.com', %o);
	is $r->{status}, 201, $what or diag $r->{content};
	return $r;
}

sub refused {
	my ($what, $status, $code, $field, %o) = @_;
	my $r = $b->book(contactEmail => 'guest' . ++$n . '@example.com', %o);
	is $r->{status}, $status, "$what: $status" or diag $r->{content};
	is $r->{json}{error}{code}, $code, "…$code";
	is $r->{json}{error}{field}, $field, "…on $field";
	return $r;
}

sub slots {
	my ($space, $date, $extra) = @_;
	my $r = $s->get("/api/availability?spaceType=$space&date=$date" . ($extra // ''));
	die "availability: $r->{status} $r->{content}" unless $r->{status} == 200;
	return $r->{json};
}

my $today = $b->today_paris;
my ($y) = $today =~ /^(\d{4})/;
my $yesterday = add_days($today, -1);
my $mon = $b->open_weekday(1, 30);
my $tue = add_days($mon, 1);

# --- the past
refused('yesterday', 422, 'date_in_past', 'date', date => $yesterday);
refused('yesterday for a day', 422, 'date_in_past', 'date', date => $yesterday, reservationType => 'daily',
	startTime => undef, endTime => undef);
ok !slots('open-space', $yesterday)->{open}, 'availability: yesterday is not open';
is scalar(grep { $_->{available} } @{ slots('open-space', $yesterday)->{slots} }), 0, '…no slot available';

# --- opening hours on an ordinary Monday (09:00–20:00)
my $a = slots('salle-verriere', $mon);
is "$a->{openTime}–$a->{closeTime}", '09:00–20:00', 'a Monday is 09:00–20:00';
is scalar @{ $a->{slots} }, 22, '22 half-hour slots';
refused('before opening', 422, 'outside_hours', 'startTime', date => $mon, spaceType => 'salle-verriere',
	startTime => '08:30', endTime => '10:00');
refused('after closing', 422, 'outside_hours', 'endTime', date => $mon, spaceType => 'salle-verriere',
	startTime => '19:00', endTime => '20:30');
book_ok('the last hour 19:00–20:00 fits', date => $mon, spaceType => 'salle-verriere', startTime => '19:00', endTime => '20:00');

# --- public holidays follow the holiday hours (10:00–20:00)
my ($holiday) = grep { my @t = gmtime(CWC::Bookings::days_of($_) * 86400 + 43200); $t[6] >= 1 && $t[6] <= 5 && $_ !~ /-(12-25|01-01)$/ && $_ gt $today }
	sort keys %{ $b->{holiday} };
ok $holiday, "a weekday holiday ahead: $holiday (" . $b->holiday_name($holiday) . ')';
$a = slots('salle-verriere', $holiday);
is $a->{holiday}, $b->holiday_name($holiday), 'availability names the holiday';
is $a->{openTime}, '10:00', 'it opens at 10:00 (holiday hours), not 09:00';
refused('09:00 on the holiday', 422, 'outside_hours', 'startTime', date => $holiday, spaceType => 'salle-verriere',
	startTime => '09:00', endTime => '11:00');
book_ok('10:00 on the holiday', date => $holiday, spaceType => 'salle-verriere', startTime => '10:00', endTime => '11:00');
# the Easter-based ones and Alsace-Moselle's Good Friday, each once in the next year
for my $name ('Vendredi saint (Alsace-Moselle)', 'Lundi de Pâques', 'Ascension', 'Lundi de Pentecôte') {
	my ($date) = grep { $b->holiday_name($_) eq $name } keys %{ $b->{holiday} };
	ok $date, "$name is in the next year's holidays";
	is slots('salle-etage', $date)->{openTime}, '10:00', "$name ($date) opens at 10:00" if $date;
}

# --- annual closure
my $xmas = "$y-12-25" gt $today ? "$y-12-25" : ($y + 1) . '-12-25';
refused('Christmas (annual closure)', 422, 'closed', 'date', date => $xmas, reservationType => 'daily',
	startTime => undef, endTime => undef);
ok !slots('open-space', $xmas)->{open}, 'availability: closed on Christmas';

# --- the next two DST Sundays (2027-03-28 and 2027-10-31 as this is
# written): 10:00–20:00 is ten hours, twenty slots
sub last_sunday {
	my ($y, $m) = @_;
	my $d = CWC::Bookings::days_of(sprintf '%04d-%02d-01', $y + ($m == 12), $m % 12 + 1) - 1;
	$d-- while (gmtime($d * 86400 + 43200))[6] != 0;
	return CWC::Bookings::ymd($d);
}
my @dst = grep { $_ gt $today } map { (last_sunday($_, 3), last_sunday($_, 10)) } $y, $y + 1;
for my $dst (@dst[0, 1]) {
	$a = slots('salle-verriere', $dst);
	is scalar @{ $a->{slots} }, 20, "$dst: 20 slots from 10:00";
	is "$a->{slots}[0]{time}–$a->{slots}[-1]{endTime}", '10:00–20:00', "$dst: 10:00–20:00";
	my $r = $b->quote(date => $dst, spaceType => 'salle-verriere', startTime => '10:00', endTime => '12:00', numberOfPeople => 2);
	is $r->{json}{quote}{totalPrice}, 48, "$dst: two hours cost two hours (48 €)";
	is $r->{json}{quote}{durationMinutes}, 120, "$dst: 120 minutes";
	book_ok("$dst: the Verrière all day 10:00–20:00", date => $dst, spaceType => 'salle-verriere',
		startTime => '10:00', endTime => '20:00', numberOfPeople => 4);
	refused("$dst: then 19:30–20:00 is taken", 409, 'booking_conflict', 'startTime', date => $dst,
		spaceType => 'salle-verriere', startTime => '19:00', endTime => '20:00');
	is scalar(grep { $_->{available} } @{ slots('salle-verriere', $dst)->{slots} }), 0, "$dst: no slot left";
	refused("$dst: 09:30 is before opening", 422, 'outside_hours', 'startTime', date => $dst,
		spaceType => 'salle-etage', startTime => '09:30', endTime => '11:00');
}

# --- exceptional closures (full day and partial), set by staff
my $closed = add_days($mon, 14);
my ($rc, $out) = $s->ctl('closure', $closed, 'Inventaire annuel');
is $rc, 0, 'staff close a day' or diag $out;
refused('a full-day closure', 422, 'closed', 'date', date => $closed);
$a = slots('open-space', $closed);
ok !$a->{open} && $a->{closedReason} eq 'Inventaire annuel', 'availability says closed and why';
my $partial = add_days($mon, 15);
($rc, $out) = $s->ctl('closure', $partial, '14:00', '16:00', 'Tournage');
is $rc, 0, 'staff close 14:00–16:00 another day' or diag $out;
refused('overlapping the partial closure', 422, 'closed', 'startTime', date => $partial,
	spaceType => 'salle-verriere', startTime => '15:00', endTime => '17:00');
book_ok('right after it (16:00)', date => $partial, spaceType => 'salle-verriere', startTime => '16:00', endTime => '17:00');
book_ok('right before it (until 14:00)', date => $partial, spaceType => 'salle-verriere', startTime => '12:00', endTime => '14:00');
$a = slots('salle-verriere', $partial);
my %avail = map { $_->{time} => $_->{available} } @{ $a->{slots} };
ok !$avail{'14:00'} && !$avail{'15:30'} && $avail{'17:00'}, 'availability: 14:00–16:00 unavailable, 17:00 free';
ok !$avail{'16:00'} && !$avail{'13:30'}, 'and the booked slots around it taken';
my $r = $s->get('/api/global-hours');
ok((grep { $_->{date} eq $partial && !$_->{isFullDay} && $_->{startTime} eq '14:00' } @{ $r->{json}{exceptionalClosures} }),
	'global-hours lists the upcoming partial closure');

# --- the space's own rules
refused('a week of the Verrière', 422, 'reservation_type_unavailable', 'reservationType', date => $tue,
	spaceType => 'salle-verriere', reservationType => 'weekly', startTime => undef, endTime => undef);
refused('the event space (on quote)', 422, 'quote_required', 'spaceType', date => $tue, spaceType => 'evenementiel',
	numberOfPeople => 30);
refused('6 people in the Verrière', 422, 'capacity', 'numberOfPeople', date => $tue, spaceType => 'salle-verriere',
	numberOfPeople => 6);

# --- exclusive rooms: half-open intervals
book_ok('Étage 10–11', date => $tue, spaceType => 'salle-etage', startTime => '10:00', endTime => '11:00', numberOfPeople => 8);
book_ok('Étage 11–12 right after', date => $tue, spaceType => 'salle-etage', startTime => '11:00', endTime => '12:00', numberOfPeople => 8);
book_ok('Étage 09–10 right before', date => $tue, spaceType => 'salle-etage', startTime => '09:00', endTime => '10:00', numberOfPeople => 8);
refused('Étage 10:30–11:30', 409, 'booking_conflict', 'startTime', date => $tue, spaceType => 'salle-etage',
	startTime => '10:30', endTime => '11:30', numberOfPeople => 2);
refused('Étage for the day', 409, 'booking_conflict', 'startTime', date => $tue, spaceType => 'salle-etage',
	reservationType => 'daily', startTime => undef, endTime => undef, numberOfPeople => 2);
book_ok('the Verrière meanwhile', date => $tue, spaceType => 'salle-verriere', startTime => '10:00', endTime => '12:00', numberOfPeople => 2);
$a = slots('salle-etage', $tue);
%avail = map { $_->{time} => $_->{available} } @{ $a->{slots} };
ok !$avail{'09:00'} && !$avail{'11:30'} && $avail{'12:00'}, 'availability: 09–12 taken, 12:00 free';

# --- the open-space: seats at every moment (a busy Wednesday)
my $wed = add_days($tue, 1);
for my $i (1 .. 30) {
	my $r2 = $b->book(date => $wed, startTime => '09:00', endTime => '12:00', contactEmail => "early$i\@example.com",
			  contactName => "Client matinal numéro $i avec un nom assez long");
	is $r2->{status}, 201, "morning booking $i of 30" or diag $r2->{content};
}
book_ok('8 people 11:00–14:00 (38 at 11–12)', date => $wed, startTime => '11:00', endTime => '14:00', numberOfPeople => 8);
book_ok('2 people 11:30–12:00 (40 at 11:30)', date => $wed, startTime => '11:00', endTime => '13:00', numberOfPeople => 2);
refused('a 41st person at 11:30', 409, 'booking_conflict', 'numberOfPeople', date => $wed, startTime => '11:30', endTime => '12:30');
book_ok('at 12:00 seats are back (counted per moment, not per day)', date => $wed, startTime => '12:00', endTime => '13:00');
refused('a day pass that day (full at 11–12)', 409, 'booking_conflict', 'numberOfPeople', date => $wed,
	reservationType => 'daily', startTime => undef, endTime => undef);
$a = slots('open-space', $wed);
my %left = map { $_->{time} => $_->{seatsLeft} } @{ $a->{slots} };
is_deeply [ @left{qw(09:00 11:00 11:30 12:00 12:30 13:00 14:00)} ], [ 10, 0, 0, 29, 29, 32, 40 ],
	'seats left per slot: 10 at 9:00, none at 11–12, 29 at 12:00, 32 at 13:00, 40 at 14:00';
is $a->{seatsLeft}, 0, 'the day\'s minimum is 0';
$a = slots('open-space', $wed, '&numberOfPeople=30');
%avail = map { $_->{time} => $_->{available} } @{ $a->{slots} };
ok !$avail{'12:00'} && $avail{'14:00'}, 'for 30 people: 12:00 no, 14:00 yes';

# --- bad queries of the availability
is $s->get("/api/availability?spaceType=open-space&date=2027-02-30")->{status}, 400, 'availability: a date that does not exist is 400';
$r = $s->get("/api/availability?spaceType=jacuzzi&date=$wed");
is $r->{status}, 422, 'availability: an unknown space is 422';
is $r->{json}{error}{field}, 'spaceType', '…naming spaceType';

done_testing;
