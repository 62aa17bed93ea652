#!/usr/bin/perl
# Each socket gets the events of its own conversations, and nothing else:
# a customer's message sent over HTTP reaches the staff's sockets, the
# staff's reply reaches the customer's; typing, read receipts and presence
# reach the other side (typing not echoed to its author); a second
# customer's socket receives nothing of it all; a staff group conversation
# stays among its members; `resume` sends what came after a message, only
# where the user has access. With two relays, a customer on one and the
# staff on the other still talk (events go through Redis).
#
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use CWC::RelayTest;
use CWC::Stack;
use CWC::WS;
use JSON::PP;
use MIME::QuotedPrint qw(decode_qp);
use Test::More;
use Time::HiRes qw(sleep time);

plan skip_all => 'bin/cwc-cron (the mailer) is not built' unless -x "$CWC::Stack::ROOT/bin/cwc-cron";

# ---- the stack (helpers: t/lib/CWC/RelayTest.pm) ------------------------

my $s = relay_stack(relays => 2, env => { CWC_MAIL_TRANSPORT => 'file', CWC_MAIL_POLL_MS => 100 });

# ---- accounts and conversations ------------------------------------------

seed();
my $alice = login('client@coworkingcafe.local', 'cafe-client-2026');
my $bob = register('bob.relay@example.com', 'bob-secret-2026', 'Bob');
my $staff = login('staff@coworkingcafe.local', 'cafe-staff-2026', 'admin');
my $admin = login('admin@coworkingcafe.local', 'cafe-admin-2026', 'admin');
my ($alice_id, $bob_id) = (user_id($alice), user_id($bob));
my ($staff_id, $admin_id) = (user_id($staff, 'admin'), user_id($admin, 'admin'));

my $conv = call(POST => '/api/conversations', cookie => $alice, json => {})->{json}{id};
my $bob_conv = call(POST => '/api/conversations', cookie => $bob, json => {})->{json}{id};
ok $conv && $bob_conv, 'each customer has their conversation with the café';

my $staff_ws = ws(cookie => $staff, host => 'admin');
my $alice_ws = ws(cookie => $alice);
my $bob_ws = ws(cookie => $bob);
my $p = wait_for($staff_ws, sub { $_[0]{type} eq 'presence' && $_[0]{userId} eq $bob_id && $_[0]{online} });
ok $p, 'staff see a customer come online (presence)';
is $p && $p->{name}, 'Bob', 'with their name';
ok !exists $p->{participants} && !exists $p->{audience}, 'routing fields are not sent to clients';

# ---- messages both ways ------------------------------------------------------

my $r = call(POST => "/api/conversations/$conv/messages", cookie => $alice, json => { content => 'Bonjour, une table pour 4 ?' });
is $r->{status}, 201, 'the customer sends a message over HTTP';
my $first = $r->{json}{id};
my $m = wait_for($staff_ws, sub { $_[0]{type} eq 'message' });
is $m && $m->{message}{content}, 'Bonjour, une table pour 4 ?', 'the staff socket receives it';
is $m && $m->{conversationId}, $conv, 'with its conversation id';
is $m && $m->{message}{id}, $first, 'and the message id';
$m = wait_for($alice_ws, sub { $_[0]{type} eq 'message' });
is $m && $m->{message}{id}, $first, 'the author\'s own socket gets it too (other tabs)';

$r = call(POST => "/api/conversations/$conv/messages", cookie => $staff, host => 'admin', json => { content => 'Oui, à 14 h.' });
is $r->{status}, 201, 'the staff reply on the admin app';
my $reply = $r->{json}{id};
$m = wait_for($alice_ws, sub { $_[0]{type} eq 'message' });
is $m && $m->{message}{content}, 'Oui, à 14 h.', 'the customer socket receives the reply';
is $m && $m->{message}{senderInfo}{id}, $staff_id, 'from the staff member';

# ---- typing and read -----------------------------------------------------------

