package CWC::MongoServer;
# The MongoDB-compatible test server (FerretDB, t/mongo-server/) on a free
# loopback port, its data in a temporary directory.
#
#   my $why = CWC::MongoServer->unavailable;     # undef, or why it is skipped
#   plan skip_all => $why if $why;              # (dies unless CWC_SKIP_MONGODB=1)
#   my $m = CWC::MongoServer->start;             # waits for its `ready` line
#   $m->uri('cwc_conformance');                  # mongodb://127.0.0.1:PORT/cwc_conformance
#   $m->stop;  $m->start_again;                  # same port, same data
#   $m->command('db', createIndexes => 'c',      # one command over the wire
#               indexes => list([ key => [ f => 1 ], name => 'f_1' ]));
#   $m->command('db', insert => 'c', documents => list([ at => date($ms) ]));
#
# The binary is t/bin/mongo-server, (re)built by t/mongo-server/build.sh
# (a no-op when it is up to date; `make mongo-server` runs the same). The
# server's stderr goes to DIR/mongo-server.log; it is stopped when the
# object goes away, and by a small watcher process when the test process
# dies without cleaning up (killed, SIGPIPE, Ctrl-C).
use strict;
use warnings;
use Cwd qw(abs_path);
use File::Basename qw(dirname);
use File::Temp qw(tempdir);
use IO::Select;
use IO::Socket::INET;
use POSIX qw(:sys_wait_h);
use Time::HiRes qw(sleep time);

our $ROOT = abs_path(dirname(__FILE__) . '/../../..');
our $BINARY = "$ROOT/t/bin/mongo-server";

my $build_error;  # the build is tried once per test process

