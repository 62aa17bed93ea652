#!/usr/bin/perl
# /api/health on site and admin does a real round trip to the store and a
# Redis PING: 503 while Redis is down, 200 again once it is back, without
# restarting anything. The relay answers its own health check.
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use CWC::Stack;
use HTTP::Tiny;
use JSON::PP;
use Test::More;
use Time::HiRes qw(sleep time);

my $s = CWC::Stack->start;

for my $host (qw(site admin)) {
	my $r = $s->get('/api/health', host => $host);
	is $r->{status}, 200, "$host health is 200";
	is $r->{json}{status}, 'healthy', "$host says healthy";
	is $r->{json}{service}, $host, "$host names itself";
	like $r->{json}{timestamp}, qr/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$/, "$host timestamp is ISO-8601";
	like $r->{headers}{'x-request-id'} // '', qr/^[\w-]{8,}$/, "$host response has a request id";
}

my $relay = HTTP::Tiny->new->get('http://127.0.0.1:' . $s->relay_port . '/health');
is $relay->{status}, 200, 'relay health is 200';
is eval { decode_json($relay->{content})->{status} }, 'healthy', 'relay says healthy';

# Who serves, read from the kernel: the processes listening on the site's
# and admin's sockets and on the relay's port ("pid:start time").
my %serving = map { $_ => $s->listener_id($_) } qw(site admin relay1);
like $serving{$_}, qr/^\d+:\d+$/, "a running $_ process listens" for sort keys %serving;
$s->stop_component('redis');
for my $host (qw(site admin)) {
	my $r = $s->get('/api/health', host => $host);
	is $r->{status}, 503, "$host health is 503 with Redis down";
	is $r->{json}{status}, 'unhealthy', "$host says unhealthy";
	like $r->{json}{error} // '', qr/redis/, "$host names what is down";
	unlike $r->{content}, qr/errno|Connection refused|\.c:/, "$host leaks no internal detail";
}
my $t0 = time;
my $down;
while (time - $t0 < 10) {
	my $r = HTTP::Tiny->new->get('http://127.0.0.1:' . $s->relay_port . '/health');
	if ($r->{status} == 503) { $down = 1; last }
	sleep 0.1;
}
ok $down, 'relay health is 503 while Redis is down';

$s->start_component('redis');
my $ok;
$t0 = time;
while (time - $t0 < 10) {
	my $a = $s->get('/api/health');
	my $b = $s->get('/api/health', host => 'admin');
	if ($a->{status} == 200 && $b->{status} == 200) { $ok = 1; last }
	sleep 0.1;
}
ok $ok, 'both apps are healthy again once Redis is back';
is $s->listener_id($_), $serving{$_}, "without restarting $_" for qw(site admin);

my $relay_ok;
$t0 = time;
while (time - $t0 < 10) {
	my $r = HTTP::Tiny->new->get('http://127.0.0.1:' . $s->relay_port . '/health');
	if ($r->{status} == 200) { $relay_ok = 1; last }
	sleep 0.1;
}
ok $relay_ok, 'relay reconnects to Redis by itself';
is $s->listener_id('relay1'), $serving{relay1}, 'the same relay process';

done_testing;
