#!/usr/bin/perl
# The availability display may be a moment old (CWC_AVAILABILITY_CACHE_MS:
# each worker answers a day it was just asked from its own answer), the
# bookings never: a seat taken meanwhile is refused at once, and the
# display catches up when the moment has passed. One worker, so that
# every request meets the same cache.
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use CWC::Stack;
use CWC::Bookings;
use Test::More;
use Time::HiRes qw(time sleep);

my $CACHE_MS = 2000;
my $s = CWC::Stack->start(workers => 1, env => {
	CWC_AVAILABILITY_CACHE_MS => $CACHE_MS, CWC_THROTTLE_GUEST_BOOKING => '100000/3600' });
my $b = CWC::Bookings->new($s);
my $day = $b->open_weekday(2, 20);
my $n = 0;

sub seats_at_10 {
	my ($people) = @_;
	my $r = $s->get("/api/availability?spaceType=salle-verriere&date=$day" .
			($people ? "&numberOfPeople=$people" : ''));
	die "availability: $r->{status}" unless $r->{status} == 200;
	my ($slot) = grep { $_->{time} eq '10:00' } @{ $r->{json}{slots} };
	return $slot->{available} ? 1 : 0;
}

sub book_room {
	return $b->book(spaceType => 'salle-verriere', date => $day, startTime => '10:00', endTime => '11:00',
			numberOfPeople => 2, contactEmail => 'cache' . ++$n . '@example.com');
}

my $t0 = time;
is seats_at_10(), 1, 'the room is free at 10:00';
is book_room()->{status}, 201, 'someone books it';
my $shown = seats_at_10();
my $fresh = (time - $t0) * 1000 < $CACHE_MS - 200;
ok !$fresh || $shown == 1, 'the display may still say free for a moment (the answer of a moment ago)';
my $r = book_room();
is $r->{status}, 409, 'but booking the same slot is refused at once: the store decides';
is $r->{json}{error}{code}, 'booking_conflict', '…booking_conflict';
is seats_at_10(2), 0, 'another query (2 people) is not served from the cache: taken';

my $deadline = time + 10;
sleep 0.2 until seats_at_10() == 0 || time > $deadline;
is seats_at_10(), 0, 'after the moment has passed the display says taken';

$r = $s->get("/api/availability?spaceType=salle-verriere&date=2027-02-30");
is $r->{status}, 400, 'a bad day is refused, cache or not';

$s->stop;
done_testing;
