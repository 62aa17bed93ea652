#!/usr/bin/perl
# Prices through Caddy: the seeded catalogue's spaces, the worked examples
# of SPEC §7 by POST /api/calculate-price, the same totals stored on the
# bookings made with them, services and the VAT breakdown — and that a
# price, total or hold sent by the client changes nothing.
use strict;
use warnings;
use utf8;
use FindBin;
use lib "$FindBin::Bin/lib";
use CWC::Stack;
use CWC::Bookings;
use Test::More;
binmode $_, ':encoding(UTF-8)' for map { Test::More->builder->$_ } qw(output failure_output todo_output);

# many guest bookings from one address: above the guest-booking throttle
my $s = CWC::Stack->start(env => { CWC_THROTTLE_GUEST_BOOKING => '100000/3600' });
my $b = CWC::Bookings->new($s);

# --- the catalogue
my $r = $s->get('/api/space-configurations');
is $r->{status}, 200, 'the spaces are listed';
my @spaces = @{ $r->{json}{spaceConfigurations} };
is_deeply [ map { $_->{spaceType} } @spaces ], [qw(open-space salle-verriere salle-etage evenementiel)],
	'the four spaces in display order';
ok !exists $spaces[0]{depositPolicy}, 'the list does not show deposit policies';
my ($os) = grep { $_->{spaceType} eq 'open-space' } @spaces;
is_deeply [ @{ $os->{pricing} }{qw(hourly daily weekly monthly)} ], [ 6, 29, 99, 290 ], 'open-space 6/29/99/290 €';
is $os->{maxCapacity}, 40, '40 seats';
$r = $s->get('/api/space-configurations/salle-verriere');
is $r->{json}{spaceConfiguration}{pricing}{tiers}[0]{maxPeople}, 4, 'the Verrière: 4 people at the room rate';
is $r->{json}{spaceConfiguration}{maxCapacity}, 5, '…and a fifth';
$r = $s->get('/api/space-configurations/meeting-room-glass');
is $r->{json}{spaceConfiguration}{spaceType}, 'salle-verriere', 'a legacy space name reads as its current one';
is $s->get('/api/space-configurations/sauna')->{status}, 404, 'an unknown space is 404';
$r = $s->get('/api/additional-services?spaceType=open-space');
my @names = map { $_->{name} } @{ $r->{json}{services} };
ok((grep { $_ eq 'Petit-déjeuner' } @names) && !(grep { $_ eq 'Vidéoprojecteur' } @names),
	'services are filtered by space (no projector in the open-space)');
$r = $s->get('/api/additional-services?spaceType=salle-etage');
my %svc = map { $_->{slug} => $_ } @{ $r->{json}{services} };
ok $svc{videoprojecteur}, 'the projector is offered with the Étage';

