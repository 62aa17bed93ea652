#!/usr/bin/perl
# The harness's ports: each component of a stack listens on a port of its
# own, and the harness never mistakes another program on that port for the
# component it started.
#
# free_port() can only say a port is free now. Two calls may get the same
# port, and another program may take it before the component listens:
# the component then exits ("address in use") while the other program
# answers in its place — which once failed t/relay-auth.t with an empty
# answer from "relay 2" (Redis, given the same port, closes an HTTP request
# without a word) and no socket on it through Caddy. Here the ports chosen
# for Redis and for relay 2 are taken by this test before they start.
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use CWC::Stack;
use CWC::WS;
use HTTP::Tiny;
use IO::Socket::INET;
use JSON::PP;
use Test::More;

# A listening socket on $port, as another program holding it.
sub squat {
	my ($port) = @_;
	my $l = IO::Socket::INET->new(Listen => 5, LocalAddr => '127.0.0.1', LocalPort => $port,
				      Proto => 'tcp', ReuseAddr => 1) or die "squat $port: $!";
	return $l;
}

my %seen;
my @ports = map { CWC::Stack::free_port() } 1 .. 1000;
$seen{$_}++ for @ports;
is scalar(grep { $seen{$_} > 1 } keys %seen), 0, 'free_port() never gives one port twice (1,000 ports)';

# start() asks free_port() for the site, admin and Caddy admin ports, then
# Redis, then each relay: the 4th and 6th ports it gets (Redis, relay 2)
# are taken by this test as soon as they are chosen.
my (%held, $s);
{
	my $real = \&CWC::Stack::free_port;
	my $calls = 0;
	no warnings 'redefine';
	local *CWC::Stack::free_port = sub {
		my $p = $real->();
		$calls++;
		$held{ $calls == 4 ? 'redis' : 'relay2' } = [ $p, squat($p) ] if $calls == 4 || $calls == 6;
		return $p;
	};
	$s = eval { CWC::Stack->start(relays => 2) };
}
ok $s, 'a stack starts although the ports chosen for Redis and relay 2 were taken'
	or BAIL_OUT("no stack: $@");
my ($redis_taken, $relay_taken) = ($held{redis}[0], $held{relay2}[0]);
like $s->log_text('redis'), qr/\Q$redis_taken\E.*in use/i, "Redis could not listen on its first port ($redis_taken)";
isnt $s->redis_url, "redis://127.0.0.1:$redis_taken/0", 'and runs on another one';
like $s->log_text('relay2'), qr/cannot listen on 127\.0\.0\.1:\Q$relay_taken\E/,
	"relay 2 could not listen on its first port ($relay_taken)";
isnt $s->relay_port(2), $relay_taken, 'and runs on another one';

my $h = HTTP::Tiny->new(timeout => 5)->get('http://127.0.0.1:' . $s->relay_port(2) . '/health');
is $h->{status}, 200, 'relay 2 answers /health on its port';
is eval { decode_json($h->{content})->{service} }, 'relay', 'as the relay';
my (undef, undef, $status) = CWC::WS->connect('ws://localhost:' . $s->relay_port(2) . '/elsewhere');
is $status, 404, 'an upgrade on another path, straight to relay 2: 404';
is $s->get('/api/health')->{status}, 200, 'the site is healthy (its Redis PING reaches the Redis started)';
is CWC::Stack::listener_pid($s->relay_port(2)), $s->pid('relay2'), 'the relay the harness started is the one listening';

# A component restarted on its port (which Caddy knows: it cannot move)
# while another program holds it: an error that says so, not a start.
$s->stop_component('relay2');
my $again = squat($s->relay_port(2));
my $err = eval { $s->start_component('relay2'); 1 } ? '' : $@;
like $err, qr/^relay2: port \d+ is taken by another program/,
	'a relay restarted on a port another program took: start_component dies saying so';
close $again;
ok eval { $s->start_component('relay2'); 1 }, 'and starts once the port is free again' or diag $@;
$h = HTTP::Tiny->new(timeout => 5)->get('http://127.0.0.1:' . $s->relay_port(2) . '/health');
is $h->{status}, 200, 'relay 2 answers /health again';

$s->stop;
done_testing;
