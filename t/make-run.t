#!/usr/bin/perl
# `make run`'s stack (t/run-stack) comes up on the README's ports with the
# demo accounts, and both Ctrl-C (SIGINT to the terminal's process group)
# and `make stop` (t/run-stack --stop) stop everything it started and
# nothing else. Skipped when those ports are taken (someone's `make run`).
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

for my $port (8080, 8081, 8090, 2019) {
	plan skip_all => "port $port is in use" if CWC::Stack::port_open($port);
}

# the stack's processes are those with its CWC_DATA_DIR in their environment
sub environ_of {
	my ($pid) = @_;
	open my $fh, '<', "/proc/$pid/environ" or return '';
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
		if ($a->{status} == 200 && $b->{status} == 200) { $up = 1; last }
		last if waitpid($pid, WNOHANG) == $pid;
		sleep 0.2;
	}
	ok $up, "$how: site on :8080 and admin on :8081 are healthy" or diag `tail -20 $data/run.log`;
	my $r = $ua->post('http://localhost:8081/api/auth/login', {
		headers => { 'Content-Type' => 'application/json' },
		content => '{"email":"admin@coworkingcafe.local","password":"cafe-admin-2026"}' });
	is $r->{status}, 200, "$how: the README's demo admin signs in on admin";
	ok -f "$data/cwc.sqlite3", "$how: the embedded store lives in CWC_DATA_DIR";

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
	ok !CWC::Stack::port_open($_), "$how: nothing listens on $_ any more" for 8080, 8081, 8090;
	my @left = grep { environ_of($_) =~ /CWC_DATA_DIR=\Q$data\E\0/ }
		map { m{/proc/(\d+)/} ? $1 : () } glob '/proc/[0-9]*/environ';
	is_deeply \@left, [], "$how: no process of the stack is left";
	ok kill(0, $bystander), "$how: a process it did not start is untouched";
	kill 'TERM', $bystander;
	waitpid($bystander, 0);
	kill 'KILL', -$pid unless $stopped;
}

run_and_stop('make stop');
run_and_stop('Ctrl-C');
done_testing;
