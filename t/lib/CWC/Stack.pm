package CWC::Stack;
# The whole stack on loopback, for tests and for `make run`: Redis, the
# site and admin FastCGI apps, one or more relays, and Caddy in front.
#
#   my $s = CWC::Stack->start(relays => 2);      # free ports, temp dir
#   my $s = CWC::Stack->start(instances => { site => 3, admin => 2, relay => 2 });
#   my $r = $s->get('/api/health');              # through Caddy (site)
#   my $r = $s->get('/api/health', host => 'admin');
#   $s->stop_component('redis'); $s->start_component('redis');
#
# Every process's stderr goes to DIR/logs/NAME.log; everything started is
# stopped when the object goes away (or the test dies).
#
# Several instances: the first site is the component `site`, the others
# `site2`, `site3`… (each on its own socket, DIR/NAME.sock), the same for
# admin; relays are `relay1`…; Caddy gets every instance in its upstream
# lists. `$s->rolling_update` replaces them one by one with no request
# lost (see there).
#
# Tests run the apps, the relay and the tools built with ASan + UBSan
# (build/asan/bin/, built by `make`); CWC_TEST_BUILD=release runs the
# optimised ones of bin/ instead (benchmarks, debugging). In a test (when
# Test::More is loaded), every stack is stopped when testing is done and
# its logs are read: a sanitizer report, a crashed worker or a component
# that died on a signal fails the test file once (one `ok` at the end, the
# offending lines in diag). A test that kills a worker on purpose says so:
#
#   $s->expect_crash('site', qr/worker \d+ crashed \(signal 9\b/);
use strict;
use warnings;
use Config;
use Cwd qw(abs_path);
use File::Basename qw(dirname);
use File::Path qw(make_path remove_tree);
use File::Temp qw(tempdir);
use HTTP::Tiny;
use IO::Socket::INET;
use Encode ();
use JSON::PP;
use MIME::QuotedPrint ();
use POSIX qw(:sys_wait_h);
use Scalar::Util ();
use Time::HiRes qw(sleep time);

our $ROOT = abs_path(dirname(__FILE__) . '/../../..');

# The build the tests run: 'asan' (default) or 'release'.
our $BUILD = $ENV{CWC_TEST_BUILD} || 'asan';
die "CWC_TEST_BUILD must be 'asan' or 'release', not '$BUILD'\n" unless $BUILD =~ /^(asan|release)$/;

