#!/usr/bin/perl
# `make run`'s stack (t/run-stack) comes up on the README's ports with the
# demo accounts; a component killed under it (the relay, Redis, the mail
# sender) is started again, logged, while the site keeps answering and the
# rest is not restarted; and both Ctrl-C (SIGINT to the terminal's process
# group) and `make stop` (t/run-stack --stop) stop everything it started,
# restarted components included, and nothing else. With
# CWC_{SITE,ADMIN,RELAY}_INSTANCES=2 it runs two of each, and `make
# rolling-update` (t/run-stack --rolling-update) replaces them all, or
# stops at a program that does not start, the old ones serving. Skipped
# when those ports are taken (someone's `make run`).
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use CWC::Stack;
use File::Temp qw(tempdir);
use HTTP::Tiny;
use POSIX qw(:sys_wait_h);
use Test::More;
use Time::HiRes qw(sleep time);

for my $port (8080, 8081, 8090, 8091, 2019) {
	plan skip_all => "port $port is in use" if CWC::Stack::port_open($port);
}

# the stack's processes are those with its CWC_DATA_DIR in their environment
sub environ_of {
	my ($pid) = @_;
	open my $fh, '<', "/proc/$pid/environ" or return '';
	local $/;
	return <$fh> // '';
}

sub cmdline_of {
	my ($pid) = @_;
	open my $fh, '<', "/proc/$pid/cmdline" or return '';
	local $/;
	my $c = <$fh> // '';
	$c =~ tr/\0/ /;
	return $c;
}

