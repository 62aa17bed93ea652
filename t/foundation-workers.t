#!/usr/bin/perl
# The pre-forked server under signals, through Caddy: a worker killed with
# SIGKILL is replaced (and the crash logged); workers are recycled after
# CWC_MAX_REQUESTS; SIGHUP reloads the env file (a changed CORS_ORIGINS
# takes effect) while a client sending requests in a loop loses none;
# SIGTERM lets requests in flight finish with 200, then stops, and cuts a
# request that outlasts the 10 s drain cap.
#
# Liveness is read from the kernel (CWC::Stack::proc_alive, listener_pid),
# never from kill 0, which is true for an exited child not yet reaped.
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use CWC::Stack;
use HTTP::Tiny;
use IO::Select;
use IO::Socket::INET;
use POSIX qw(:sys_wait_h);
use File::Temp qw(tempdir);
use Test::More;
use Time::HiRes qw(sleep time);

# The env file the apps read (the environment wins over it, so what a
# reload should pick up is only in the file).
my $dir = tempdir('cwc-workers-XXXXXX', TMPDIR => 1, CLEANUP => !$ENV{CWC_KEEP_TMP});
my $env_file = "$dir/cwc.env";
sub write_env {
	my ($origin) = @_;
	open my $fh, '>', "$env_file.new" or die "$env_file: $!";
	print $fh "# written by t/foundation-workers.t\nCORS_ORIGINS=$origin\n";
	close $fh;
	rename "$env_file.new", $env_file or die "$env_file: $!";
}
write_env('https://partner-one.example');

my $s = CWC::Stack->start(dir => $dir, workers => 2,
			  env => { CWC_MAX_REQUESTS => 50, CWC_ENV_FILE => $env_file });

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

# --- SIGHUP: the env file is read again, while a client loops; no request lost.

