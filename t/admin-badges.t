#!/usr/bin/perl
# The sidebar's badges (SPEC §9 navigation): GET /api/badges (staff
# only) counts bookings to validate, the member's unread messages, unread
# contact mails and new quote requests; the counts are in the sidebar
# right after a reload; a staff WebSocket receives a `badge` event when a
# customer's message or a booking arrives (and /api/badges then says so), a customer's
# socket does not; the page carries the script that keeps them live.
use strict;
use warnings;
use utf8;
use FindBin;
use lib "$FindBin::Bin/lib";
use CWC::RelayTest;
use CWC::Bookings;
use CWC::Seed qw(date);
use Test::More;
use Time::HiRes qw(time sleep);

my $s = relay_stack();
seed();
my $b = CWC::Bookings->new($s);
my $staff = login('staff@coworkingcafe.local', 'cafe-staff-2026', 'admin');
my $client = register('badge.client@example.com', 'client-password-1', 'Client Badge');

sub badges {
	my ($cookie) = @_;
	my $r = call(GET => '/api/badges', cookie => $cookie, host => 'admin');
	return $r->{status} == 200 ? $r->{json}{badges} : $r->{status};
}

is call(GET => '/api/badges', host => 'admin')->{status}, 401, 'signed out: 401';
my $before = badges($staff);
is_deeply $before, { bookings => 0, messages => 0, contact => 0, quotes => 0 }, 'nothing to do yet'
	or diag explain $before;

my $staff_ws = ws(cookie => $staff, host => 'admin');
my $client_ws = ws(cookie => $client);
ok $staff_ws && $client_ws, 'a staff socket and a customer socket';

# --- a customer's message: a badge event for the staff, none for the customer
my $r = call(POST => '/api/conversations', cookie => $client, json => {});
my $conv = $r->{json}{id} or die "no conversation: $r->{status}";
$r = call(POST => "/api/conversations/$conv/messages", cookie => $client, json => { content => 'Bonjour, une question' });
is $r->{status}, 201, 'the customer writes';
my $ev = wait_for($staff_ws, sub { $_[0]{type} eq 'badge' }, 10);
ok $ev, 'the staff socket receives a badge event';
is $ev->{badge}, 'messages', '... for the messages';
is badges($staff)->{messages}, 1, '/api/badges right after: 1 unread message';
my @client_frames = frames($client_ws, 1);
ok !(grep { ($_->{type} // '') eq 'badge' } @client_frames), 'the customer socket receives no badge event'
	or diag explain \@client_frames;

# a staff member's own message raises no badge
$r = call(POST => "/api/conversations/$conv/messages", cookie => $staff, host => 'admin', json => { content => 'Bonjour !' });
is $r->{status}, 201, 'the staff answer';
ok !(grep { ($_->{type} // '') eq 'badge' } frames($staff_ws, 1)), "the staff's own answer raises no badge";
is badges($staff)->{messages}, 0, 'answering read the conversation: 0 unread';
$r = call(POST => "/api/conversations/$conv/messages", cookie => $client, json => { content => 'Merci !' });
ok wait_for($staff_ws, sub { $_[0]{type} eq 'badge' && $_[0]{badge} eq 'messages' }, 10), 'another message, another event';
is badges($staff)->{messages}, 1, '... 1 unread again';

# --- a booking to validate: an event (the booking domain publishes it), and the count
$r = $b->book(date => $b->open_weekday(2, 20), contactEmail => 'badge.guest@example.com');
is $r->{status}, 201, 'a booking arrives';
my $bev = wait_for($staff_ws, sub { $_[0]{type} eq 'badge' && $_[0]{badge} eq 'bookings' }, 10);
ok $bev, 'the staff socket receives a bookings badge event';
is badges($staff)->{bookings}, 1, '/api/badges: 1 booking to validate';

# --- contact mails and quote requests are counted when their collections exist
my $now = time * 1000;
CWC::Seed::insert($s, 'contactmails', map { { name => "N$_", email => "c$_\@example.com", subject => 's', message => 'm',
	status => $_ < 3 ? 'unread' : 'read', createdAt => date($now) } } 1 .. 4);
CWC::Seed::insert($s, 'quoterequests', { email => 'q@example.com', status => 'new', createdAt => date($now) });
my $after = badges($staff);
is $after->{contact}, 2, 'two unread contact mails';
is $after->{quotes}, 1, 'one new quote request';

# --- in the sidebar right after a reload, with the script
$r = call(GET => '/', cookie => $staff, host => 'admin');
like $r->{content}, qr{data-badge="bookings"[^>]*>1</span>}, 'the sidebar shows the bookings to validate';
like $r->{content}, qr{data-badge="messages"[^>]*>1</span>}, '... and the unread messages';
like $r->{content}, qr{<script src="/static/badges\.[0-9a-f]+\.js" defer></script>}, '... with the script that keeps them live';
my ($js) = $r->{content} =~ m{src="(/static/badges\.[0-9a-f]+\.js)"};
$r = call(GET => $js, host => 'admin');
is $r->{status}, 200, 'the script is served';
like $r->{content}, qr{/api/messages/ticket}, '... it opens the relay with a ticket';
like $r->{content}, qr{/api/badges}, '... and reads /api/badges again on an event';

# --- roles
$r = call(GET => '/api/badges', cookie => $client, host => 'admin');
ok $r->{status} == 401 || $r->{status} == 403, 'a customer cookie on the admin host: refused';

$staff_ws->close;
$client_ws->close;
$s->stop;
done_testing;
