package CWC::Bookings;
# Helpers for the bookings' black-box tests: dates that make a rule bite
# (computed from today, skipping the café's holidays), and booking
# requests with the fields a customer or a guest sends.
#
#   my $b = CWC::Bookings->new($stack);       # seeds the catalogue
#   my $d = $b->open_weekday(3, 40);          # a Wednesday ≥ 40 days ahead, not a holiday
#   my $r = $b->book(date => $d, ...);        # POST /api/bookings as a guest
use strict;
use warnings;
use utf8;
use POSIX qw(floor);
use Exporter 'import';
our @EXPORT_OK = qw(ymd add_days);

# Days since the epoch <-> YYYY-MM-DD (UTC civil dates).
sub ymd {
	my ($days) = @_;
	my @t = gmtime($days * 86400);
	return sprintf '%04d-%02d-%02d', $t[5] + 1900, $t[4] + 1, $t[3];
}

sub days_of {
	my ($date) = @_;
	my ($y, $m, $d) = split /-/, $date;
	require Time::Local;
	return floor(Time::Local::timegm(0, 0, 12, $d, $m - 1, $y) / 86400);
}

sub add_days { ymd(days_of($_[0]) + $_[1]) }

sub new {
	my ($class, $stack) = @_;
	$stack->seed;
	my $self = bless { s => $stack }, $class;
	my $r = $stack->get('/api/global-hours');
	die "global-hours: $r->{status}" unless $r->{status} == 200;
	$self->{holiday} = { map { $_->{date} => $_->{name} } @{ $r->{json}{holidays} } };
	$self->{today} = $r->{json}{today} or die 'global-hours: no today';
	return $self;
}

# Today in Paris as the server sees it.
sub today_paris { $_[0]{today} }

# The first day ≥ `ahead` days from now falling on `wday` (0 = Sunday …
# 6 = Saturday), not a holiday, not 25 Dec or 1 Jan.
sub open_weekday {
	my ($self, $wday, $ahead) = @_;
	my $d = floor(time / 86400) + ($ahead // 30);
	for (1 .. 400) {
		my @t = gmtime($d * 86400 + 43200);
		my $date = ymd($d);
		return $date if $t[6] == $wday && !$self->{holiday}{$date} && $date !~ /-(12-25|01-01)$/;
		$d++;
	}
	die 'no such day';
}

sub holiday_name { $_[0]{holiday}{ $_[1] } }

# The request body of a booking, with a guest's identity unless a session
# is given.
sub body {
	my ($self, %o) = @_;
	my %b = (
		spaceType => 'open-space', reservationType => 'hourly',
		startTime => '10:00', endTime => '12:00', numberOfPeople => 1,
		contactName => 'Camille Martin-Lefèvre', contactEmail => 'camille.martin@example.com',
		contactPhone => '+33 6 12 34 56 78',
		%o,
	);
	delete @b{ grep { !defined $b{$_} } keys %b };
	return \%b;
}

sub book {
	my ($self, %o) = @_;
	my $session = delete $o{session};
	return $self->{s}->post('/api/bookings', json => $self->body(%o),
				($session ? (session => $session) : ()));
}

sub quote {
	my ($self, %o) = @_;
	return $self->{s}->post('/api/calculate-price', json => $self->body(%o));
}

1;