# A CORS preflight from `origin` to the site: true when the site allows it.
sub origin_allowed {
	my ($origin) = @_;
	my $r = $s->request('OPTIONS', '/api/health',
			    headers => { Origin => $origin, 'Access-Control-Request-Method' => 'GET' });
	return $r->{status} == 204 && ($r->{headers}{'access-control-allow-origin'} // '') eq $origin;
}

# 20 preflights (every worker answers some): how many allowed `origin`.
sub allowed_count {
	my ($origin) = @_;
	return scalar grep { origin_allowed($origin) } 1 .. 20;
}

is allowed_count('https://partner-one.example'), 20, 'CORS_ORIGINS of the env file: partner-one allowed';
is allowed_count('https://partner-two.example'), 0, 'partner-two refused';

my $stop_client = "$dir/stop-client";
my $pid = fork // die;
if ($pid == 0) {
	my $ua = HTTP::Tiny->new(timeout => 10);
	my ($n, $bad) = (0, 0);
	my $t0 = time;
	while (!-e $stop_client && time - $t0 < 90) {
		my $r = $ua->get($s->site_url . '/api/health');
		$n++;
		$bad++ if $r->{status} != 200;
	}
	POSIX::_exit($bad ? 1 : ($n >= 20 ? 0 : 2));
}
wait_for(sub { $s->get('/api/health')->{status} == 200 }, 2);

my @reloads = (['https://partner-one.example', 'https://partner-two.example'],
	       ['https://partner-two.example', 'https://partner-three.example']);
for my $i (0 .. $#reloads) {
	my ($old, $new) = @{ $reloads[$i] };
	my @old_gen = $s->children('site');
	my $served = () = $s->log_text('site') =~ /reload: generation \d+ serving/g;
	write_env($new);
	kill 'HUP', $s->pid('site');
	ok wait_for(sub {
		my @now = $s->children('site');
		my $logged = () = $s->log_text('site') =~ /reload: generation \d+ serving/g;
		$logged > $served && @now == 2 && !grep { my $p = $_; grep { $_ == $p } @old_gen } @now;
	}, 20), 'reload ' . ($i + 1) . ': logged, two new workers, the old ones gone';
	is allowed_count($new), 20, "reload " . ($i + 1) . ": the env file's new CORS_ORIGINS is in force ($new allowed)";
	is allowed_count($old), 0, "reload " . ($i + 1) . ": the old value is not ($old refused)";
}
open my $fh, '>', $stop_client or die;
close $fh;
waitpid($pid, 0);
is $? >> 8, 0, 'a client looping through two reloads saw only 200s';

# --- SIGTERM: requests in flight finish, a request past the cap is cut.

$s->seed;
my @client = @{ $CWC::Stack::DEMO{client} };
my $login_body = qq({"email":"$client[0]","password":"$client[1]"});

# A login whose body is sent in two halves: the first now (Caddy passes it
# on, a worker takes the request and waits for the rest), the second when
# finish_upload is called. Returns the socket.
sub start_upload {
	my $sock = IO::Socket::INET->new(PeerAddr => '127.0.0.1', PeerPort => $s->site_port) or die "connect: $!";
	$sock->syswrite("POST /api/auth/login HTTP/1.1\r\nHost: localhost:" . $s->site_port .
		"\r\nOrigin: " . $s->site_url . "\r\nContent-Type: application/json\r\nContent-Length: " .
		length($login_body) . "\r\nConnection: close\r\n\r\n" . substr($login_body, 0, 10));
	return $sock;
}

# Sends the rest of the body and returns the response's status (undef when
# the connection closed without one).
sub finish_upload {
	my ($sock) = @_;
	$sock->syswrite(substr($login_body, 10));
	return read_status($sock);
}

# The status of the response on `sock`, read until it closes (30 s at most).
sub read_status {
	my ($sock) = @_;
	my $sel = IO::Select->new($sock);
	my $resp = '';
	my $deadline = time + 30;
	while (time < $deadline && $sel->can_read($deadline - time)) {
		$sock->sysread(my $buf, 4096) or last;
		$resp .= $buf;
	}
	my ($status) = $resp =~ m{^HTTP/1\.1 (\d+)};
	return $status;
}

# The site workers holding a connection from Caddy (busy with a request):
# a socket of theirs is an accepted one on the site's unix path.
sub busy_workers {
	my $path = $s->socket_path('site');
	my %conn;
	open my $fh, '<', '/proc/net/unix' or return ();
	while (my $line = <$fh>) {
		my @f = split ' ', $line;
		$conn{ $f[6] } = 1 if @f >= 8 && $f[7] eq $path && !(hex($f[3]) & 0x10000);
	}
	return grep {
		my $w = $_;
		grep { (readlink($_) // '') =~ /^socket:\[(\d+)\]$/ && $conn{$1} } glob "/proc/$w/fd/*";
	} $s->children('site');
}

# Waits (up to `secs`) for the master, our child, to exit; returns the
# seconds since `t0` when it did, undef if it still runs.
sub wait_exit {
	my ($master, $t0, $secs) = @_;
	while (time - $t0 < $secs) {
		return time - $t0 if waitpid($master, WNOHANG) == $master;
		sleep 0.05;
	}
	return undef;
}

{
	my @uploads = map { start_upload() } 1 .. 2;
	ok wait_for(sub { busy_workers() == 2 }, 15), 'two logins in flight, one per worker';
	my @workers = $s->children('site');
	my $master = $s->pid('site');
	is CWC::Stack::listener_pid($s->socket_path('site')), $master, 'the master listens on the site socket';
	kill 'TERM', $master;
	my $t0 = time;
	sleep 1;
	ok CWC::Stack::proc_alive($master), 'SIGTERM: the master waits for its busy workers';
	is scalar(grep { CWC::Stack::proc_alive($_) } @workers), 2, 'both busy workers are still running';
	my @status = map { finish_upload($_) } @uploads;
	is_deeply \@status, [200, 200], 'both requests in flight completed with 200';
	my $took = wait_exit($master, $t0, 30);
	ok defined $took && $took < 9, 'the app stopped once drained, before the 10 s cap ('
		. (defined $took ? sprintf('%.1f s', $took) : 'still running after 30 s') . ')';
	delete $s->{procs}{site};
	is scalar(grep { CWC::Stack::proc_alive($_) } @workers), 0, 'no worker outlives the master';
	ok !-e $s->socket_path('site'), 'its socket is removed';
}

{
	$s->start_component('site');
	$s->wait_healthy;
	my $stuck = start_upload();      # its body never ends
	my $quick = start_upload();
	ok wait_for(sub { busy_workers() == 2 }, 15), 'again two logins in flight';
	my @workers = $s->children('site');
	my $master = $s->pid('site');
	kill 'TERM', $master;
	my $t0 = time;
	sleep 1;
	is finish_upload($quick), 200, 'a request in flight completes with 200 while another holds the drain';
	my $took = wait_exit($master, $t0, 40);
	ok defined $took && $took >= 9 && $took <= 25,
		'a request that never ends holds the master until the 10 s cap, then it exits ('
		. (defined $took ? sprintf('%.1f s', $took) : 'still running after 40 s') . ')';
	# Caddy answers only once it has the whole body: the rest comes late.
	my $status = finish_upload($stuck);
	ok defined $status && $status == 502,
		'the request past the cap was cut: its late end gets ' . ($status // 'no answer');
	ok $s->log_text('site') =~ /drain timeout: killing 1 workers/, 'the cut is logged';
	delete $s->{procs}{site};
	is scalar(grep { CWC::Stack::proc_alive($_) } @workers), 0, 'no worker outlives the master';
	ok !-e $s->socket_path('site'), 'its socket is removed';
}

# A master killed outright (SIGKILL: no chance to stop its workers) leaves
# no worker behind holding the socket: a new master can start at once.
{
	$s->start_component('site');
	$s->wait_healthy;
	my @workers = $s->children('site');
	ok @workers >= 1, 'the site runs ' . scalar(@workers) . ' workers';
	my $master = delete $s->{procs}{site};
	kill 'KILL', $master;
	waitpid $master, 0;
	ok wait_for(sub { !grep { CWC::Stack::proc_alive($_) } @workers }, 10),
		'its workers exit by themselves when the master is killed';
	$s->start_component('site');
	ok $s->wait_healthy, 'a new site starts on the same socket and serves';
	is $s->get('/api/health')->{status}, 200, 'and answers through Caddy';
}

done_testing;