# The running children of run-stack (`runner`: every component is one)
# whose command line matches `re`. (Redis writes its title over its
# environment, so CWC_DATA_DIR there does not find it.)
sub stack_procs {
	my ($runner, $re) = @_;
	return grep { my (undef, $ppid) = CWC::Stack::proc_stat($_);
		      ($ppid // 0) == $runner && CWC::Stack::proc_alive($_) && cmdline_of($_) =~ $re }
		map { m{/proc/(\d+)/} ? $1 : () } glob '/proc/[0-9]*/stat';
}

sub status_of {
	my ($url) = @_;
	return HTTP::Tiny->new(timeout => 5)->get($url)->{status};
}

# What run-stack calls each component, how to find its process, and when it
# serves again.
my %COMPONENT = (
	relay => { name => 'relay1', re => qr{/bin/ws-relay\b},
		   serves => sub { status_of('http://127.0.0.1:8090/health') == 200 } },
	redis => { name => 'redis', re => qr{^redis-server },
		   serves => sub { status_of('http://localhost:8080/api/health') == 200
				   && status_of('http://127.0.0.1:8090/health') == 200 } },
	mailer => { name => 'mailer', re => qr{/bin/cwc-cron outbox --follow},
		    serves => sub { 1 } },
);

# Kills each of `which` with SIGKILL under run-stack: it comes back (a new
# process, logged), the site answers meanwhile, and the site, admin and
# Caddy are the same processes afterwards.
sub kill_components {
	my ($how, $runner, $data, @which) = @_;
	my %same = map { $_ => CWC::Stack::proc_id(CWC::Stack::listener_pid($_)) }
		"$data/run/site.sock", "$data/run/admin.sock", 8080;
	is scalar(grep { defined } values %same), 3, "$how: the site, admin and Caddy listen";
	for my $what (@which) {
		my $c = $COMPONENT{$what};
		my @old = stack_procs($runner, $c->{re});
		is scalar(@old), 1, "$how: one $what process runs" or next;
		kill 'KILL', $old[0];
		ok wait_until(sub { !CWC::Stack::proc_alive($old[0]) }, 10), "$how: $what killed";
		is status_of('http://localhost:8080/'), 200, "$how: the site answers while $what is down";
		my $new;
		ok wait_until(sub {
			($new) = grep { $_ != $old[0] } stack_procs($runner, $c->{re});
			$new && $c->{serves}->();
		}, 40), "$how: $what is started again and serves";
		# run-stack logs once the new process is up: give it a moment
		my $log;
		wait_until(sub { ($log = slurp("$data/run.log")) =~ /^$c->{name} restarted /m }, 10);
		ok $log =~ /^$c->{name} exited \(killed by signal 9\) after \d+ s; restarting it in \d+ s$/m,
			"$how: the exit of $what is logged with the pause";
		ok $new && $log =~ /^$c->{name} restarted \(pid $new\)$/m, "$how: its restart is logged";
	}
	if ($which[0] eq 'relay' && @which > 1) {
		# killed again soon after its restart: the pause doubles
		my ($old) = stack_procs($runner, $COMPONENT{relay}{re});
		kill 'KILL', $old if $old;
		ok $old && wait_until(sub {
			my ($new) = grep { $_ != $old } stack_procs($runner, $COMPONENT{relay}{re});
			$new && $COMPONENT{relay}{serves}->();
		}, 40), "$how: the relay killed again comes back again";
		ok wait_until(sub { slurp("$data/run.log") =~ /^relay1 exited .*; restarting it in 2 s$/m }, 10),
			"$how: after a pause twice as long (2 s)";
	}
	is_deeply { map { $_ => CWC::Stack::proc_id(CWC::Stack::listener_pid($_)) } keys %same }, \%same,
		"$how: the site, admin and Caddy kept serving, not restarted";
}

sub wait_until {
	my ($cond, $secs) = @_;
	my $t0 = time;
	while (time - $t0 < $secs) { return 1 if $cond->(); sleep 0.1 }
	return 0;
}

sub slurp {
	open my $fh, '<', $_[0] or return '';
	local $/;
	return <$fh> // '';
}

sub run_and_stop {
	my ($how) = @_;
	my $data = tempdir('cwc-make-run-XXXXXX', TMPDIR => 1, CLEANUP => 1);
	my $bystander = fork // die;     # a process that must survive
	if (!$bystander) { sleep 60; POSIX::_exit(0) }
	my $pid = fork // die;
	if (!$pid) {
		setpgrp(0, 0);           # as a terminal's foreground job
		$ENV{CWC_DATA_DIR} = $data;
		delete @ENV{qw(REDIS_URL MONGODB_URI CWC_ENV_FILE)};
		open STDOUT, '>', "$data/run.log";
		open STDERR, '>&', \*STDOUT;
		exec $^X, "$FindBin::Bin/run-stack" or POSIX::_exit(127);
	}

	my $ua = HTTP::Tiny->new(timeout => 5);
	my $up = 0;
	my $t0 = time;
	while (time - $t0 < 60) {
		my $a = $ua->get('http://localhost:8080/api/health');
		my $b = $ua->get('http://localhost:8081/api/health');
		# ready once both answer and the banner (printed after seeding) is out
		if ($a->{status} == 200 && $b->{status} == 200 && slurp("$data/run.log") =~ /stops it\./) {
			$up = 1;
			last;
		}
		last if waitpid($pid, WNOHANG) == $pid;
		sleep 0.2;
	}
	ok $up, "$how: site on :8080 and admin on :8081 are healthy" or diag `tail -20 $data/run.log`;
	my $r = $ua->post('http://localhost:8081/api/auth/login', {
		headers => { 'Content-Type' => 'application/json' },
		content => '{"email":"admin@coworkingcafe.local","password":"cafe-admin-2026"}' });
	is $r->{status}, 200, "$how: the README's demo admin signs in on admin";
	ok -f "$data/cwc.sqlite3", "$how: the embedded store lives in CWC_DATA_DIR";
	my ($redis) = stack_procs($pid, qr/^redis-server /);
	my ($redis_port) = cmdline_of($redis // 0) =~ /:(\d+)/;
	ok $redis_port, "$how: Redis runs (port " . ($redis_port // '?') . ')';
	kill_components($how, $pid, $data, $how eq 'make stop' ? qw(relay redis mailer) : qw(relay));

	if ($how eq 'make stop') {
		local $ENV{CWC_DATA_DIR} = $data;
		system("$^X $FindBin::Bin/run-stack --stop >/dev/null");
	} else {
		kill 'INT', -$pid;
	}
	my $stopped = 0;
	$t0 = time;
	while (time - $t0 < 30) {
		if (waitpid($pid, WNOHANG) == $pid) { $stopped = 1; last }
		sleep 0.1;
	}
	ok $stopped, "$how stops the stack";
	ok !CWC::Stack::port_open($_), "$how: nothing listens on $_ any more" for 8080, 8081, 8090, $redis_port // ();
	my @left = grep { environ_of($_) =~ /CWC_DATA_DIR=\Q$data\E\0/ }
		map { m{/proc/(\d+)/} ? $1 : () } glob '/proc/[0-9]*/environ';
	is_deeply \@left, [], "$how: no process of the stack is left";
	ok CWC::Stack::proc_alive($bystander), "$how: a process it did not start is untouched";
	kill 'TERM', $bystander;
	waitpid($bystander, 0);
	kill 'KILL', -$pid unless $stopped;
}

# Two instances of each, replaced by `make rolling-update`.
sub instances_and_update {
	my $data = tempdir('cwc-make-run-XXXXXX', TMPDIR => 1, CLEANUP => 1);
	my $pid = fork // die;
	if (!$pid) {
		setpgrp(0, 0);
		@ENV{qw(CWC_DATA_DIR CWC_SITE_INSTANCES CWC_ADMIN_INSTANCES CWC_RELAY_INSTANCES CWC_WORKERS)} = ($data, 2, 2, 2, 1);
		delete @ENV{qw(REDIS_URL MONGODB_URI CWC_ENV_FILE)};
		open STDOUT, '>', "$data/run.log";
		open STDERR, '>&', \*STDOUT;
		exec $^X, "$FindBin::Bin/run-stack" or POSIX::_exit(127);
	}
	ok wait_until(sub { slurp("$data/run.log") =~ /stops it\./ || waitpid($pid, WNOHANG) == $pid }, 60)
		&& status_of('http://localhost:8080/api/health') == 200, 'instances: the stack is up'
		or diag `tail -20 $data/run.log`;
	like slurp("$data/run.log"), qr{site   http://localhost:8080 \(2 instances\)}, 'instances: the banner says two sites';
	my @where = ("$data/run/site.sock", "$data/run/site2.sock", "$data/run/admin.sock", "$data/run/admin2.sock", 8090, 8091);
	my %before = map { $_ => CWC::Stack::proc_id(CWC::Stack::listener_pid($_)) } @where;
	is scalar(grep { defined } values %before), 6, 'instances: two sites, two admins, two relays listen';

	local $ENV{CWC_DATA_DIR} = $data;
	my $out = `$^X $FindBin::Bin/run-stack --rolling-update 2>&1`;
	is $? >> 8, 0, 'make rolling-update succeeds' or diag $out;
	like $out, qr/^site2: replaced$/m, 'and prints its steps';
	like $out, qr/^done ok: 6 instances replaced$/m, 'and its outcome';
	is status_of('http://localhost:8080/api/health'), 200, 'the site answers after it';
	is status_of('http://localhost:8081/api/health'), 200, 'so does admin';
	ok !(grep { CWC::Stack::proc_alive((split /:/, $before{$_})[0]) } @where), 'the old instances have exited';

	my $broken = "$data/broken-site";
	open my $fh, '>', $broken or die;
	print $fh "#!/bin/sh\nexit 1\n";
	close $fh;
	chmod 0755, $broken;
	$out = `$^X $FindBin::Bin/run-stack --rolling-update site=$broken 2>&1`;
	is $? >> 8, 1, 'a rolling update to a program that does not start fails' or diag $out;
	like $out, qr/^done failed: site: the new instance is not healthy \(it exited with status 1\); the old instance keeps serving$/m,
		'saying so';
	is status_of('http://localhost:8080/api/health'), 200, 'the site still answers';

	kill 'INT', -$pid;
	ok wait_until(sub { waitpid($pid, WNOHANG) == $pid }, 30), 'instances: Ctrl-C stops the stack';
	ok !CWC::Stack::port_open($_), "instances: nothing listens on $_ any more" for 8080, 8081, 8090, 8091;
	kill 'KILL', -$pid;
}

run_and_stop('make stop');
run_and_stop('Ctrl-C');
instances_and_update();
done_testing;