$staff_ws->send_text(encode_json({ type => 'typing', conversationId => $conv, active => JSON::PP::true }));
my $t = wait_for($alice_ws, sub { $_[0]{type} eq 'typing' });
ok $t && $t->{active}, 'staff typing reaches the customer';
is $t && $t->{userId}, $staff_id, 'with who types';
ok $t && length($t->{name} // ''), 'and their name';
$alice_ws->send_text(encode_json({ type => 'typing', conversationId => $conv, active => JSON::PP::false }));
$t = wait_for($staff_ws, sub { $_[0]{type} eq 'typing' });
ok $t && !$t->{active} && $t->{userId} eq $alice_id, 'customer typing (stop) reaches the staff';
my @staff_rest = (@{ delete $staff_ws->{skipped} // [] }, frames($staff_ws, 0.5));
ok !(grep { $_->{type} eq 'typing' && $_->{userId} eq $staff_id } @staff_rest),
	'the staff member does not get their own typing back';

$alice_ws->send_text(encode_json({ type => 'typing', conversationId => $bob_conv, active => JSON::PP::true }));
my $e = wait_for($alice_ws, sub { $_[0]{type} eq 'error' });
is $e && $e->{code}, 'not_found', 'typing in someone else\'s conversation: not_found';
$alice_ws->send_text(encode_json({ type => 'typing', conversationId => 'zzz', active => JSON::PP::true }));
$e = wait_for($alice_ws, sub { $_[0]{type} eq 'error' });
is $e && $e->{code}, 'not_found', 'typing with a malformed id: not_found';

$r = call(POST => "/api/conversations/$conv/read", cookie => $alice, json => {});
is $r->{status}, 200, 'the customer reads the conversation';
my $read = wait_for($staff_ws, sub { $_[0]{type} eq 'read' });
ok $read && $read->{userId} eq $alice_id && $read->{conversationId} eq $conv, 'the staff get the read receipt';
$r = call(POST => "/api/conversations/$conv/read", cookie => $staff, host => 'admin', json => {});
$read = wait_for($alice_ws, sub { $_[0]{type} eq 'read' && $_[0]{userId} eq $staff_id });
ok $read && $read->{conversationId} eq $conv, 'the customer gets the staff\'s read receipt';

# ---- a staff group conversation stays among its members ---------------------------

$r = call(POST => '/api/conversations', cookie => $admin, host => 'admin',
	  json => { type => 'group', name => 'Équipe du matin', participants => [$staff_id, $admin_id] });
is $r->{status}, 201, 'a staff group conversation';
my $group = $r->{json}{id};
call(POST => "/api/conversations/$group/messages", cookie => $admin, host => 'admin', json => { content => 'Réunion à 9 h' });
$m = wait_for($staff_ws, sub { $_[0]{type} eq 'message' && $_[0]{conversationId} eq $group });
ok $m, 'the staff member in the group receives its message';

# ---- resume ----------------------------------------------------------------------

$alice_ws->send_text(encode_json({ type => 'resume', lastMessageId => $first }));
my @res;
my $done = wait_for($alice_ws, sub { push @res, $_[0] if $_[0]{type} eq 'message'; $_[0]{type} eq 'resumed' });
is_deeply [map { $_->{message}{id} } @res], [$reply], 'resume sends what came after the given message';
ok $done && $done->{count} == 1 && !$done->{hasMore}, 'then resumed {count:1, hasMore:false}';
my $bob_first = call(POST => "/api/conversations/$bob_conv/messages", cookie => $bob, json => { content => 'Salut' })->{json}{id};
$alice_ws->send_text(encode_json({ type => 'resume', lastMessageId => $bob_first }));
$e = wait_for($alice_ws, sub { $_[0]{type} =~ /^(error|resumed|message)$/ && !($_[0]{type} eq 'message' && $_[0]{conversationId} eq $conv) });
is $e && $e->{type} . '/' . ($e->{code} // ''), 'error/not_found', 'resume after another customer\'s message: not_found';
$staff_ws->send_text(encode_json({ type => 'resume', lastMessageId => $first }));
@res = ();
$done = wait_for($staff_ws, sub { push @res, $_[0] if $_[0]{type} eq 'message' && $_[0]{conversationId} eq $conv;
				  $_[0]{type} eq 'resumed' });
is_deeply [map { $_->{message}{id} } @res], [$reply], 'staff resume a customer conversation';
$staff_ws->send_text(encode_json({ type => 'resume', lastMessageId => $first, conversationId => $bob_conv }));
$e = wait_for($staff_ws, sub { $_[0]{type} =~ /^(error|resumed)$/ });
is $e && $e->{code}, 'not_found', 'resume with a conversationId that is not the message\'s: not_found';

# ---- the third user saw nothing ------------------------------------------------------

my @bob_got = grep { !($_->{type} eq 'message' && $_->{conversationId} eq $bob_conv) } frames($bob_ws, 1);
is_deeply \@bob_got, [], 'the other customer\'s socket received nothing of all that';

# ---- presence: going offline -----------------------------------------------------------

$bob_ws->close;
$p = wait_for($staff_ws, sub { $_[0]{type} eq 'presence' && $_[0]{userId} eq $bob_id && !$_[0]{online} });
ok $p, 'staff see the customer go offline when their last socket closes';

# ---- two relays: customer on relay 1, staff on relay 2 ------------------------------------

$_->close for $alice_ws, $staff_ws;
my $a1 = ws(cookie => $alice, relay => 1);
my $s2 = ws(cookie => $staff, relay => 2, host => 'admin');
frames($s2, 0.3);
$r = call(POST => "/api/conversations/$conv/messages", cookie => $alice, json => { content => 'Vous êtes sur quel relais ?' });
$m = wait_for($s2, sub { $_[0]{type} eq 'message' });
is $m && $m->{message}{id}, $r->{json}{id}, 'customer on relay 1 → staff on relay 2: delivered';
$r = call(POST => "/api/conversations/$conv/messages", cookie => $staff, host => 'admin', json => { content => 'Le deuxième.' });
$m = wait_for($a1, sub { $_[0]{type} eq 'message' && $_[0]{message}{sender} eq $staff_id });
is $m && $m->{message}{id}, $r->{json}{id}, 'staff on relay 2 → customer on relay 1: delivered';
$s2->send_text(encode_json({ type => 'typing', conversationId => $conv, active => JSON::PP::true }));
$t = wait_for($a1, sub { $_[0]{type} eq 'typing' });
ok $t && $t->{userId} eq $staff_id, 'typing published by relay 2 reaches relay 1';
$_->close for $a1, $s2;

$s->stop;
done_testing;