# undef when the server can run. When it cannot (no Go, no binary): the
# reason when CWC_SKIP_MONGODB=1 says to skip the MongoDB tests (README);
# otherwise it dies, and so the test fails. A build that fails with Go
# present always dies.
sub unavailable {
	my ($class) = @_;
	return undef if $class->_build;
	return $build_error if ($ENV{CWC_SKIP_MONGODB} // '') eq '1';
	die "$build_error; `make test` installs Go (etc/install-go), "
		. "or set CWC_SKIP_MONGODB=1 to skip the MongoDB tests\n";
}

sub _build {
	my ($class) = @_;
	return 1 if defined $build_error && $build_error eq '';
	return 0 if defined $build_error;
	my $out = `sh '$ROOT/t/mongo-server/build.sh' '$BINARY' 2>&1`;
	my $rc = $? >> 8;
	# Without Go, a binary built earlier is still good.
	if (($rc == 0 || $rc == 3) && -x $BINARY) {
		$build_error = '';
		return 1;
	}
	if ($rc == 3) {
		chomp $out;
		$build_error = "t/bin/mongo-server (the MongoDB-compatible test server, "
			. "built with Go: see docs/ferretdb.md) cannot be built: $out";
		return 0;
	}
	die "building t/bin/mongo-server failed (exit $rc):\n$out";
}

sub start {
	my ($class, %o) = @_;
	$class->_build or die "mongo-server unavailable: $build_error\n";
	my $dir = $o{dir} // tempdir('cwc-mongo-XXXXXX', TMPDIR => 1, CLEANUP => !$ENV{CWC_KEEP_TMP});
	my $self = bless { dir => $dir, data => "$dir/data", port => $o{port} // 0 }, $class;
	$self->_spawn;
	return $self;
}

sub _spawn {
	my ($self) = @_;
	pipe(my $r, my $w) or die "pipe: $!";
	my $log = "$self->{dir}/mongo-server.log";
	my $pid = fork // die "fork: $!";
	if ($pid == 0) {
		close $r;
		setpgrp(0, 0);
		open STDIN, '<', '/dev/null';
		open STDOUT, '>&', $w or POSIX::_exit(127);
		open STDERR, '>>', $log or POSIX::_exit(127);
		exec $BINARY, '-listen', "127.0.0.1:$self->{port}", '-data', $self->{data}
			or POSIX::_exit(127);
	}
	close $w;
	$self->{pid} = $pid;
	$self->_watch($pid);
	my $sel = IO::Select->new($r);
	my ($buf, $deadline) = ('', time + 20);
	while (time < $deadline && $buf !~ /\n/) {
		if ($sel->can_read(0.1)) {
			my $n = sysread $r, $buf, 256, length $buf;
			last unless $n;
		}
		if (waitpid($pid, WNOHANG) == $pid) {
			delete $self->{pid};
			$self->_unwatch;
			die "mongo-server exited at start-up:\n" . $self->log_text;
		}
	}
	close $r;
	my ($port) = $buf =~ /^ready \S+:(\d+)$/m;
	unless ($port) {
		$self->stop('KILL');
		die "mongo-server did not print its ready line in 20 s (got '$buf'):\n" . $self->log_text;
	}
	$self->{port} = $port;
}

# A process that waits for this test process to go away (its end of a
# pipe closes however the test ends) and then stops the server.
sub _watch {
	my ($self, $server) = @_;
	pipe(my $r, my $w) or die "pipe: $!";
	my $pid = fork // die "fork: $!";
	if ($pid == 0) {
		close $w;
		$SIG{$_} = 'IGNORE' for qw(INT TERM HUP PIPE QUIT);
		1 while sysread($r, my $buf, 1);
		kill 'TERM', $server if kill 0, $server;
		POSIX::_exit(0);
	}
	close $r;
	$self->{watcher} = $pid;
	$self->{watcher_pipe} = $w;
}

sub _unwatch {
	my ($self) = @_;
	my $pid = delete $self->{watcher} or return;
	kill 'KILL', $pid;
	waitpid($pid, 0);
	close delete $self->{watcher_pipe};
}

sub port { $_[0]{port} }
sub pid { $_[0]{pid} }
sub dir { $_[0]{dir} }
sub running { defined $_[0]{pid} }

sub uri {
	my ($self, $db) = @_;
	return "mongodb://127.0.0.1:$self->{port}/" . ($db // 'coworking-cafe');
}

# Stops the server (SIGTERM by default; FerretDB then closes its client
# connections, which takes a few seconds) and waits until it has exited.
sub stop {
	my ($self, $sig) = @_;
	my $pid = delete $self->{pid} or return;
	$self->_unwatch;
	kill $sig // 'TERM', $pid;
	my $deadline = time + 15;
	while (time < $deadline) {
		return 1 if waitpid($pid, WNOHANG) == $pid;
		sleep 0.02;
	}
	kill 'KILL', $pid;
	waitpid($pid, 0);
	return 0;
}

# Starts the stopped server again on the same port with the same data.
sub start_again {
	my ($self) = @_;
	die "mongo-server is running\n" if $self->{pid};
	my $deadline = time + 10;
	for (;;) {
		my $ok = eval { $self->_spawn; 1 };
		return 1 if $ok;
		# The old listening socket may not be released yet: retry a while.
		die $@ if time > $deadline;
		sleep 0.2;
	}
}

# ---- one command over the wire protocol ------------------------------------
# Enough BSON for preparing a database in a test: a document is an array
# ref of key/value pairs, an array is list(...), a date is date(ms since
# the epoch), a value matching an int32 is an int32, anything else a string.

sub list { bless [@_], 'CWC::MongoServer::List' }
sub date { bless \(my $ms = $_[0]), 'CWC::MongoServer::Date' }

sub _bson {
	my (@kv) = @_;
	my $e = '';
	while (@kv) {
		my ($k, $v) = splice @kv, 0, 2;
		if (ref $v eq 'CWC::MongoServer::List') {
			my $i = 0;
			$e .= "\x04$k\0" . _bson(map { ($i++, $_) } @$v);
		} elsif (ref $v eq 'CWC::MongoServer::Date') {
			$e .= "\x09$k\0" . pack('q<', $$v);
		} elsif (ref $v eq 'ARRAY') {
			$e .= "\x03$k\0" . _bson(@$v);
		} elsif ($v =~ /^-?\d{1,9}$/) {
			$e .= "\x10$k\0" . pack('l<', $v);
		} else {
			$e .= "\x02$k\0" . pack('V', length($v) + 1) . "$v\0";
		}
	}
	return pack('V', 5 + length $e) . $e . "\0";
}

# Runs the command (key/value pairs, the command name first) on database
# `db` as one OP_MSG. Returns true when the server answered ok: 1; dies
# when it cannot be reached.
sub command {
	my ($self, $db, @cmd) = @_;
	my $body = pack('V', 0) . "\0" . _bson(@cmd, '$db' => $db);
	my $sock = IO::Socket::INET->new(PeerAddr => '127.0.0.1', PeerPort => $self->{port},
					 Proto => 'tcp', Timeout => 5)
		or die "mongo-server port $self->{port}: $!\n";
	print {$sock} pack('V4', 16 + length $body, 1, 0, 2013) . $body;
	my $head = '';
	while (length $head < 16) {
		my $n = sysread($sock, $head, 16 - length $head, length $head) or last;
	}
	my ($len) = unpack 'V', $head;
	die "mongo-server: no reply\n" unless $len && $len >= 16;
	my $reply = '';
	while (length $reply < $len - 16) {
		my $n = sysread($sock, $reply, $len - 16 - length $reply, length $reply) or last;
	}
	close $sock;
	return index($reply, "\x01ok\0" . pack('d<', 1)) >= 0;
}

# FerretDB has no TTL indexes (docs/ferretdb.md): creates the TTL-indexed
# fields' indexes on database `db` without TTL, as an operator of such a
# server would; store_ensure_indexes() then keeps them (same keys, same
# uniqueness). True when every one was made.
sub index_ttl_fields {
	my ($self, $db) = @_;
	my $ok = 1;
	for my $ttl ([ sessions => 'expires' ], [ passwordresettokens => 'expiresAt' ]) {
		my ($coll, $field) = @$ttl;
		$self->command($db, createIndexes => $coll,
			       indexes => list([ key => [ $field => 1 ], name => "${field}_1" ])) or $ok = 0;
	}
	return $ok;
}

# Runs `$run->($label, %env)` on the embedded store, then on this test
# server (a database of its own, with the TTL-less indexes) in a SKIP of
# one test when it is unavailable (see unavailable()). For the files that
# check one behaviour on both stores.
sub on_both_stores {
	my ($class, $run) = @_;
	$run->('the embedded store');
	SKIP: {
		my $why = $class->unavailable;
		Test::More::skip($why, 1) if $why;
		my $m = $class->start;
		$m->index_ttl_fields('coworking-cafe');
		$run->('MongoDB (FerretDB test server)', MONGODB_URI => $m->uri('coworking-cafe'));
		$m->stop;
	}
}

sub log_text {
	my ($self) = @_;
	open my $fh, '<', "$self->{dir}/mongo-server.log" or return '';
	local $/;
	my $t = <$fh> // '';
	return length $t > 4000 ? substr($t, -4000) : $t;
}

sub DESTROY {
	my ($self) = @_;
	local ($?, $!, $@);
	$self->stop if $self->{pid};
}

1;
