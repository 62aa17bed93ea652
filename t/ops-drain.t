#!/usr/bin/perl
# SIGTERM to an app's master drains without losing what was already sent
# to it: the socket's file goes at once (a new connection is refused by
# the file system, and Caddy tries another instance), the request in
# progress finishes, and so do the connections already queued on the
# socket behind it, before the workers exit. Talks FastCGI to the socket
# directly, with one worker kept busy by a request sent in two halves.
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use CWC::Stack;
use IO::Socket::UNIX;
use Socket qw(SOCK_STREAM);
use Test::More;
use Time::HiRes qw(sleep time);

my $s = CWC::Stack->start(workers => 1);
my $sock = $s->socket_path('site');

sub record { my ($type, $content) = @_; pack('CCnnCx', 1, $type, 1, length $content, 0) . $content }
sub pair { my ($n, $v) = @_; pack('CC', length $n, length $v) . $n . $v }

# A GET /api/health as two halves: BEGIN_REQUEST, then the rest.
sub health_request {
	my $params = join '', map { pair(@$_) } [REQUEST_METHOD => 'GET'], [REQUEST_URI => '/api/health'],
		[SCRIPT_NAME => '/api/health'], [QUERY_STRING => ''], [SERVER_PROTOCOL => 'HTTP/1.1'],
		[REMOTE_ADDR => '127.0.0.1'], [HTTP_HOST => 'localhost'];
	return (record(1, pack('nCx5', 1, 0)), record(4, $params) . record(4, '') . record(5, ''));
}

# The HTTP status of the answer on $c (Status: header; none: 200), or
# undef; closes $c.
sub answer_status {
	my ($c) = @_;
	my ($out, $deadline) = ('', time + 20);
	while (time < $deadline) {
		my $head = '';
		while (length $head < 8) { my $n = sysread($c, $head, 8 - length $head, length $head); return undef unless $n }
		my (undef, $type, undef, $len, $pad) = unpack 'CCnnC', $head;
		my $body = '';
		while (length $body < $len + $pad) { my $n = sysread($c, $body, $len + $pad - length $body, length $body); return undef unless $n }
		$out .= substr($body, 0, $len) if $type == 6;
		# closed at once, as Caddy does (libfcgi waits up to 2 s for it)
		if ($type == 3) { close $c; return $out =~ /^Status: (\d+)/mi ? $1 : 200 }
	}
	return undef;
}

sub connect_site { IO::Socket::UNIX->new(Type => SOCK_STREAM, Peer => $sock) }

my ($begin, $rest) = health_request();
my $busy = connect_site() or die "connect: $!";
syswrite $busy, $begin;            # the only worker now waits for the rest
sleep 0.3;
my @queued = map { my $c = connect_site(); syswrite $c, $begin . $rest; $c } 1 .. 4;
ok 4 == grep({ defined } @queued), 'four more requests wait on the socket behind it';

my $master = $s->pid('site');
kill 'TERM', $master;
my $deadline = time + 5;
sleep 0.02 while -e $sock && time < $deadline;
ok !-e $sock, "the socket's file is gone as soon as the master drains";
ok !connect_site(), 'a new connection is refused';

syswrite $busy, $rest;
is answer_status($busy), 200, 'the request in progress is answered';
is_deeply [ map { answer_status($_) } @queued ], [ (200) x 4 ], 'and so is each queued one';
$deadline = time + 15;
sleep 0.05 while CWC::Stack::proc_alive($master) && time < $deadline;
ok !CWC::Stack::proc_alive($master), 'then the master exits';
$s->stop_component('site');
done_testing;
