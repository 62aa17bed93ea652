#!/usr/bin/perl
# The apps on MongoDB (the FerretDB test server) live through the database
# going away: /api/health answers 503 quickly while it is down (no hang, no
# crashed worker), 200 again once it is back without restarting anything,
# and workers do not leak connections. A MongoDB URI that cannot be used
# stops bin/site at start-up with a message that names the host and hides
# the password.
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use CWC::MongoServer;
use CWC::Stack;
use File::Temp qw(tempdir);
use POSIX qw(:sys_wait_h);
use Test::More;
use Time::HiRes qw(sleep time);

my $why = CWC::MongoServer->unavailable;
plan skip_all => $why if $why;

my $m = CWC::MongoServer->start;

# FerretDB has no TTL indexes: those fields' indexes made first, without TTL
$m->index_ttl_fields('coworking-cafe') or BAIL_OUT('cannot create the indexes of the TTL fields');

my $s = CWC::Stack->start(env => { MONGODB_URI => $m->uri('coworking-cafe') });

# The established TCP connections to the server's port, by owning pid.
sub connections_by_pid {
	my ($port) = @_;
	my %inode;
	for my $file ('/proc/net/tcp', '/proc/net/tcp6') {
		open my $fh, '<', $file or next;
		<$fh>;
		while (<$fh>) {
			my @f = split ' ';
			my ($rport) = $f[2] =~ /:([0-9A-F]{4})$/ or next;
			$inode{ $f[9] } = 1 if hex($rport) == $port && $f[3] eq '01';
		}
	}
	my %n;
	for my $fd (glob '/proc/[0-9]*/fd/*') {
		my $l = readlink($fd) // next;
		my ($ino) = $l =~ /^socket:\[(\d+)\]$/ or next;
		next unless $inode{$ino};
		my ($pid) = $fd =~ m{^/proc/(\d+)/};
		$n{$pid}++;
	}
	return \%n;
}

sub health_of {
	my ($host) = @_;
	my $t0 = time;
	my $r = $s->get('/api/health', host => $host);
	return ($r, time - $t0);
}

for my $host (qw(site admin)) {
	my ($r) = health_of($host);
	is $r->{status}, 200, "$host health is 200 on MongoDB";
	is $r->{json}{checks}{store}, 'up', "$host sees the store up";
}
like $s->log_text('site'), qr/store mongodb/, 'the site runs on the MongoDB backend';

# who serves, read from the kernel: the processes listening on the apps'
# sockets ("pid:start time")
my %serving = map { $_ => $s->listener_id($_) } qw(site admin);
like $serving{$_}, qr/^\d+:\d+$/, "a running $_ process listens" for qw(site admin);
my @site_workers = $s->children('site');
my @admin_workers = $s->children('admin');

# --- the server goes away ---------------------------------------------------
$m->stop;
for my $i (1 .. 4) {
	for my $host (qw(site admin)) {
		my ($r, $took) = health_of($host);
		is $r->{status}, 503, "$host health is 503 with MongoDB down (request $i)";
		cmp_ok $took, '<', 5, sprintf('%s answered in %.2f s', $host, $took);
		is $r->{json}{checks}{store}, 'down', "$host names the store as down" if $i == 1;
		unlike $r->{content}, qr/127\.0\.0\.1|No suitable servers|mongoc/,
			"$host leaks no internal detail" if $i == 1;
	}
}
is_deeply [ $s->children('site') ], \@site_workers, 'no site worker crashed';
is_deeply [ $s->children('admin') ], \@admin_workers, 'no admin worker crashed';

# --- it comes back -----------------------------------------------------------
$m->start_again;
my ($back, $t0) = (0, time);
while (time - $t0 < 15) {
	my ($a) = health_of('site');
	my ($b) = health_of('admin');
	if ($a->{status} == 200 && $b->{status} == 200) { $back = 1; last }
	sleep 0.1;
}
ok $back, sprintf('both apps are healthy again %.1f s after MongoDB is back', time - $t0);
is $s->listener_id($_), $serving{$_}, "without restarting $_" for qw(site admin);
is_deeply [ $s->children('site') ], \@site_workers, 'with the same site workers';
is_deeply [ $s->children('admin') ], \@admin_workers, 'with the same admin workers';

