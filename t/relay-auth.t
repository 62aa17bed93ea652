#!/usr/bin/perl
# Only signed-in users get a socket: the relay refuses the upgrade itself
# (an HTTP status before 101) without a session cookie or ticket, with a
# forged or expired ticket, an ended session, or an Origin that is not the
# site's or the admin's; a session cookie, or a ticket from
# GET /api/messages/ticket (site and admin), gets a working socket.
# Refusals do not take the relays out of Caddy's rotation.
#
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use CWC::RelayTest;
use CWC::Stack;
use CWC::WS;
use Digest::SHA qw(hmac_sha256 sha256_hex);
use HTTP::Tiny;
use IO::Socket::INET;
use JSON::PP;
use MIME::Base64 qw(encode_base64url);
use Test::More;

# ---- the stack (helpers: t/lib/CWC/RelayTest.pm) ------------------------

my $JWT = 'relay-test-jwt-secret-0123456789abcdef';
my $s = relay_stack(relays => 2, env => { JWT_SECRET => $JWT });

# The whole answer (head and body) to an upgrade request sent straight to
# relay N; the relay closes the connection after a refusal.
sub upgrade_raw {
	my ($relay, $path, @headers) = @_;
	my $sock = IO::Socket::INET->new(PeerAddr => '127.0.0.1', PeerPort => $s->relay_port($relay),
					 Timeout => 5) or die "connect: $!";
	print $sock join("\r\n", "GET $path HTTP/1.1", 'Host: localhost', 'Upgrade: websocket',
			 'Connection: Upgrade', 'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==',
			 'Sec-WebSocket-Version: 13', @headers, '', '');
	local $/;
	return scalar(<$sock>) // '';
}

# ---- tests --------------------------------------------------------------

seed();
my $client = login('client@coworkingcafe.local', 'cafe-client-2026');
my $staff = login('staff@coworkingcafe.local', 'cafe-staff-2026', 'admin');