# --- SPEC §7 worked examples
my $wed = $b->open_weekday(3, 35);
my @examples = (
	[ '09:00–11:30, 1 person', { startTime => '09:00', endTime => '11:30' }, 15 ],
	[ '09:00–12:00, 2 people', { startTime => '09:00', endTime => '12:00', numberOfPeople => 2 }, 36 ],
	[ '09:00–14:00, 1 person (day cap)', { startTime => '09:00', endTime => '14:00' }, 29 ],
	[ 'a day for 3', { reservationType => 'daily', startTime => undef, endTime => undef, numberOfPeople => 3 }, 87 ],
	[ 'a week for 2', { reservationType => 'weekly', startTime => undef, endTime => undef, numberOfPeople => 2 }, 198 ],
	[ 'a month', { reservationType => 'monthly', startTime => undef, endTime => undef }, 290 ],
	[ 'Verrière 5 people 2 h (4 + 1 extra)', { spaceType => 'salle-verriere', numberOfPeople => 5 }, 60 ],
	[ 'Verrière 3 people 2 h', { spaceType => 'salle-verriere', numberOfPeople => 3 }, 48 ],
	[ 'Verrière all day for 4', { spaceType => 'salle-verriere', reservationType => 'daily', startTime => undef, endTime => undef, numberOfPeople => 4 }, 120 ],
	[ 'Étage 12 people 2 h (10 + 2 extra)', { spaceType => 'salle-etage', numberOfPeople => 12 }, 144 ],
);
my $hour = 9;
for my $ex (@examples) {
	my ($what, $args, $want) = @$ex;
	$r = $b->quote(date => $wed, %$args);
	is $r->{status}, 200, "quote: $what" or diag $r->{content};
	is $r->{json}{quote}{totalPrice}, $want, "$what → $want €";
}
$r = $b->quote(date => $wed, startTime => '09:00', endTime => '11:30');
my $q = $r->{json}{quote};
is $q->{depositAmount}, 1500, 'the hold is the total in cents (no deposit policy)';
is $q->{totalHT}, 13.64, 'HT 13.64 € (10 % on open-space time)';
is $q->{vatBreakdown}[0]{vatRate}, 10, 'the breakdown says 10 %';
$r = $b->quote(date => $wed, startTime => '09:00', endTime => '14:00');
is $r->{json}{quote}{vatBreakdown}[0]{vatRate}, 20, 'a capped day is 20 %';
ok $r->{json}{quote}{dayRateApplied}, 'and says the day rate applied';

# services
my ($breakfast) = grep { $_->{slug} eq 'petit-dejeuner' } @{ $s->get('/api/additional-services')->{json}{services} };
$r = $b->quote(date => $wed, startTime => '09:00', endTime => '12:00', numberOfPeople => 2,
	       services => [ { service => $breakfast->{_id}, quantity => 1 } ]);
is $r->{json}{quote}{totalPrice}, 48, '2 people 3 h + a 6 € per-person breakfast → 48 €';
is $r->{json}{quote}{servicesPrice}, 12, 'services 12 €';
is $r->{json}{quote}{vatBreakdown}[1]{vatRate}, 10, "the breakfast's own VAT rate";
$r = $b->quote(date => $wed, spaceType => 'salle-etage', reservationType => 'daily', startTime => undef,
	       endTime => undef, numberOfPeople => 6, services => [ { service => $svc{videoprojecteur}{_id}, quantity => 1 } ]);
is $r->{json}{quote}{totalPrice}, 330, 'the Étage for a day + a projector at its daily price 30 € → 330 €';
$r = $b->quote(date => $wed, spaceType => 'salle-etage', numberOfPeople => 6,
	       services => [ $svc{videoprojecteur}{_id} ]);
is $r->{json}{quote}{totalPrice}, 130, '2 hours + a projector at its hourly price 10 € → 130 €';
$r = $b->quote(date => $wed, services => [ $svc{videoprojecteur}{_id} ]);
is $r->{status}, 422, 'the projector with the open-space is refused';
is $r->{json}{error}{field}, 'services[0]', '…naming the service';

# --- stored bookings carry the same prices, whatever the client sends
my $guest = 0;
for my $ex (@examples) {
	my ($what, $args, $want) = @$ex;
	my $day = CWC::Bookings::add_days($wed, 7 * ++$guest);
	$day = CWC::Bookings::add_days($day, 1) while $b->holiday_name($day);
	$r = $b->book(date => $day, %$args, totalPrice => 0.01, basePrice => 0, servicesPrice => 0,
		      depositAmount => 1, amountPaid => 999, status => 'confirmed',
		      contactEmail => "guest$guest\@example.com");
	is $r->{status}, 201, "booked: $what" or diag $r->{content};
	my $bk = $r->{json}{booking};
	is $bk->{totalPrice}, $want, "…stored total $want € (the client's 0.01 € ignored)";
	is $bk->{depositAmount}, $want * 100, '…hold computed on the server';
	is $bk->{status}, 'pending', '…status pending (the client\'s "confirmed" ignored)';
	is $bk->{amountPaid}, 0, '…nothing paid';
}

done_testing;
