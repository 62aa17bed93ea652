#!/usr/bin/perl
# The pre-forked server under signals, through Caddy: a SIGHUP reload while
# a client sends requests in a loop loses none; a worker killed with SIGKILL
# is replaced (and the crash logged); workers are recycled after
# CWC_MAX_REQUESTS; SIGTERM lets an in-flight request finish, then stops.
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use CWC::Stack;
use HTTP::Tiny;
use IO::Socket::INET;
use POSIX qw(:sys_wait_h);
use Test::More;
use Time::HiRes qw(sleep time);

my $s = CWC::Stack->start(workers => 2, env => { CWC_MAX_REQUESTS => 50 });

sub wait_for(&$) {
	my ($cond, $secs) = @_;
	my $t0 = time;
	while (time - $t0 < $secs) { return 1 if $cond->(); sleep 0.05 }
	return 0;
}

# --- SIGKILL a worker: replaced, crash logged.
my @before = $s->children('site');
is scalar @before, 2, 'two site workers';
$s->expect_crash('site', qr/worker $before[0] crashed \(signal 9\b/);
kill 'KILL', $before[0];
ok wait_for(sub { my @k = $s->children('site'); @k == 2 && !grep { $_ == $before[0] } @k }, 10),
	'a killed worker is replaced';
like $s->log_text('site'), qr/"worker \d+ crashed \(signal 9/, 'the crash is logged';
is $s->get('/api/health')->{status}, 200, 'the site still answers';

# --- recycling after CWC_MAX_REQUESTS (50): 200 requests → new pids.
my %pids_before = map { $_ => 1 } $s->children('site');
$s->get('/api/health') for 1 .. 200;
ok wait_for(sub { !grep { $pids_before{$_} } $s->children('site') }, 10), 'workers are recycled';
like $s->log_text('site'), qr/recycling after 50 requests/, 'recycling is logged';

# --- SIGHUP while a client loops: no request lost.
my $pid = fork // die;
if ($pid == 0) {
	my $ua = HTTP::Tiny->new(timeout => 10);
	my ($n, $bad) = (0, 0);
	my $t0 = time;
	while (time - $t0 < 4) {
		my $r = $ua->get($s->site_url . '/api/health');
		$n++;
		$bad++ if $r->{status} != 200;
	}
	POSIX::_exit($bad ? 1 : ($n > 50 ? 0 : 2));
}
sleep 0.5;
my @gen1 = $s->children('site');
kill 'HUP', $s->pid('site') for 1 .. 1;
sleep 1.5;
kill 'HUP', $s->pid('site');
waitpid($pid, 0);
is $? >> 8, 0, 'a client looping through two reloads saw only 200s';
my @gen3 = $s->children('site');
ok !(grep { my $p = $_; grep { $_ == $p } @gen1 } @gen3), 'the old workers are gone';
is scalar @gen3, 2, 'the new generation has two workers';
like $s->log_text('site'), qr/reload: generation \d+ serving/, 'the reload is logged';

# --- SIGTERM: an in-flight request (a slow upload) completes, then the app stops.
my $body = '{"email":"nobody@example.com","password":"wrong-password"}';
my $sock = IO::Socket::INET->new(PeerAddr => '127.0.0.1', PeerPort => $s->site_port) or die;
$sock->syswrite("POST /api/auth/login HTTP/1.1\r\nHost: localhost:" . $s->site_port .
	"\r\nContent-Type: application/json\r\nContent-Length: " . length($body) .
	"\r\nConnection: close\r\n\r\n" . substr($body, 0, 10));
sleep 0.5;
my $master = $s->pid('site');
kill 'TERM', $master;
sleep 0.5;
ok kill(0, $master), 'the master waits for the busy worker';
$sock->syswrite(substr($body, 10));
my $resp = '';
while ($sock->sysread(my $buf, 4096)) { $resp .= $buf }
my ($status) = $resp =~ m{^HTTP/1\.1 (\d+)};
ok $status && $status != 502 && $status != 503, "the in-flight request completed ($status)";
ok wait_for(sub { waitpid($master, WNOHANG) == $master }, 12), 'the app stopped after draining';
delete $s->{procs}{site};
ok !-e $s->socket_path('site'), 'its socket is removed';

done_testing;
