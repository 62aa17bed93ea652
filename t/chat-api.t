#!/usr/bin/perl
# The chat's HTTP API on site (customers) and admin (staff): the customer's
# conversation with the café, sending, pages of messages (before/after),
# unread counts, marking read, group conversations among staff, and that
# nobody reads or posts in a conversation they do not belong to (404).
use strict;
use warnings;
use utf8;
use FindBin;
use lib "$FindBin::Bin/lib";
use CWC::Stack;
use Test::More;
binmode $_, ':encoding(UTF-8)' for map { Test::More->builder->$_ } qw(output failure_output todo_output);

my $s = CWC::Stack->start;
my $client = $s->login('client');
my $staff = $s->login('staff', undef, host => 'admin');
my $admin = $s->login('admin', undef, host => 'admin');
my $other = $s->new_client('other.client@example.com', givenName => 'Autre');

# --- the customer's conversation with the café: created once
my $r = $s->post('/api/conversations', session => $client, json => {});
is $r->{status}, 201, 'a customer opens their conversation with the café';
my $conv = $r->{json}{id};
like $conv, qr/^[0-9a-f]{24}$/, 'it has an id';
$r = $s->post('/api/conversations', session => $client, json => {});
is $r->{status}, 200, 'asking again gives the same one';
is $r->{json}{id}, $conv, 'same id';

# --- sending
$r = $s->post("/api/conversations/$conv/messages", session => $client, json => { content => "  Bonjour, une table pour demain ?  " });
is $r->{status}, 201, 'the customer sends a message';
is $r->{json}{content}, 'Bonjour, une table pour demain ?', 'content is trimmed';
my $m1 = $r->{json}{id};
for my $bad ('', '   ', 'x' x 5001) {
	$r = $s->post("/api/conversations/$conv/messages", session => $client, json => { content => $bad });
	is $r->{status}, 422, 'content of ' . length($bad) . ' characters refused';
	is $r->{json}{error}{code}, 'validation_failed', 'validation_failed';
}
$r = $s->post("/api/conversations/$conv/messages", session => $client, json => { content => 'é' x 5000 });
is $r->{status}, 201, '5000 characters (not bytes) accepted';
$r = $s->post("/api/conversations/$conv/messages", session => $client, json => { content => 42 });
is $r->{status}, 400, 'content of the wrong type is 400';

# --- staff side: sees it, unread first
$r = $s->get('/api/conversations', session => $staff);
is $r->{status}, 200, 'staff list conversations';
my ($c) = grep { $_->{id} eq $conv } @{ $r->{json}{conversations} };
ok $c, 'the customer conversation is listed for staff';
is $c->{unreadCount}, 2, 'with 2 unread for this staff member';
$r = $s->get('/api/conversations?unread=1', session => $staff);
ok((grep { $_->{id} eq $conv } @{ $r->{json}{conversations} }), 'unread=1 keeps it');

$r = $s->post("/api/conversations/$conv/messages", session => $staff, json => { content => 'Bonjour ! Oui, il reste de la place.', replyTo => $m1 });
is $r->{status}, 201, 'staff reply';
is $r->{json}{replyTo}, $m1, 'replyTo kept';
$r = $s->post("/api/conversations/$conv/messages", session => $staff, json => { content => 'x', replyTo => 'ffffffffffffffffffffffff' });
is $r->{status}, 422, 'replyTo must be a message of this conversation';

$r = $s->get('/api/conversations', session => $client);
($c) = grep { $_->{id} eq $conv } @{ $r->{json}{conversations} };
is $c->{unreadCount}, 1, 'the customer has 1 unread';
is $c->{lastMessage}{content}, 'Bonjour ! Oui, il reste de la place.', 'lastMessage is the reply';
$r = $s->post("/api/conversations/$conv/read", session => $client, json => {});
is $r->{status}, 200, 'the customer marks read';
$r = $s->get('/api/conversations', session => $client);
($c) = grep { $_->{id} eq $conv } @{ $r->{json}{conversations} };
is $c->{unreadCount}, 0, 'no unread left';
$r = $s->get("/api/conversations/$conv/messages", session => $staff);
my ($first) = grep { $_->{id} eq $m1 } @{ $r->{json}{messages} };
ok !@{ $first->{readBy} }, 'the customer did not read their own message';
my ($reply) = grep { $_->{sender} eq $staff->{user}{id} } @{ $r->{json}{messages} };
is $reply->{readBy}[0]{user}, $client->{user}{id}, 'the reply is read by the customer';
is $reply->{status}, 'read', 'and marked read';