my ($ws, $err, $status) = ws();
ok !$ws, 'no credentials: no socket';
is $status, 401, 'no credentials: 401 through Caddy';
like upgrade_raw(1, '/ws'), qr/^HTTP\/1\.[01] 401.*\r\n\r\n\{"error":\{"code":"unauthorized"/s,
	'with a JSON error body, and the connection closed';
(undef, undef, $status) = ws(host => 'admin');
is $status, 401, 'no credentials on the admin host: 401';
(undef, undef, $status) = ws(relay => 1, origin => undef);
is $status, 401, 'no credentials, straight to a relay: 401';

(undef, undef, $status) = ws(cookie => 'f' x 64);
is $status, 401, 'a session cookie that is no session: 401';
(undef, undef, $status) = ws(cookie => 'not-a-token');
is $status, 401, 'a malformed session cookie: 401';

# tickets: "<base64url(userhex.role.exp.ref)>.<base64url(HMAC-SHA256(JWT_SECRET, first part))>",
# ref = the first 32 hex digits of SHA-256(sessionToken), sessionToken = SHA-256(cookie)
my $r = call(GET => '/api/messages/ticket', cookie => $client);
is $r->{status}, 200, 'GET /api/messages/ticket: 200';
my $ticket = $r->{json}{ticket};
like $ticket // '', qr/^[\w-]+\.[\w-]+$/, 'a ticket';
our $ref;
my $uid;
($uid, $ref) = MIME::Base64::decode_base64url((split /\./, $ticket)[0])
	=~ /^([0-9a-f]{24})\.\d+\.\d+\.([0-9a-f]{32})$/;
is $ref, substr(sha256_hex(sha256_hex($client)), 0, 32), 'bound to the session that asked for it';
sub make_ticket {
	my ($user, $role, $exp, $secret) = @_;
	my $p = encode_base64url("$user.$role.$exp.$ref");
	return "$p." . encode_base64url(hmac_sha256($p, $secret // $JWT));
}

(my $bad_mac = $ticket) =~ s/(.)$/$1 eq 'A' ? 'B' : 'A'/e;
(undef, undef, $status) = ws(ticket => $bad_mac);
is $status, 401, 'a ticket with a forged signature: 401';
(undef, undef, $status) = ws(ticket => make_ticket($uid, 4, time + 60, 'another-secret-0123456789abcdef'));
is $status, 401, 'a ticket signed with another secret (claiming dev): 401';
(undef, undef, $status) = ws(ticket => 'garbage');
is $status, 401, 'a malformed ticket: 401';
(undef, undef, $status) = ws(ticket => make_ticket($uid, 1, time - 5));
is $status, 401, 'an expired ticket, correctly signed: 401';
($ws) = ws(ticket => make_ticket($uid, 1, time + 60));
ok $ws, 'the same ticket, unexpired: accepted (so expiry is what refused it)';
$ws->close if $ws;
(undef, undef, $status) = ws(ticket => make_ticket('0123456789abcdef01234567', 1, time + 60));
is $status, 401, 'a well-signed ticket for a user who does not exist: 401';
{
	my $p = encode_base64url("$uid.1." . (time + 60));
	(undef, undef, $status) = ws(ticket => "$p." . encode_base64url(hmac_sha256($p, $JWT)));
	is $status, 401, 'a well-signed ticket bound to no session (the old format): 401';
	local $ref = 'f' x 32;
	(undef, undef, $status) = ws(ticket => make_ticket($uid, 1, time + 60));
	is $status, 401, 'a well-signed ticket bound to a session that is not the user\'s: 401';
}

($ws, $err) = ws(ticket => $ticket);
ok $ws, 'a ticket from GET /api/messages/ticket opens a socket' or diag $err;
if ($ws) {
	$ws->send_text('{"type":"ping"}');
	ok $ws->recv_json(type => 'pong', timeout => 3), 'and the socket works (ping → pong)';
	$ws->close;
}
$r = call(GET => '/api/messages/ticket', cookie => $staff, host => 'admin');
is $r->{status}, 200, 'the admin app issues tickets to staff';
my ($url_port, $url_path) = ($r->{json}{url} // '') =~ m{^ws://[^/:]+:(\d+)(/ws\?ticket=.+)$};
ok $url_path, "with a ws:// url ($r->{json}{url})";
($ws, $err) = CWC::WS->connect("ws://localhost:$url_port$url_path", headers => { Origin => $s->admin_url });
ok $ws, 'which opens a socket' or diag $err;
$ws->close if $ws;

($ws, $err) = ws(cookie => $client);
ok $ws, 'the session cookie opens a socket (site host)' or diag $err;
if ($ws) {
	$ws->send_text('{"type":"ping"}');
	ok $ws->recv_json(type => 'pong', timeout => 3), 'ping → pong';
	$ws->close;
}
($ws, $err) = ws(cookie => $staff, host => 'admin');
ok $ws, 'the staff session cookie opens a socket (admin host)' or diag $err;
$ws->close if $ws;
($ws, $err) = ws(cookie => $client, relay => 1, origin => undef);
ok $ws, 'a cookie without Origin (not a browser) is accepted' or diag $err;
$ws->close if $ws;

($ws, $err, $status) = ws(cookie => $client, origin => 'http://evil.example');
ok !$ws, 'a valid cookie from a foreign Origin: no socket';
is $status, 403, 'foreign Origin: 403';
like upgrade_raw(1, '/ws', "Cookie: cwc_session=$client", 'Origin: http://evil.example'),
	qr/"code":"bad_origin"/, 'bad_origin';
(undef, undef, $status) = ws(ticket => make_ticket($uid, 1, time + 60), origin => 'https://attacker.test');
is $status, 403, 'a valid ticket from a foreign Origin: 403';
(undef, undef, $status) = ws(cookie => $client, origin => $s->admin_url);
isnt $status, 403, 'the admin origin is allowed too';

$r = call(POST => '/api/auth/logout', cookie => $client);
(undef, undef, $status) = ws(cookie => $client);
is $status, 401, 'after logout, the old cookie is refused: 401';

like upgrade_raw(2, '/elsewhere', "Cookie: cwc_session=$staff"), qr{^HTTP/1\.[01] 404},
	'an upgrade on another path: 404';

# After all those refusals, Caddy still sends sockets to both relays.
my $fresh = login('client@coworkingcafe.local', 'cafe-client-2026');
my @open = grep { $_ } map { (ws(cookie => $fresh))[0] } 1 .. 6;
is scalar @open, 6, 'refusals do not take relays out of rotation: 6 sockets open through Caddy';
my $n = 0;
for my $i (1 .. 2) {
	my $h = HTTP::Tiny->new->get('http://127.0.0.1:' . $s->relay_port($i) . '/health');
	$n++ if $h->{status} == 200 && decode_json($h->{content})->{connections} > 0;
}
is $n, 2, 'and both relays hold some of them';
$_->close for @open;

$s->stop;
done_testing;
