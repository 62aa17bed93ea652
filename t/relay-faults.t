#!/usr/bin/perl
# No message is lost when a relay or Redis goes away:
#   - a relay killed with SIGKILL: the client reconnects (through Caddy,
#     which sends it to the surviving relay, or to the restarted one),
#     sends `resume` and gets every message sent meanwhile, once each and
#     in order — the same ones GET …/messages?after= returns;
#   - Redis restarted: the relays subscribe again by themselves, tell
#     their sockets to `resync`, and a resume brings what was sent during
#     the outage; typing works again (the publishing connection is back).
# And bad input never brings a relay down: malformed and hostile frames,
# floods, a client that stops reading, garbage instead of HTTP — the
# other sockets carry on, the relay keeps its pid.
#
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
use Socket qw(IPPROTO_TCP TCP_NODELAY);
use Test::More;
use Time::HiRes qw(sleep time);

# ---- the stack (helpers: t/lib/CWC/RelayTest.pm) ------------------------

my $s = relay_stack(relays => 2);

# ---- helpers of this test -------------------------------------------------------

# Sends resume and returns (the ids of the `message` frames in order, the
# `resumed` frame or the error).
sub resume {
	my ($ws, $last) = @_;
	$ws->send_text(encode_json({ type => 'resume', lastMessageId => $last }));
	my @ids;
	my $end = wait_for($ws, sub {
		push @ids, $_[0]{message}{id} if $_[0]{type} eq 'message';
		$_[0]{type} eq 'resumed' || $_[0]{type} eq 'error';
	}, 10);
	return (\@ids, $end);
}

