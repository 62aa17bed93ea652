#!/usr/bin/perl
# A booking's status looks the same on the site and in the back office
# (common/booking/status.h, docs/design.md "Status badges"): a pending
# booking is "En attente" in the amber badge on the customer's dashboard,
# her list and her booking's page, and on the staff's list, the booking's
# page, the customer's page and the agenda; once validated it is
# "Confirmée" in the green badge on both; the stylesheet makes the amber
# badge amber and the green one green.
use strict;
use warnings;
use utf8;
use FindBin;
use lib "$FindBin::Bin/lib";
use CWC::Bookings;
use CWC::Stack;
use Encode ();
use Test::More;
binmode $_, ':encoding(UTF-8)' for map { Test::More->builder->$_ } qw(output failure_output todo_output);

my $s = CWC::Stack->start;
$s->seed;
my $bk = CWC::Bookings->new($s);
my $client = $s->login('client');
my $staff = $s->login('staff', undef, host => 'admin');
my $admin = $s->login('admin', undef, host => 'admin');
my $day = $bk->open_weekday(2, 12);
my $r = $bk->book(session => $client, spaceType => 'salle-verriere', date => $day, startTime => '10:00', endTime => '12:00',
		  contactName => undef, contactEmail => undef, contactPhone => undef);
is $r->{status}, 201, 'the customer books' or diag $r->{content};
my ($id, $number) = @{ $r->{json}{booking} }{qw(id confirmationNumber)};
my $user = $client->{user}{id};

sub html { my ($path, $who) = @_; Encode::decode('UTF-8', $s->get($path, session => $who, ($who->{host} eq 'admin' ? (host => 'admin') : ()))->{content}) }
# The class of every badge whose text is `word` on the page.
sub badges { my ($page, $word) = @_; [ $page =~ m{<span class="([^"]*)">\Q$word\E</span>}g ] }

my %pages = (
	'site: dashboard' => ['/dashboard', $client],
	'site: my bookings' => ['/dashboard/reservations', $client],
	'site: the booking' => ["/dashboard/reservations/$number", $client],
	'admin: the list' => ['/booking/reservations', $staff],
	'admin: the booking' => ["/booking/reservations/$id", $staff],
	'admin: the customer' => ["/customers/$user", $admin],
	'admin: the agenda' => ["/booking/reservations/agenda?view=day&date=$day", $staff],
);
for my $state (['En attente', 'badge badge-warn'], ['Confirmée', 'badge badge-ok']) {
	my ($word, $class) = @$state;
	for my $name (sort keys %pages) {
		my $got = badges(html(@{ $pages{$name} }), $word);
		ok @$got >= 1 && !(grep { $_ ne $class } @$got), "$name: \"$word\" in <span class=\"$class\">"
			or diag "found: @$got";
	}
	if ($word eq 'En attente') {
		$r = $s->post("/api/booking/reservations/$id/validate", session => $staff, host => 'admin', json => {});
		is $r->{status}, 200, 'the staff validate it' or diag $r->{content};
	}
}

my ($css) = html('/', $client) =~ m{href="(/static/site\.[0-9a-f]+\.css)"};
my $sheet = $s->get($css)->{content};
like $sheet, qr/\.badge-warn \{ background: var\(--c-warn-bg\); color: var\(--c-warn\); \}/, 'the amber badge is amber (the warning colours)';
like $sheet, qr/\.badge-ok \{ background: var\(--c-ok-bg\); color: var\(--c-ok\); \}/, 'the green one green';

$s->stop;
done_testing;