# --- no connection leak --------------------------------------------------------
# Every worker has served requests by now; each holds its pool's monitoring
# connection and the one of the client it uses (libmongoc may add one for
# round-trip measurement). 1,000 more requests must not add any.
health_of($_) for (qw(site admin)) x 20;
my $before = connections_by_pid($m->port);
my $failed = 0;
for my $i (1 .. 1000) {
	my ($r) = health_of($i % 4 ? 'site' : 'admin');
	$failed++ unless $r->{status} == 200;
}
is $failed, 0, '1,000 health checks on MongoDB all answered 200';
my $after = connections_by_pid($m->port);
my @workers = ($s->children('site'), $s->children('admin'));
my ($total_before, $total_after) = (0, 0);
$total_before += $_ for values %$before;
$total_after += $_ for values %$after;
for my $pid (@workers) {
	cmp_ok $after->{$pid} // 0, '<=', 3, "worker $pid holds at most 3 connections to MongoDB";
}
cmp_ok $total_after, '<=', $total_before + @workers,
	"connections stay bounded: $total_before before, $total_after after 1,000 requests";
note "connections per pid after: ", join ', ', map { "$_=$after->{$_}" } sort keys %$after;

$s->stop;
undef $s;

# --- a URI that cannot be used stops the site at start-up --------------------
my $dir = tempdir('cwc-mongo-start-XXXXXX', TMPDIR => 1, CLEANUP => 1);

# Runs the site with MONGODB_URI = `uri`; returns (exit status, stderr,
# secs). Its stderr is checked for sanitizer reports at the end (CWC::Stack).
my $runs = 0;
sub site_with_uri {
	my ($uri) = @_;
	my $err_log = "$dir/err" . ++$runs . '.log';
	CWC::Stack::watch_log($err_log);
	my %env = (
		CWC_ENV_FILE => '/dev/null',
		CWC_DATA_DIR => "$dir/var",
		REDIS_URL => 'redis://127.0.0.1:1/0',
		CWC_WORKERS => 1,
		LOG_LEVEL => 'info',
		CWC_SITE_LISTEN => "$dir/site.sock",
		MONGODB_URI => $uri,
		%CWC::Stack::SANITIZER_ENV,
	);
	my $t0 = time;
	my $pid = fork // die "fork: $!";
	if ($pid == 0) {
		@ENV{ keys %env } = values %env;
		open STDIN, '<', '/dev/null';
		open STDOUT, '>', "$dir/out.log";
		open STDERR, '>', $err_log;
		exec CWC::Stack::program('site') or POSIX::_exit(127);
	}
	my $status;
	while (time - $t0 < 30) {
		if (waitpid($pid, WNOHANG) == $pid) { $status = $? >> 8; last }
		sleep 0.05;
	}
	unless (defined $status) {
		kill 'KILL', $pid;
		waitpid($pid, 0);
		$status = 'still running after 30 s';
	}
	my $took = time - $t0;
	local $/;
	open my $fh, '<', $err_log;
	my $err = <$fh> // '';
	open $fh, '<', "$dir/out.log";
	$err .= <$fh> // '';
	return ($status, $err, $took);
}

my %bad = (
	unreachable => 'mongodb://cafe:s3cretPa55@127.0.0.1:1/coworking-cafe',
	malformed   => 'mongodb://cafe:s3cretPa55@127.0.0.1:99999/coworking-cafe',
);
for my $case (sort keys %bad) {
	my ($status, $err, $took) = site_with_uri($bad{$case});
	isnt $status, 0, "a MONGODB_URI that is $case stops bin/site at start-up (exit $status)";
	cmp_ok $took, '<', 15, sprintf('%s: in %.1f s', $case, $took);
	like $err, qr/127\.0\.0\.1/, "$case: the message names the host";
	unlike $err, qr/s3cretPa55/, "$case: the message does not show the password";
	diag $err if $status eq '0' || $err !~ /127\.0\.0\.1/ || $err =~ /s3cretPa55/;
}

done_testing;
