#!/usr/bin/perl
# What one client may not do to a relay:
#   - open more than CWC_RELAY_MAX_USER_SOCKETS (20) sockets for one account
#     on a relay: the next upgrade is refused with 429 too_many_sockets,
#     other accounts are not affected, and a socket closed makes room;
#   - send an unmasked frame (RFC 6455 §5.1: a server must close the
#     connection): closed with 1002, in every form (text, ping, a second
#     frame after a good one), and the relay goes on serving the others.
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use CWC::RelayTest;
use CWC::Stack;
use CWC::WS;
use HTTP::Tiny;
use IO::Socket::INET;
use JSON::PP;
use Test::More;
use Time::HiRes qw(sleep time);

my $s = relay_stack(relays => 1);

sub connections {
	my $r = HTTP::Tiny->new(timeout => 2)->get('http://127.0.0.1:' . $s->relay_port(1) . '/health');
	return $r->{status} == 200 ? decode_json($r->{content})->{connections} : -1;
}

sub wait_until {
	my ($cond, $secs) = @_;
	my $deadline = time + $secs;
	while (time < $deadline) {
		return 1 if $cond->();
		sleep 0.05;
	}
	return 0;
}

# The whole answer to an upgrade request sent straight to the relay.
sub upgrade_raw {
	my (@headers) = @_;
	my $sock = IO::Socket::INET->new(PeerAddr => '127.0.0.1', PeerPort => $s->relay_port(1),
					 Timeout => 5) or die "connect: $!";
	print $sock join("\r\n", 'GET /ws HTTP/1.1', 'Host: localhost', 'Upgrade: websocket',
			 'Connection: Upgrade', 'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==',
			 'Sec-WebSocket-Version: 13', @headers, '', '');
	local $/;
	return scalar(<$sock>) // '';
}

# An unmasked frame (RFC 6455 §5.2 layout, MASK bit clear).
sub unmasked {
	my ($opcode, $data) = @_;
	return chr(0x80 | $opcode) . chr(length $data) . $data;
}

seed();
my $client = login('client@coworkingcafe.local', 'cafe-client-2026');
my $staff = login('staff@coworkingcafe.local', 'cafe-staff-2026', 'admin');

# ---- sockets per account --------------------------------------------------------

my @mine;
for (1 .. 20) {
	my $ws = ws(cookie => $client, relay => 1, try => 1) or last;
	push @mine, $ws;
}
is scalar(@mine), 20, '20 sockets for one account are accepted';
my ($ws, undef, $status) = ws(cookie => $client, relay => 1);
is $status, 429, 'the 21st is refused: 429';
like upgrade_raw("Cookie: cwc_session=$client"), qr/^HTTP\/1\.1 429 .*\{"error":\{"code":"too_many_sockets"/s,
	'with a JSON error too_many_sockets';
(undef, undef, $status) = ws(cookie => $client);
is $status, 429, 'through Caddy as well';
my @more = grep { $_ } map { scalar ws(cookie => $client, relay => 1, try => 1) } 1 .. 30;
is scalar(@more), 0, '30 more attempts: none accepted';
my $other = ws(cookie => $staff, relay => 1, host => 'admin');
ok $other, 'another account still connects';
$mine[0]->send_text('{"type":"ping"}');
ok wait_for($mine[0], sub { $_[0]{type} eq 'pong' }), 'the 20 open sockets still work';
my $before = connections();
(shift @mine)->close;
ok wait_until(sub { connections() < $before }, 5), 'one socket closed';
($ws) = ws(cookie => $client, relay => 1);
ok $ws, 'and there is room for one more';
$_->close for grep { $_ } $ws, @mine;

# ---- unmasked frames --------------------------------------------------------------------

my %cases = (
	'an unmasked text frame'                  => unmasked(1, '{"type":"ping"}'),
	'an unmasked ping'                         => unmasked(9, 'hi'),
	'an unmasked frame after a masked one'     => CWC::WS::frame(1, '{"type":"ping"}') . unmasked(1, '{"type":"ping"}'),
	'an unmasked empty text frame'             => unmasked(1, ''),
);
for my $name (sort keys %cases) {
	my $bad = ws(cookie => $client, relay => 1);
	$bad->send_raw($cases{$name});
	my $close;
	my $deadline = time + 5;
	while (time < $deadline) {
		my $f = $bad->recv(timeout => $deadline - time) or last;
		if ($f->{eof} || exists $f->{close}) { $close = $f; last }
	}
	is $close && $close->{close}, 1002, "$name: closed with 1002";
	$bad->{sock}->close;
}
$other->send_text('{"type":"ping"}');
ok wait_for($other, sub { $_[0]{type} eq 'pong' }), 'the relay still serves the other sockets';
my $fresh = ws(cookie => $client, relay => 1);
$fresh->send_raw(CWC::WS::frame(1, '{"type":"ping"}') x 3);
my $pongs = grep { $_->{type} eq 'pong' } frames($fresh, 1);
is $pongs, 3, 'masked frames are served as before';
$_->close for $fresh, $other;

$s->stop;
done_testing;