# What GET …/messages?after= says came after $last, oldest first.
sub http_after {
	my ($cookie, $conv, $last) = @_;
	my $r = call(GET => "/api/conversations/$conv/messages?after=$last&limit=100", cookie => $cookie);
	return [reverse map { $_->{id} } @{ $r->{json}{messages} // [] }];
}

sub relay_health {
	my ($i) = @_;
	my $r = HTTP::Tiny->new(timeout => 2)->get('http://127.0.0.1:' . $s->relay_port($i) . '/health');
	return $r->{status};
}

# PUBLISH on cwc:events, as the apps do.
my $redis;
sub redis_publish {
	my ($event) = @_;
	my ($port) = $s->redis_url =~ /:(\d+)\//;
	$redis = undef if $redis && !$redis->connected;
	$redis //= IO::Socket::INET->new(PeerAddr => '127.0.0.1', PeerPort => $port) or die "redis: $!";
	setsockopt($redis, IPPROTO_TCP, TCP_NODELAY, 1);
	my $ev = encode_json($event);
	print $redis "*3\r\n\$7\r\nPUBLISH\r\n\$10\r\ncwc:events\r\n\$" . length($ev) . "\r\n$ev\r\n";
	my $reply = <$redis>;
	$redis = undef unless defined $reply;
	return $reply;
}

sub wait_until {
	my ($cond, $secs) = @_;
	my $deadline = time + $secs;
	while (time < $deadline) {
		return 1 if $cond->();
		sleep 0.1;
	}
	return 0;
}

# ---- setup ---------------------------------------------------------------------------

seed();
my $client = login('client@coworkingcafe.local', 'cafe-client-2026');
my $staff = login('staff@coworkingcafe.local', 'cafe-staff-2026', 'admin');
my $staff_id = user_id($staff, 'admin');
my $client_id = user_id($client);
my $conv = call(POST => '/api/conversations', cookie => $client, json => {})->{json}{id};
my $n = 0;
sub staff_says {
	my $r = call(POST => "/api/conversations/$conv/messages", cookie => $staff, host => 'admin',
		     json => { content => 'message ' . ++$n });
	die "send: $r->{status}" unless $r->{status} == 201;
	return $r->{json}{id};
}

# ---- a relay killed with SIGKILL ---------------------------------------------------------

my %seen;   # message id → times the customer received it
my @sent;
my $ws = ws(cookie => $client, relay => 1);
for (1 .. 3) {
	push @sent, staff_says();
	my $m = wait_for($ws, sub { $_[0]{type} eq 'message' });
	$seen{ $m->{message}{id} }++ if $m;
}
is scalar(keys %seen), 3, 'three messages arrive live on relay 1';
my $last = $sent[-1];

my $relay1 = $s->listener_id('relay1');
like $relay1, qr/^\d+:\d+$/, 'a running relay 1 listens on its port';
$s->stop_component('relay1', 'KILL');
my $f = $ws->recv(timeout => 5);
ok $f && ($f->{eof} || exists $f->{close}), 'relay 1 killed: the client\'s socket is gone';
my @during = map { staff_says() } 1 .. 10;
push @sent, @during;

# the client reconnects through Caddy, as the chat page does: retry until it works
my $ws2;
for my $attempt (1 .. 20) {
	last if $ws2 = ws(cookie => $client, try => 1);
	sleep 0.25;
}
ok $ws2, 'the client reconnects through Caddy while relay 1 is down';
my ($ids, $end) = resume($ws2, $last);
is_deeply $ids, \@during, 'resume on the surviving relay: the 10 messages sent meanwhile, in order';
ok $end && $end->{type} eq 'resumed' && !$end->{hasMore}, 'then resumed, nothing more';
$seen{$_}++ for @$ids;
is_deeply http_after($client, $conv, $last), \@during, 'GET …/messages?after= agrees';

$s->start_component('relay1');
ok wait_until(sub { (relay_health(1) // 0) == 200 }, 10), 'relay 1 restarted and healthy';
my $relay1_again = $s->listener_id('relay1');
ok defined $relay1_again && $relay1_again ne $relay1, 'a new relay process listens on its port';
my $ws3 = ws(cookie => $client, relay => 1);
($ids, $end) = resume($ws3, $last);
is_deeply $ids, \@during, 'the restarted relay 1 resumes the same way';
$ws3->close;

push @sent, staff_says();
my $m = wait_for($ws2, sub { $_[0]{type} eq 'message' });
$seen{ $m->{message}{id} }++ if $m;
is_deeply [sort keys %seen], [sort @sent], 'every message sent reached the client';
is scalar(grep { $_ != 1 } values %seen), 0, 'and none twice';
$ws2->close;

# ---- Redis restarted ----------------------------------------------------------------------

my $a = ws(cookie => $client, relay => 1);
my $b = ws(cookie => $staff, relay => 2, host => 'admin');
frames($_, 0.3) for $a, $b;
$last = staff_says();
wait_for($a, sub { $_[0]{type} eq 'message' && $_[0]{message}{id} eq $last });
$s->stop_component('redis');
ok wait_until(sub { (relay_health(1) // 0) == 503 && (relay_health(2) // 0) == 503 }, 10),
	'Redis down: both relays say unhealthy';
@during = map { staff_says() } 1 .. 5;
is scalar(@during), 5, 'messages are still accepted over HTTP (they are in the store)';
$a->send_text('{"type":"ping"}');
ok wait_for($a, sub { $_[0]{type} eq 'pong' }), 'open sockets stay open meanwhile';

$s->start_component('redis');
ok wait_until(sub { (relay_health(1) // 0) == 200 && (relay_health(2) // 0) == 200 }, 15),
	'Redis back: both relays subscribed again by themselves';
ok wait_for($a, sub { $_[0]{type} eq 'resync' }, 5), 'relay 1 tells its socket to resync';
ok wait_for($b, sub { $_[0]{type} eq 'resync' }, 5), 'relay 2 too';
($ids, $end) = resume($a, $last);
is_deeply $ids, \@during, 'resume brings the 5 messages sent during the outage, in order';
redis_publish({ type => 'read', conversationId => $conv, participants => [$client_id], userId => 'probe' });
$m = wait_for($a, sub { $_[0]{type} eq 'read' });
ok $m && $m->{userId} eq 'probe', 'live delivery works again (an event published now arrives)';
{
	# an app worker holding a connection to the old Redis reconnects and
	# publishes (common/conn/conn.c retries once on a broken connection)
	my @live = map { staff_says() } 1 .. 2;
	my @got;
	for (1 .. 2) {
		my $x = wait_for($a, sub { $_[0]{type} eq 'message' }, 3) or last;
		push @got, $x->{message}{id};
	}
	is_deeply \@got, \@live, 'messages sent over HTTP right after the restart arrive live';
}
ok wait_until(sub {
	$b->send_text(encode_json({ type => 'typing', conversationId => $conv, active => JSON::PP::true }));
	my $t = wait_for($a, sub { $_[0]{type} eq 'typing' }, 0.5);
	$t && $t->{userId} eq $staff_id;
}, 10), 'typing goes through again (the publishing connection reconnected)';
$_->close for $a, $b;

# ---- bad input never crashes a relay ----------------------------------------------------------

my $relay1_before = $s->listener_id('relay1');
my $good = ws(cookie => $staff, relay => 1, host => 'admin');   # not addressed by the floods below

my $bad = ws(cookie => $client, relay => 1);
my @hostile = ('', 'null', '[]', '"str"', '42', '{}', '{"type":null}', '{"type":"x"}',
	       '{"type":"typing"}', '{"type":"typing","conversationId":123,"active":true}',
	       '{"type":"typing","conversationId":"' . ('a' x 5000) . '","active":true}',
	       '{"type":"typing","conversationId":"' . $conv . '","active":"yes"}',
	       '{"type":"resume","lastMessageId":{}}', '{"type":"resume","lastMessageId":"ffffffffffffffffffffffff"}',
	       '{"type":"resume","lastMessageId":"' . $last . '","conversationId":7}',
	       '{"type":"ping","x":' . ('[' x 200) . (']' x 200) . '}', '{"type":"ping"} trailing',
	       '{"type":"ping","a":"\u0000\ud800"}', '{"type":"ping","n":1e99999}',
	       '{"type":"ping","a":"\u0000"}', '{"type":"ping","a":"x\udc00"}', '{"type":"ping","a":"\ud800x"}',
	       '{"type":"ping","\u0000":1}', '{"type":"ping","n":-1e99999}', '{"type":"ping","n":NaN}',
	       '{"type":"ping","n":Infinity}', '{"type":"ping","n":99999999999999999999}');
my @answers;
for my $h (@hostile) {
	$bad->send_text($h);
	my $e = wait_for($bad, sub { $_[0]{type} =~ /^(error|resumed|pong)$/ }, 3);
	push @answers, $e ? $e->{type} . ($e->{code} ? " $e->{code}" : '') : 'nothing';
}
my @wrong = grep { $answers[$_] !~ /^error (bad_frame|not_found)$/ } 0 .. $#hostile;
is_deeply [map { "$hostile[$_] → $answers[$_]" } @wrong], [],
	'each malformed or hostile frame gets an error frame (bad_frame or not_found)';
$bad->send_text('{"type":"ping"}');
ok wait_for($bad, sub { $_[0]{type} eq 'pong' }), 'and the socket stays open';
for my $h ('{"type":"ping","a":"\\\\u0000 is text, not a NUL"}', '{"type":"ping","a":"\ud83d\ude00"}',
	   '{"type":"ping","n":-12.5e3,"m":9223372036854775807}') {
	$bad->send_text($h);
	my $e = wait_for($bad, sub { $_[0]{type} =~ /^(error|pong)$/ }, 3);
	is $e && $e->{type}, 'pong', "a clean frame is served: $h";
}

# floods: frames faster than the rate limit → rate_limited, then 1008
my $flood = ws(cookie => $client, relay => 1);
$flood->send_raw(join '', map { CWC::WS::frame(1, '{"type":"ping"}') } 1 .. 500);
my @ff;
my $closed;
my $deadline = time + 5;
while (time < $deadline) {
	my $x = $flood->recv(timeout => 1) or last;
	if ($x->{eof} || exists $x->{close}) { $closed = $x; last }
	push @ff, eval { decode_json($x->{data}) } // {};
}
ok((grep { ($_->{code} // '') eq 'rate_limited' } @ff), 'a flood of frames: rate_limited');
is $closed && $closed->{close}, 1008, 'then closed with 1008';

# a fragmented message that never ends, over the size limit
my $frag = ws(cookie => $client, relay => 1);
$frag->send_raw(CWC::WS::frame(1, '{"type":"ping","pad":"', fin => 0)
		. join('', map { CWC::WS::frame(0, 'x' x 1000, fin => 0) } 1 .. 40));
$f = $frag->recv(timeout => 3);
is $f && $f->{close}, 1009, 'endless fragments: closed with 1009 at 16 KiB';

# invalid UTF-8 in a text frame
my $utf = ws(cookie => $client, relay => 1);
$utf->send_raw(CWC::WS::frame(1, "{\"type\":\"ping\",\"x\":\"\xff\xfe\"}"));
$f = $utf->recv(timeout => 3);
ok $f && ($f->{eof} || ($f->{close} // 0) == 1007), 'invalid UTF-8: closed (1007)';

# a client that stops reading while events pile up → closed with 1013
my $slow = ws(cookie => $client, relay => 1);
my $pad = 'y' x 60000;
redis_publish({ type => 'read', participants => [$client_id], userId => 'flood', i => $_, pad => $pad }) for 1 .. 400;
ok wait_until(sub { $s->log_text("relay1") =~ /outgoing queue full/ }, 10),
	'a client that does not read: its queue fills and the relay drops it';
$slow->{sock}->close;

# garbage instead of HTTP, half-sent upgrades, connections opened and dropped
for my $junk ("\x00\x01\x02\xff" x 100, "GET /ws HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\n",
	      "POST /ws HTTP/1.1\r\nContent-Length: 99999999\r\n\r\nabc", "GET " . ('/a' x 5000) . " HTTP/1.1\r\n\r\n",
	      "GET /ws HTTP/1.1\r\nCookie: " . ('c=' . ('x' x 9000)) . "\r\n\r\n") {
	my $c = IO::Socket::INET->new(PeerAddr => '127.0.0.1', PeerPort => $s->relay_port(1)) or next;
	local $SIG{PIPE} = 'IGNORE';
	print $c $junk;
	close $c;
}
# (15: under the per-user cap of 20 sockets, with the ones still open)
my @many = grep { $_ } map { scalar ws(cookie => $client, relay => 1, try => 1) } 1 .. 15;
is scalar(@many), 15, '15 sockets opened (then dropped)';
$_->{sock}->close for @many;

# the first socket never noticed
frames($good, 0.5);
$good->send_text('{"type":"ping"}');
ok wait_for($good, sub { $_[0]{type} eq 'pong' }), 'the well-behaved socket still answers';
redis_publish({ type => 'read', conversationId => $conv, participants => [], audience => 'staff', userId => 'probe2' });
$m = wait_for($good, sub { $_[0]{type} eq 'read' });
is $m && $m->{userId}, 'probe2', 'and still receives events';
ok defined $relay1_before && ($s->listener_id('relay1') // '') eq $relay1_before,
	'relay 1 is the same process, still running and listening';
is relay_health(1), 200, 'and healthy';
$good->close;

$s->stop;
done_testing;
