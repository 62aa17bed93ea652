#!/usr/bin/perl
# A signed-in user's WebSocket connects through Caddy (/ws) to the relay,
# answers ping with pong, and receives an event published on Redis; bad
# frames get an error frame or a proper close, and other sockets are
# unaffected. (Who may connect: t/relay-auth.t.)
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use CWC::Stack;
use CWC::WS;
use IO::Socket::INET;
use JSON::PP;
use Test::More;

my $s = CWC::Stack->start;
my $url = 'ws://localhost:' . $s->site_port . '/ws';

{
	my %env = $s->app_env;
	local @ENV{ keys %env } = values %env;
	system(CWC::Stack::program("cwc-ctl") . " seed >/dev/null") == 0 or die "cwc-ctl seed failed";
}
my $login = $s->post('/api/auth/login', headers => { Origin => $s->site_url },
		     json => { email => 'client@coworkingcafe.local', password => 'cafe-client-2026' });
my ($cookie) = map { /^(cwc_session=[0-9a-f]{64})/ ? $1 : () }
	ref $login->{headers}{'set-cookie'} ? @{ $login->{headers}{'set-cookie'} } : ($login->{headers}{'set-cookie'} // '');
my $user = $s->get('/api/auth/session', headers => { Cookie => $cookie })->{json}{user}{id};
sub connect_ws { CWC::WS->connect($url, headers => { Cookie => $cookie }) }

my ($ws, $err) = connect_ws();
ok $ws, 'WebSocket upgrade through Caddy' or diag $err;
$ws->send_text('{"type":"ping"}');
my $pong = $ws->recv_json(type => 'pong', timeout => 3);
ok $pong, 'ping → pong';

$ws->send_text('not json');
my $e = $ws->recv_json(type => 'error', timeout => 3);
ok $e, 'malformed JSON → an error frame';
$ws->send_text('{"type":"dance"}');
$e = $ws->recv_json(type => 'error', timeout => 3);
ok $e, 'unknown type → an error frame';

# an event for this user, published the way the apps do
my ($redis_port) = $s->redis_url =~ /:(\d+)\//;
my $redis = IO::Socket::INET->new(PeerAddr => '127.0.0.1', PeerPort => $redis_port) or die "redis: $!";
my @cmd = ('PUBLISH', 'cwc:events',
	   encode_json({ type => 'read', conversationId => 'c1', participants => [$user], userId => 'u2' }));
print $redis '*' . @cmd . "\r\n" . join('', map { '$' . length($_) . "\r\n$_\r\n" } @cmd);
my $receivers = <$redis>;
like $receivers, qr/^:[1-9]/, 'PUBLISH: the relay is subscribed';
my $ev = $ws->recv_json(type => 'read', timeout => 3);
is $ev && $ev->{userId}, 'u2', 'an event published on Redis for this user arrives';
ok $ev && !exists $ev->{participants}, 'without its routing fields';

my ($bin) = connect_ws();
$bin->send_binary("\x00\x01");
my $f = $bin->recv(timeout => 3);
ok $f && ($f->{close} || $f->{eof}), 'a binary frame closes that socket' . ($f && $f->{close} ? " ($f->{close})" : '');

my ($big) = connect_ws();
$big->send_text('{"type":"ping","pad":"' . ('x' x 70000) . '"}');
$f = $big->recv(timeout => 3);
ok $f && ($f->{close} || $f->{eof}), 'an oversized frame closes that socket' . ($f && $f->{close} ? " ($f->{close})" : '');

$ws->send_text('{"type":"ping"}');
ok $ws->recv_json(type => 'pong', timeout => 3), 'the first socket is unaffected';
$ws->close;

$s->stop;
done_testing;