# The path of a program (site, admin, ws-relay, cwc-ctl, cwc-cron,
# cwc-backup) of the build given (the tests' build by default); dies when
# it is not built.
sub program {
	my ($name, $build) = @_;
	my $bin = ($build // $BUILD) eq 'asan' ? "$ROOT/build/asan/bin/$name" : "$ROOT/bin/$name";
	die "$bin is not built (make)\n" unless -x $bin;
	return $bin;
}

# The sanitizers' settings: stop at the first error (abort, so the master
# logs a crashed worker), reports with stack traces on stderr (the
# component's log), leaks checked when a process exits cleanly (workers
# leave with _exit, so leaks show in masters, the relay and tools).
our %SANITIZER_ENV = (
	ASAN_OPTIONS => 'abort_on_error=1:halt_on_error=1:detect_leaks=1:'
		. 'disable_coredump=1:strip_path_prefix=' . "$ROOT/",
	UBSAN_OPTIONS => 'print_stacktrace=1:halt_on_error=1:abort_on_error=1',
	LSAN_OPTIONS => 'print_suppressions=0',
);

# A loopback port nothing listens on now, never one this process was
# already given: two bind(0) calls may get the same free port (1 stack in
# about 300 had two components on one port), and the second component
# would then fail to listen while the first answered in its place. It is
# only free now: another program may take it before ours listens there
# (wait_component notices, start() moves Redis and relays elsewhere).
my %HANDED_OUT;
sub free_port {
	for (1 .. 1000) {
		my $s = IO::Socket::INET->new(Listen => 1, LocalAddr => '127.0.0.1', LocalPort => 0,
					      Proto => 'tcp', ReuseAddr => 1) or die "no free port: $!";
		my $p = $s->sockport;
		close $s;
		return $p unless $HANDED_OUT{$p}++;
	}
	die "no free port this process was not already given\n";
}

sub port_open {
	my ($port) = @_;
	my $s = IO::Socket::INET->new(PeerAddr => '127.0.0.1', PeerPort => $port, Timeout => 1);
	return $s ? (close($s), 1)[1] : 0;
}

sub start {
	my ($class, %o) = @_;
	my $dir = $o{dir} // tempdir('cwc-test-XXXXXX', TMPDIR => 1, CLEANUP => !$ENV{CWC_KEEP_TMP});
	my $self = bless {
		dir => $dir,
		procs => {},
		relays => $o{relays} // $o{instances}{relay} // 1,
		site_instances => $o{instances}{site} // 1,
		admin_instances => $o{instances}{admin} // 1,
		listen => {},
		workers => $o{workers} // 2,
		site_port => $o{site_port} // free_port(),
		admin_port => $o{admin_port} // free_port(),
		caddy_admin => $o{caddy_admin} // free_port(),
		redis_port => $o{redis_port} // free_port(),
		own_redis => !$o{redis_url},
		env => $o{env} // {},
		foreground => $o{foreground},
		build => $o{build} // $BUILD,
		expected => [],
		owner => $$,
	}, $class;
	$self->{relay_ports} = $o{relay_ports} // [ map { free_port() } 1 .. $self->{relays} ];
	$self->{relays} = @{ $self->{relay_ports} };
	$self->{data_dir} = $o{data_dir} // "$dir/var";
	$self->{redis_url} = $o{redis_url} // "redis://127.0.0.1:$self->{redis_port}/0";
	make_path("$dir/logs", $self->{data_dir});
	_watch_logs($self) unless $self->{foreground};
	for my $name ($self->components) {
		for (my $try = 1; !eval { $self->start_component($name); 1 }; $try++) {
			die $@ unless $@ =~ /^\Q$name\E: port \d+ is taken/ && $try < 3
				&& $self->_move($name, \%o);
		}
	}
	$self->wait_healthy;
	return $self;
}

# At start-up, a component whose port was taken by another program
# between free_port() and its start gets a new port — when the harness
# chose it and nothing started yet knows it: Redis (before the apps) and
# the relays (before Caddy). Caddy's ports are in the apps' configuration
# (NEXTAUTH_URL…): not moved. True when moved.
sub _move {
	my ($self, $name, $o) = @_;
	my ($old, $new);
	if ($name eq 'redis' && !$o->{redis_port}) {
		($old, $new) = ($self->{redis_port}, free_port());
		$self->{redis_port} = $new;
		$self->{redis_url} = "redis://127.0.0.1:$new/0";
	} elsif ($name =~ /^relay(\d+)$/ && !$o->{relay_ports}) {
		($old, $new) = ($self->{relay_ports}[ $1 - 1 ], free_port());
		$self->{relay_ports}[ $1 - 1 ] = $new;
	} else {
		return 0;
	}
	warn "# CWC::Stack: $name: port $old was taken by another program, using $new\n";
	return 1;
}

sub components {
	my ($self) = @_;
	return ($self->{own_redis} ? ('redis') : ()), $self->instances('site'),
		$self->instances('admin'), $self->instances('relay'),
		'mailer', 'caddy';
}

# The component names of an app's instances: ('site', 'site2', …), or
# ('relay1', …) for 'relay'.
sub instances {
	my ($self, $app) = @_;
	return map { "relay$_" } 1 .. $self->{relays} if $app eq 'relay';
	return map { $_ == 1 ? $app : "$app$_" } 1 .. $self->{"${app}_instances"};
}

# 'site' or 'admin' for an app instance's component name, else undef.
sub app_of { $_[1] =~ /^(site|admin)\d*$/ ? $1 : undef }

sub dir { $_[0]{dir} }
sub data_dir { $_[0]{data_dir} }
sub site_url { "http://localhost:$_[0]{site_port}" }
sub admin_url { "http://localhost:$_[0]{admin_port}" }
sub site_port { $_[0]{site_port} }
sub admin_port { $_[0]{admin_port} }
sub relay_port { $_[0]{relay_ports}[ ($_[1] // 1) - 1 ] }
sub redis_url { $_[0]{redis_url} }
# Where an app instance listens (it changes in a rolling update).
sub socket_path { $_[0]{listen}{ $_[1] } // "$_[0]{dir}/$_[1].sock" }

# The environment every program of the stack gets.
sub app_env {
	my ($self) = @_;
	my $relays = join ' ', map { "127.0.0.1:$_" } @{ $self->{relay_ports} };
	return (
		CWC_ENV_FILE => '/dev/null',
		CWC_DATA_DIR => $self->{data_dir},
		REDIS_URL => $self->{redis_url},
		NEXTAUTH_URL => $self->site_url,
		CWC_ADMIN_URL => $self->admin_url,
		WS_URL => 'ws://localhost:' . $self->{site_port} . '/ws',
		CWC_WORKERS => $self->{workers},
		LOG_LEVEL => 'info',
		CWC_SITE_LISTEN => $self->socket_path('site'),
		CWC_ADMIN_LISTEN => $self->socket_path('admin'),
		CWC_SITE_PORT => $self->{site_port},
		CWC_ADMIN_PORT => $self->{admin_port},
		CWC_CADDY_ADMIN => "127.0.0.1:$self->{caddy_admin}",
		CWC_CADDY_LOG_LEVEL => 'ERROR',
		CWC_SITE_UPSTREAMS => join(' ', map { 'unix/' . $self->socket_path($_) } $self->instances('site')),
		CWC_ADMIN_UPSTREAMS => join(' ', map { 'unix/' . $self->socket_path($_) } $self->instances('admin')),
		CWC_RELAY_UPSTREAMS => $relays,
		CWC_PUBLIC_DIR => "$ROOT/build/public",
		XDG_DATA_HOME => "$self->{dir}/caddy-data",
		XDG_CONFIG_HOME => "$self->{dir}/caddy-config",
		# tests compare availability before and after a write: the store's
		# word, not a worker's answer of a moment ago (t/bookings-availability-cache.t
		# turns it on)
		CWC_AVAILABILITY_CACHE_MS => 0,
		# the same for the blog's counts and categories (t/content-blog-cache.t)
		CWC_BLOG_CACHE_MS => 0,
		($self->{build} eq 'asan' ? %SANITIZER_ENV : ()),
		%{ $self->{env} },
	);
}

sub command_of {
	my ($self, $name) = @_;
	return ('redis-server', '--port', $self->{redis_port}, '--bind', '127.0.0.1',
		'--save', '', '--appendonly', 'no', '--dir', $self->{dir}) if $name eq 'redis';
	return $self->{program_of}{$name} // program(app_of(undef, $name), $self->{build})
		if app_of(undef, $name);
	return ('caddy', 'run', '--config', "$ROOT/etc/Caddyfile.local", '--adapter', 'caddyfile')
		if $name eq 'caddy';
	return $self->{program_of}{$name} // program('ws-relay', $self->{build}) if $name =~ /^relay\d+$/;
	return (program('cwc-cron', $self->{build}), 'outbox', '--follow') if $name eq 'mailer';
	die "unknown component $name";
}

sub start_component {
	my ($self, $name) = @_;
	$self->{procs}{$name} = $self->_spawn($name);
	$self->wait_component($name);
	return $self->{procs}{$name};
}

# Starts a component's process (at its current address) and returns its
# pid, without waiting for it.
sub _spawn {
	my ($self, $name) = @_;
	my %env = $self->app_env;
	if ($name =~ /^relay(\d+)$/) {
		$env{CWC_RELAY_LISTEN} = '127.0.0.1:' . $self->relay_port($1);
	}
	if (my $app = $self->app_of($name)) {
		$env{ $app eq 'site' ? 'CWC_SITE_LISTEN' : 'CWC_ADMIN_LISTEN' } = $self->socket_path($name);
	}
	my @cmd = $self->command_of($name);
	my $log = "$self->{dir}/logs/$name.log";
	my $pid = fork // die "fork: $!";
	if ($pid == 0) {
		setpgrp(0, 0) unless $self->{foreground};
		@ENV{ keys %env } = values %env;
		chdir $ROOT;
		open STDIN, '<', '/dev/null';
		unless ($self->{foreground}) {
			open STDOUT, '>>', $log or die;
			open STDERR, '>>', $log or die;
		}
		exec @cmd or POSIX::_exit(127);
	}
	return $pid;
}

# Where a component listens: TCP ports, or a unix socket's path.
sub addresses {
	my ($self, $name) = @_;
	return $name eq 'redis' ? ($self->{redis_port})
	     : $self->app_of($name) ? ($self->socket_path($name))
	     : $name =~ /^relay(\d+)$/ ? ($self->relay_port($1))
	     : $name eq 'caddy' ? ($self->{site_port}, $self->{admin_port})
	     : ();
}

# True when process $pid listens at $where (a TCP port or a unix socket's
# path). Whose socket it is is asked only once something is there: reading
# /proc/net/tcp costs ~10 ms.
sub _listens_at {
	my ($pid, $where) = @_;
	my $there = $where =~ /^\d+$/ ? port_open($where) : -S $where;
	return $there && holds_listener($pid, $where);
}

# Started means: the process we started listens at every address of the
# component — not merely that something answers there, which may be
# another program holding the port (ours then exits, unable to listen:
# "NAME: port P is taken", which start() may retry elsewhere).
sub wait_component {
	my ($self, $name) = @_;
	my $deadline = time + 20;
	my $pid = $self->{procs}{$name};
	my @where = $self->addresses($name);
	while (time < $deadline) {
		if (waitpid($pid, WNOHANG) == $pid) {
			my ($taken) = grep { /^\d+$/ && port_open($_) } @where;
			die "$name: port $taken is taken by another program:\n" . $self->log_tail($name)
				if $taken;
			die "$name exited at start-up:\n" . $self->log_tail($name);
		}
		return 1 unless grep { !_listens_at($pid, $_) } @where;
		sleep 0.05;
	}
	die "$name did not start in 20 s:\n" . $self->log_tail($name);
}

sub wait_healthy {
	my ($self, %o) = @_;
	my $deadline = time + ($o{timeout} // 20);
	while (time < $deadline) {
		my $a = $self->get('/api/health');
		my $b = $self->get('/api/health', host => 'admin');
		return 1 if $a->{status} == 200 && $b->{status} == 200;
		sleep 0.1;
	}
	die "stack not healthy:\n" . join '', map { $self->log_tail($_) } $self->components;
}

sub pid { $_[0]{procs}{ $_[1] } }

# The pids of the running children of a component's process (an app's
# workers); an exited one not yet reaped by its parent is not counted.
sub children {
	my ($self, $name) = @_;
	my $parent = $self->pid($name) or return ();
	my @kids;
	for my $stat (glob '/proc/[0-9]*/stat') {
		open my $fh, '<', $stat or next;
		my $line = <$fh> // next;
		my ($pid, $ppid) = $line =~ /^(\d+) \(.*\) \S+ (\d+)/ or next;
		push @kids, $pid if $ppid == $parent && proc_alive($pid);
	}
	return sort { $a <=> $b } @kids;
}

# ---- liveness: what the kernel says, never the harness's own record ------
#
#   proc_alive($pid)        true while the process runs: false once it has
#                           exited, reaped or still a zombie for its parent
#                           (kill 0 is true for a zombie, so it proves nothing)
#   proc_id($pid)           "pid:start time" of a running process, which tells
#                           it from a later one given the same pid; undef when
#                           it does not run
#   listener_pid($where)    the process listening on a local TCP port
#                           or a unix socket path: of those holding the
#                           listening socket, the one whose parent does not
#                           (a pre-forked master, not its workers); undef: none
#   holds_listener($pid, $where)  true when that process holds the
#                           listening socket at a TCP port or unix path
#   $s->listener_id($name)  proc_id of what listens at a component's address

# /proc/PID/stat as (state, ppid, start time), or () when there is no such pid.
sub proc_stat {
	my ($pid) = @_;
	open my $fh, '<', "/proc/$pid/stat" or return ();
	my $line = <$fh> // return ();
	my ($rest) = $line =~ /^\d+ \(.*\) (.*)$/s or return ();
	my @f = split ' ', $rest;    # fields 3.. of proc(5)
	return ($f[0], $f[1], $f[19]);
}

sub proc_alive {
	my ($pid) = @_;
	return 0 unless $pid;
	my ($state) = proc_stat($pid);
	return defined $state && $state ne 'Z' && $state ne 'X' && $state ne 'x';
}

sub proc_id {
	my ($pid) = @_;
	return undef unless proc_alive($pid);
	my (undef, undef, $start) = proc_stat($pid);
	return "$pid:$start";
}

# The inodes of the listening sockets at a local TCP port or unix path.
sub _listening_inodes {
	my ($where) = @_;
	my %inode;
	if ($where =~ /^\d+$/) {
		for my $file ('/proc/net/tcp', '/proc/net/tcp6') {
			open my $fh, '<', $file or next;
			while (my $line = <$fh>) {
				my @f = split ' ', $line;
				next unless @f > 9 && $f[3] eq '0A';    # LISTEN
				my ($port) = $f[1] =~ /:([0-9A-F]{4})$/ or next;
				$inode{ $f[9] } = 1 if hex($port) == $where;
			}
		}
	} else {
		open my $fh, '<', '/proc/net/unix' or return ();
		while (my $line = <$fh>) {
			my @f = split ' ', $line;
			next unless @f >= 8 && $f[7] eq $where;
			$inode{ $f[6] } = 1 if hex($f[3]) & 0x10000;    # __SO_ACCEPTCON
		}
	}
	delete $inode{0};
	return %inode;
}

# True when process $pid holds a listening socket at $where (a TCP port or
# a unix socket path): looks at that process's descriptors only.
sub holds_listener {
	my ($pid, $where) = @_;
	my %inode = _listening_inodes($where) or return 0;
	for my $fd (glob "/proc/$pid/fd/*") {
		my ($ino) = (readlink($fd) // next) =~ /^socket:\[(\d+)\]$/ or next;
		return 1 if $inode{$ino};
	}
	return 0;
}

sub listener_pid {
	my ($where) = @_;
	my %inode = _listening_inodes($where) or return undef;
	my %holders;
	for my $fd (glob '/proc/[0-9]*/fd/*') {
		my $l = readlink($fd) // next;
		my ($ino) = $l =~ /^socket:\[(\d+)\]$/ or next;
		next unless $inode{$ino};
		my ($pid) = $fd =~ m{^/proc/(\d+)/};
		$holders{$pid} = 1;
	}
	my @top = grep { my (undef, $ppid) = proc_stat($_); !$holders{ $ppid // 0 } }
		grep { proc_alive($_) } sort { $a <=> $b } keys %holders;
	return $top[0];
}

sub listener_id {
	my ($self, $name) = @_;
	my $where = $name eq 'redis' ? $self->{redis_port}
		  : $self->app_of($name) ? $self->socket_path($name)
		  : $name =~ /^relay(\d+)$/ ? $self->relay_port($1)
		  : $name eq 'caddy' ? $self->{site_port}
		  : die "$name listens nowhere";
	return proc_id(listener_pid($where) // return undef);
}

sub stop_component {
	my ($self, $name, $sig) = @_;
	my $pid = delete $self->{procs}{$name} or return;
	return $self->_stop_pid($name, $pid, $sig);
}

# Signals a process of component `name` (TERM by default), reaps it (KILL
# after 15 s); true when it stopped by itself.
sub _stop_pid {
	my ($self, $name, $pid, $sig) = @_;
	$sig //= 'TERM';
	my ($gone, $stopped) = (waitpid($pid, WNOHANG) == $pid, 1);
	unless ($gone) {
		kill $sig, $pid;
		my $deadline = time + 15;
		until (waitpid($pid, WNOHANG) == $pid) {
			if (time > $deadline) {
				kill 'KILL', $pid;
				waitpid($pid, 0);
				$stopped = 0;
				last;
			}
			sleep 0.05;
		}
	}
	# A death on a signal we did not send is a crash.
	my $got = WIFSIGNALED($?) ? WTERMSIG($?) : 0;
	if ($got && ($gone || ($stopped && $got != _signum($sig)))) {
		my $what = (split ' ', $Config{sig_name})[$got] // '?';
		push @{ $self->{deaths} }, [ $name, "$name died on signal $got (SIG$what)"
			. ($gone ? ' before it was stopped' : '') ];
	}
	return $stopped;
}

sub _signum {
	my ($sig) = @_;
	return $sig if $sig =~ /^\d+$/;
	no strict 'refs';
	return &{"POSIX::SIG$sig"}();
}

sub log_tail {
	my ($self, $name, $lines) = @_;
	my $file = "$self->{dir}/logs/$name.log";
	open my $fh, '<', $file or return "($name: no log)\n";
	my @l = <$fh>;
	$lines //= 15;
	@l = @l[-$lines .. -1] if @l > $lines;
	return "--- $name\n" . join '', @l;
}

sub log_text {
	my ($self, $name) = @_;
	open my $fh, '<', "$self->{dir}/logs/$name.log" or return '';
	local $/;
	return <$fh>;
}

# HTTP through Caddy. Returns HTTP::Tiny's hash plus `json` when the body
# is JSON. Options: host => 'admin', headers => {}, json => $data, body.
sub request {
	my ($self, $method, $path, %o) = @_;
	my $base = ($o{host} // 'site') eq 'admin' ? $self->admin_url : $self->site_url;
	my %h = %{ $o{headers} // {} };
	if (my $sess = $o{session}) {
		$h{Cookie} = $sess->{cookie};
		$base = ($o{host} // $sess->{host}) eq 'admin' ? $self->admin_url : $self->site_url;
		$h{Origin} //= $base if $method ne 'GET' && $method ne 'HEAD';
	}
	my %args = (headers => \%h);
	if (exists $o{json}) {
		$h{'Content-Type'} //= 'application/json';
		$args{content} = ref $o{json} ? encode_json($o{json}) : $o{json};
	} elsif (defined $o{body}) {
		$args{content} = $o{body};
	}
	my $ua = $self->{ua} //= HTTP::Tiny->new(timeout => 30, max_redirect => 0);
	my $r = $ua->request($method, $base . $path, \%args);
	if (($r->{headers}{'content-type'} // '') =~ m{application/json} && length $r->{content}) {
		$r->{json} = eval { decode_json($r->{content}) };
	}
	return $r;
}

# Runs cwc-ctl with the stack's configuration; returns (exit code,
# output). `stdin` feeds it (passwords). The output is also appended to
# DIR/logs/cwc-ctl.log (read at the end like the other logs).
sub ctl {
	my ($self, @args) = @_;
	my $stdin = ref $args[-1] eq 'HASH' ? pop(@args)->{stdin} : undef;
	my %env = $self->app_env;
	local @ENV{ keys %env } = values %env;
	my $cmd = join ' ', map { quotemeta } program('cwc-ctl', $self->{build}), @args;
	my $out;
	if (defined $stdin) {
		require File::Temp;
		my ($fh, $file) = File::Temp::tempfile();
		print $fh $stdin;
		close $fh;
		$out = `$cmd < $file 2>&1`;
		unlink $file;
	} else {
		$out = `$cmd < /dev/null 2>&1`;
	}
	my $rc = $? >> 8;
	if (open my $log, '>>', "$self->{dir}/logs/cwc-ctl.log") {
		print $log "\$ cwc-ctl @args (exit $rc)\n$out";
	}
	return ($rc, $out);
}

# Writes categories and articles with t/tools/content-put (the content
# domain's own writer) in this stack's environment: `$json` is the JSON
# text of {categories, articles}. Returns the tool's exit code.
sub content_put {
	my ($self, $json) = @_;
	my %env = $self->app_env;
	local @ENV{ keys %env } = values %env;
	open my $p, '|-', "$ROOT/build/asan/t/tools/content-put" or die "content-put: $!";
	print $p $json;
	close $p;
	return $? >> 8;
}

# The demo accounts of `cwc-ctl seed` (admin, staff, client), once.
sub seed {
	my ($self) = @_;
	return if $self->{seeded}++;
	my ($rc, $out) = $self->ctl('seed');
	die "cwc-ctl seed failed: $out" if $rc;
}

our %DEMO = (
	admin => ['admin@coworkingcafe.local', 'cafe-admin-2026'],
	staff => ['staff@coworkingcafe.local', 'cafe-staff-2026'],
	client => ['client@coworkingcafe.local', 'cafe-client-2026'],
);

# Logs in (on `host`, site by default) and returns a session: a hash
# {cookie => 'cwc_session=…', user => {...}} usable as
# $s->get($path, session => $session).
sub login {
	my ($self, $email, $password, %o) = @_;
	if (!defined $password && $DEMO{$email}) {
		$self->seed;
		($email, $password) = @{ $DEMO{$email} };
	}
	my $r = $self->post('/api/auth/login', host => $o{host},
			    json => { email => $email, password => $password });
	die "login $email: $r->{status} $r->{content}" unless $r->{status} == 200;
	my $sc = $r->{headers}{'set-cookie'};
	$sc = join ';', @$sc if ref $sc;
	my ($cookie) = $sc =~ /(cwc_session=[0-9a-f]+)/ or die "no session cookie";
	return { cookie => $cookie, user => $r->{json}{user}, host => $o{host} // 'site' };
}

# The mails the file transport wrote, oldest first (paths).
sub mails {
	my ($self) = @_;
	return sort glob "$self->{data_dir}/mail/*.eml";
}

# Waits for a mail to `to` whose text matches `re`; returns its text.
sub wait_mail {
	my ($self, $to, $re, $secs) = @_;
	my $deadline = time + ($secs // 15);
	while (time < $deadline) {
		for my $f (reverse $self->mails) {
			open my $fh, '<', $f or next;
			my $text = do { local $/; <$fh> };
			my $plain = Encode::decode('UTF-8', MIME::QuotedPrint::decode_qp($text));
			return $plain if $plain =~ /^To:.*\Q$to\E/mi && $plain =~ $re;
		}
		sleep 0.1;
	}
	die "no mail to $to matching $re";
}

# Registers and activates a client account; returns its session.
sub new_client {
	my ($self, $email, %o) = @_;
	my $password = $o{password} // 'client-password-1';
	my $r = $self->post('/api/auth/register', json => {
		email => $email, password => $password, givenName => $o{givenName} // 'Test',
		username => $o{username} // 'test', phone => '0600000000', newsletter => JSON::PP::false() });
	die "register $email: $r->{status} $r->{content}" unless $r->{status} == 201;
	my $mail = $self->wait_mail($email, qr/token=([0-9a-f]{64})/);
	my ($token) = $mail =~ /token=([0-9a-f]{64})/;
	$r = $self->post('/api/auth/activate-account', json => { token => $token });
	die "activate $email: $r->{status} $r->{content}" unless $r->{status} == 200;
	return $self->login($email, $password);
}

# A request as the apps' own pages make it: an Origin on state changes and
# the session cookie when `cookie` (the raw token) is given.
sub call {
	my ($self, $method, $path, %o) = @_;
	my $host = $o{host} // 'site';
	my %h = %{ $o{headers} // {} };
	$h{Origin} //= $host eq 'admin' ? $self->admin_url : $self->site_url if $method ne 'GET';
	$h{Cookie} = "cwc_session=$o{cookie}" if defined $o{cookie};
	return $self->request($method, $path, host => $host, headers => \%h,
			      (exists $o{json} ? (json => $o{json}) : ()));
}

sub get { my $s = shift; $s->request('GET', @_) }
sub post { my $s = shift; $s->request('POST', @_) }

# ---- rolling update --------------------------------------------------------
#
#   my ($ok, $why) = $s->rolling_update(
#       programs => { site => PATH, admin => PATH, relay => PATH }, # default: as now
#       only => [qw(site admin relay)],     # which apps (default: all)
#       progress => sub { print "$_[0]\n" },
#       timeout => 30);                     # seconds for a new instance to be healthy
#
# Instance by instance: the new program starts on a new address (socket
# DIR/NAME.N.sock, or a free port for a relay) and `cwc-ctl health` asks it
# directly, not through Caddy, until it answers 200; then Caddy's upstream
# lists name it instead of the old one (`caddy reload`: graceful, requests
# in flight finish on the old configuration), and the old instance gets
# SIGTERM (its socket's file goes, it finishes what it has, it exits). A
# new instance that exits or is not healthy in time is stopped and the
# update stops there: the instances not yet replaced keep serving, Caddy's
# configuration unchanged. Caddy 2.6 closes proxied WebSockets on a reload
# and a relay's SIGTERM closes its own (1001): chat clients reconnect and
# catch up (README, the relay's protocol).
sub rolling_update {
	my ($self, %o) = @_;
	my $say = $o{progress} // sub {};
	my %only = map { $_ => 1 } @{ $o{only} // [qw(site admin relay)] };
	my @names = map { $only{$_} ? $self->instances($_) : () } qw(site admin relay);
	for my $name (@names) {
		my ($ok, $why) = $self->_replace_instance($name, $o{programs} // {}, $o{timeout} // 30, $say);
		return (0, $why) unless $ok;
	}
	return (1, scalar(@names) . ' instances replaced');
}

sub _replace_instance {
	my ($self, $name, $programs, $timeout, $say) = @_;
	my $app = $self->app_of($name) // 'relay';
	my ($i) = $name =~ /^relay(\d+)$/;
	my $old_pid = $self->{procs}{$name};
	my $old_addr = $i ? $self->relay_port($i) : $self->socket_path($name);
	my $old_prog = $self->{program_of}{$name};
	my $gen = ++$self->{generation}{$name};
	my $new_addr = $i ? free_port() : "$self->{dir}/$name.$gen.sock";
	my $set = sub {
		my ($addr, $prog) = @_;
		if ($i) { $self->{relay_ports}[ $i - 1 ] = $addr } else { $self->{listen}{$name} = $addr }
		if (defined $prog) { $self->{program_of}{$name} = $prog } else { delete $self->{program_of}{$name} }
	};
	$set->($new_addr, $programs->{$app} // $old_prog);
	my $pid = $self->_spawn($name);
	my $probe = $i ? "http://127.0.0.1:$new_addr/health" : $new_addr;
	$say->("$name: new instance (pid $pid) at $probe");
	my ($healthy, $last) = (0, 'no answer');
	my $deadline = time + $timeout;
	while (time < $deadline) {
		if (waitpid($pid, WNOHANG) == $pid) {
			$last = WIFSIGNALED($?) ? 'it died on signal ' . WTERMSIG($?) : 'it exited with status ' . WEXITSTATUS($?);
			$pid = 0;
			last;
		}
		my ($rc, $out) = $self->health_of($probe);
		$last = $out;
		if ($rc == 0) { $healthy = 1; last }
		sleep 0.2;
	}
	my $undo = sub {
		my ($why) = @_;
		$self->_stop_pid($name, $pid) if $pid;
		$set->($old_addr, $old_prog);
		unlink $new_addr unless $i;
		$self->{procs}{$name} = $old_pid if $old_pid;
		return (0, "$name: $why; the old instance keeps serving");
	};
	return $undo->("the new instance is not healthy ($last)") unless $healthy;
	$self->{procs}{$name} = $pid;
	my ($rc, $out) = $self->reload_caddy;
	return $undo->("caddy reload failed: $out") if $rc;
	$say->("$name: healthy, in Caddy's upstreams; draining the old instance"
		. ($old_pid ? " (pid $old_pid)" : ''));
	$self->_stop_pid($name, $old_pid) if $old_pid;
	$say->("$name: replaced");
	return 1;
}

# `cwc-ctl health ADDR` (a FastCGI socket, or http://host:port/health):
# (exit code, its output line).
sub health_of {
	my ($self, $addr) = @_;
	my %env = $self->app_env;
	local @ENV{ keys %env } = values %env;
	my $cmd = join ' ', map { quotemeta } program('cwc-ctl', $self->{build}), 'health', $addr, '--timeout', 2;
	my $out = `$cmd < /dev/null 2>&1`;
	my $rc = $? >> 8;
	chomp $out;
	return ($rc, $out);
}

# Loads the Caddyfile again with the stack's current upstreams (graceful:
# requests in flight finish). Returns (exit code, output).
sub reload_caddy {
	my ($self) = @_;
	my %env = $self->app_env;
	local @ENV{ keys %env } = values %env;
	my $out = `caddy reload --config '$ROOT/etc/Caddyfile.local' --adapter caddyfile --address 127.0.0.1:$self->{caddy_admin} 2>&1`;
	return ($? >> 8, $out);
}

sub stop {
	my ($self) = @_;
	# Caddy first, then the apps, Redis last. The logs are read once per
	# stop that stopped something (not again from DESTROY after a stop).
	my $running = grep { $self->{procs}{$_} } $self->components;
	for my $name (reverse $self->components) {
		$self->stop_component($name);
	}
	$self->_scan_logs if !$self->{foreground} && ($running || !$self->{scanned});
}

# ---- the sanitizer and crash check at the end of a test ------------------

my $SANITIZER = qr/\b(?:Address|Leak|UndefinedBehavior|Thread|Memory)Sanitizer\b|:\d+: runtime error: /;
my $CRASH = qr/\bworker \d+ crashed \(signal \d+/;
my @STACKS;      # this process's stacks (weak references)
my %FINDINGS;    # stack dir => the offending lines of its logs
my $HOOKED;

# Declares that `component` logs a crash on purpose (a test killing a
# worker): its lines (or its own death on a signal) matching `re` are not
# failures. Sanitizer reports are never excused.
sub expect_crash {
	my ($self, $component, $re) = @_;
	push @{ $self->{expected} }, [ $component, $re ];
}

sub _expected {
	my ($self, $component, $line) = @_;
	return grep { $_->[0] eq $component && $line =~ $_->[1] } @{ $self->{expected} };
}

sub _watch_logs {
	my ($self) = @_;
	push @STACKS, $self;
	Scalar::Util::weaken($STACKS[-1]);
	_hook();
}

# Only in a test: `make run` (t/run-stack) prints no TAP.
sub _hook {
	return if $HOOKED++ || !$INC{'Test2/API.pm'};
	Test2::API::test2_add_callback_testing_done(\&_report);
}

# Every log of DIR/logs: sanitizer reports (with the lines that follow, up
# to the report's SUMMARY), crash lines not expected, and the deaths on a
# signal seen by stop_component.
sub _scan_logs {
	my ($self) = @_;
	# after the report (a stack destroyed at exit): nothing reads them,
	# and the patterns of expect_crash may already be gone
	return if $$ != $self->{owner} || ${^GLOBAL_PHASE} eq 'DESTRUCT';
	$self->{scanned} = 1;
	my @found = map { $_->[1] } grep { !$self->_expected(@$_) } @{ $self->{deaths} // [] };
	push @found, _scan_file($_, $self) for sort glob "$self->{dir}/logs/*";
	$FINDINGS{ $self->{dir} } = \@found;
}

sub _scan_file {
	my ($file, $stack) = @_;
	my ($component) = $file =~ m{([^/]+?)(?:\.log)?$};
	open my $fh, '<', $file or return;
	my ($in_report, @lines) = (0);
	while (my $line = <$fh>) {
		chomp $line;
		if ($in_report) {
			push @lines, "  $line" if $in_report++ < 40;
			$in_report = 0 if $line =~ /^SUMMARY: /;
		} elsif ($line =~ $SANITIZER) {
			push @lines, "  $line";
			$in_report = 1 if $line =~ /ERROR: |runtime error: /;
		} elsif ($line =~ $CRASH && !($stack && $stack->_expected($component, $line))) {
			push @lines, "  $line";
		}
	}
	return @lines ? ("$file:", @lines) : ();
}

# The stderr of a program a test runs itself (outside a stack): checked at
# the end like the stacks' logs.
my @OTHER_LOGS;
sub watch_log {
	my ($file) = @_;
	push @OTHER_LOGS, $file;
	_hook();
}

# When testing is done: stops the stacks still running, then one test
# over the logs of every stack this test file started.
sub _report {
	my (undef, $hub) = @_;
	$_ && $_->stop for @STACKS;
	return if ($hub->plan // '') eq 'SKIP' || (!%FINDINGS && !@OTHER_LOGS);
	my @found = ((map { @$_ } @FINDINGS{ sort keys %FINDINGS }), map { _scan_file($_) } @OTHER_LOGS);
	require Test::Builder;
	my $tb = Test::Builder->new;
	$tb->ok(!@found, 'no sanitizer report, no crashed worker in the logs')
		or $tb->diag(join "\n", @found);
}

sub DESTROY {
	my ($self) = @_;
	local ($?, $!, $@);
	$self->stop if $$ == ($self->{owner} // $$);
}

1;