# --- pages of messages: newest first, before/after cursors
for my $i (1 .. 12) {
	$s->post("/api/conversations/$conv/messages", session => $client, json => { content => "message $i" });
}
$r = $s->get("/api/conversations/$conv/messages?limit=5", session => $client);
is scalar @{ $r->{json}{messages} }, 5, 'limit 5';
is $r->{json}{messages}[0]{content}, 'message 12', 'newest first';
ok $r->{json}{hasMore}, 'hasMore';
my $oldest_of_page = $r->{json}{messages}[-1]{id};
$r = $s->get("/api/conversations/$conv/messages?limit=5&before=$oldest_of_page", session => $client);
is $r->{json}{messages}[0]{content}, 'message 7', 'before= continues where the page ended';
my $mid = $r->{json}{messages}[2]{id};    # message 5
$r = $s->get("/api/conversations/$conv/messages?after=$mid", session => $client);
is_deeply [ map { $_->{content} } @{ $r->{json}{messages} } ], [ map { "message $_" } reverse 6 .. 12 ],
	'after= gives everything newer, newest first';
$r = $s->get("/api/conversations/$conv/messages?limit=101", session => $client);
is $r->{status}, 400, 'limit above 100 refused';
$r = $s->get("/api/conversations/$conv/messages?before=nope", session => $client);
is $r->{status}, 400, 'a bad cursor is 400';

# --- nobody else gets in: 404, not 403
for my $try (['GET', "/api/conversations/$conv/messages"], ['POST', "/api/conversations/$conv/messages"],
	     ['POST', "/api/conversations/$conv/read"]) {
	$r = $s->request($try->[0], $try->[1], session => $other, json => { content => 'coucou' });
	is $r->{status}, 404, "another customer: $try->[0] $try->[1] is 404";
}
$r = $s->get('/api/conversations', session => $other);
ok !(grep { $_->{id} eq $conv } @{ $r->{json}{conversations} }), 'and it is not in their list';
$r = $s->get('/api/conversations/zzz/messages', session => $client);
is $r->{status}, 404, 'a malformed id is 404';
$r = $s->get("/api/conversations/$conv/messages");
is $r->{status}, 401, 'signed out: 401';
$r = $s->get("/api/conversations", session => $client, host => 'admin');
is $r->{status}, 403, 'a customer cannot use the admin API';

# --- group conversations among staff
$r = $s->post('/api/conversations', session => $admin, json => { type => 'group', name => 'Équipe', participants => [ $staff->{user}{id} ] });
is $r->{status}, 201, 'admin creates a staff group';
my $group = $r->{json}{id};
$r = $s->post('/api/conversations', session => $admin, json => { type => 'group', name => 'X', participants => [ $client->{user}{id} ] });
is $r->{status}, 422, 'a customer cannot be put in a staff group';
$r = $s->post("/api/conversations/$group/messages", session => $staff, json => { content => 'Réunion à 9h' });
is $r->{status}, 201, 'a member posts in the group';
$r = $s->get("/api/conversations/$group/messages", session => $client);
is $r->{status}, 404, 'a customer cannot read a staff group';
$r = $s->get('/api/conversations', session => $admin);
($c) = grep { $_->{id} eq $group } @{ $r->{json}{conversations} };
is $c->{unreadCount}, 1, 'the other member has 1 unread in the group';

# --- the ticket for the relay
$r = $s->get('/api/messages/ticket', session => $client);
is $r->{status}, 200, 'a ticket';
like $r->{json}{url}, qr{^ws://localhost:\d+/ws\?ticket=}, 'with the relay URL';

# --- pages
$r = $s->get('/dashboard/messages');
is $r->{status}, 303, 'signed out: the messages page redirects';
like $r->{headers}{location}, qr{^/auth/login\?next=/dashboard/messages$}, 'to the login page';
$r = $s->get('/dashboard/messages', session => $client);
is $r->{status}, 200, 'the customer sees the messages page';
like $r->{content}, qr{data-view="customer"}, 'in the customer view';
$r = $s->get('/messages', session => $staff);
like $r->{content}, qr{data-view="staff"}, 'staff see the messenger';
$r = $s->get('/messages', session => $client, host => 'admin');
is $r->{status}, 403, 'a customer is refused the messenger';

done_testing;
