#!/usr/bin/perl
# Bad input to POST /api/bookings and POST /api/calculate-price: every
# field's malformed and out-of-range values are refused with 400 (not
# readable) or 422 (a rule broken), naming the field, with a clear
# message — and nothing is written (the slot stays free). Guests' bookings
# are throttled per address; refused input does not count.
use strict;
use warnings;
use utf8;
use FindBin;
use lib "$FindBin::Bin/lib";
use CWC::Stack;
use CWC::Bookings;
use Test::More;
binmode $_, ':encoding(UTF-8)' for map { Test::More->builder->$_ } qw(output failure_output todo_output);

my $s = CWC::Stack->start(env => { CWC_THROTTLE_GUEST_BOOKING => '2/3600' });
my $b = CWC::Bookings->new($s);
my $day = $b->open_weekday(3, 50);
my @services = map { $_->{_id} } @{ $s->get('/api/additional-services')->{json}{services} };

my @cases = (
	# [what, status, code, field, overrides]
	[ 'no spaceType', 400, 'invalid_request', 'spaceType', spaceType => undef ],
	[ 'spaceType a number', 400, 'invalid_request', 'spaceType', spaceType => 42 ],
	[ 'an unknown space type', 422, 'unknown_space_type', 'spaceType', spaceType => 'sauna' ],
	[ 'an unknown reservation type', 400, 'invalid_request', 'reservationType', reservationType => 'yearly' ],
	[ 'no date', 400, 'invalid_request', 'date', date => undef ],
	[ '30 February', 400, 'invalid_request', 'date', date => '2027-02-30' ],
	[ 'a French date', 400, 'invalid_request', 'date', date => '30/03/2027' ],
	[ 'an ISO date-time', 400, 'invalid_request', 'date', date => '2027-03-30T10:00:00Z' ],
	[ 'no startTime', 400, 'invalid_request', 'startTime', startTime => undef ],
	[ 'startTime 25:00', 400, 'invalid_request', 'startTime', startTime => '25:00' ],
	[ 'startTime 9h', 400, 'invalid_request', 'startTime', startTime => '9h' ],
	[ 'endTime 24:30', 400, 'invalid_request', 'endTime', endTime => '24:30' ],
	[ 'endTime off the grid', 422, 'time_grid', 'endTime', endTime => '11:15' ],
	[ 'end before start', 422, 'end_before_start', 'endTime', startTime => '12:00', endTime => '10:00' ],
	[ 'end equal to start', 422, 'end_before_start', 'endTime', startTime => '12:00', endTime => '12:00' ],
	[ '30 minutes', 422, 'too_short', 'endTime', startTime => '10:00', endTime => '10:30' ],
	[ 'no numberOfPeople', 400, 'invalid_request', 'numberOfPeople', numberOfPeople => undef ],
	[ '0 people', 422, 'capacity', 'numberOfPeople', numberOfPeople => 0 ],
	[ '-3 people', 422, 'capacity', 'numberOfPeople', numberOfPeople => -3 ],
	[ '10,000 people', 422, 'capacity', 'numberOfPeople', numberOfPeople => 10000 ],
	[ '41 people in the open-space', 422, 'capacity', 'numberOfPeople', numberOfPeople => 41 ],
	[ '"3" people (a string)', 400, 'invalid_request', 'numberOfPeople', numberOfPeople => '3' ],
	[ '2.5 people', 400, 'invalid_request', 'numberOfPeople', numberOfPeople => 2.5 ],
	[ 'services not an array', 400, 'invalid_request', 'services', services => 'breakfast' ],
	[ 'a service that is not an id', 422, 'unknown_service', 'services[0]', services => ['breakfast'] ],
	[ 'an unknown service id', 422, 'unknown_service', 'services[1]', services => [ $services[0], 'ffffffffffffffffffffffff' ] ],
	[ 'a service quantity of 0', 422, 'validation_failed', 'services[0]', services => [ { service => $services[0], quantity => 0 } ] ],
	[ '17 services', 422, 'validation_failed', 'services', services => [ ($services[0]) x 17 ] ],
);
my @guest_cases = (
	[ 'no contactName', 400, 'invalid_request', 'contactName', contactName => undef ],
	[ 'a blank contactName', 422, 'validation_failed', 'contactName', contactName => "   " ],
	[ 'a 101-character name', 422, 'validation_failed', 'contactName', contactName => 'é' x 101 ],
	[ 'no contactEmail', 400, 'invalid_request', 'contactEmail', contactEmail => undef ],
	[ 'a malformed e-mail', 422, 'validation_failed', 'contactEmail', contactEmail => 'camille.example.com' ],
	[ 'no contactPhone', 400, 'invalid_request', 'contactPhone', contactPhone => undef ],
	[ 'a phone in letters', 422, 'validation_failed', 'contactPhone', contactPhone => 'zéro six douze' ],
	[ 'a control character in the name', 422, 'validation_failed', 'contactName', contactName => "Camille\x07" ],
	[ 'special requests of 1001 characters', 422, 'validation_failed', 'specialRequests', specialRequests => 'x' x 1001 ],
);

for my $c (@cases, @guest_cases) {
	my ($what, $status, $code, $field, %o) = @$c;
	my $r = $b->book(date => $day, spaceType => 'open-space', %o);
	is $r->{status}, $status, "booking with $what: $status" or diag $r->{content};
	is $r->{json}{error}{code}, $code, "…$code";
	is $r->{json}{error}{field}, $field, "…names $field";
	ok length($r->{json}{error}{message} // '') > 10, "…and says why: " . ($r->{json}{error}{message} // '');
}
for my $c (@cases) {
	my ($what, $status, $code, $field, %o) = @$c;
	my $r = $b->quote(date => $day, spaceType => 'open-space', %o);
	is "$r->{status} " . ($r->{json}{error}{field} // ''), "$status $field", "quote with $what: $status on $field";
}

my $r = $s->post('/api/bookings', body => '{"spaceType": "open-space",', headers => { 'Content-Type' => 'application/json' });
is $r->{status}, 400, 'a body that is not JSON: 400';
is $r->{json}{error}{code}, 'bad_json', 'bad_json';

# nothing was written
my $a = $s->get("/api/availability?spaceType=open-space&date=$day")->{json};
is scalar(grep { $_->{seatsLeft} != 40 } @{ $a->{slots} }), 0, 'after all that, every seat of the day is free';
$r = $b->book(date => $day, numberOfPeople => 40);
is $r->{status}, 201, 'and 40 people can book 10–12 (the refusals above did not count against the throttle)';

# the guest-booking throttle (2 an hour per address here)
$r = $b->book(date => $day, spaceType => 'salle-verriere', numberOfPeople => 2);
is $r->{status}, 201, "a guest's second booking from this address";
$r = $b->book(date => $day, spaceType => 'salle-etage', numberOfPeople => 2);
is $r->{status}, 429, 'the third within the hour: 429';
is $r->{json}{error}{code}, 'too_many_requests', 'too_many_requests';
ok $r->{headers}{'retry-after'} > 0, 'with Retry-After';
my $client = $s->login('client');
$r = $b->book(session => $client, date => $day, spaceType => 'salle-etage', numberOfPeople => 2,
	      contactName => undef, contactEmail => undef, contactPhone => undef);
is $r->{status}, 201, 'a signed-in customer is not throttled as a guest';

done_testing;
