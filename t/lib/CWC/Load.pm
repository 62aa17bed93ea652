package CWC::Load;
# A load generator for the operations tests: a few client processes, each
# sending a mix of reads and writes through Caddy (loopback only) until
# told to stop, or a deadline, whichever comes first.
#
#   my $load = CWC::Load->start($stack, clients => 4, seconds => 120,
#                               client => [$email, $password], conversation => $id);
#   ... (a rolling update, a killed instance) ...
#   my $r = $load->finish;     # stops the clients, adds up what they saw
#   $r->{total}, $r->{failed}, $r->{kinds}{login}{n}, $r->{failures}[0]
#
# One round of a client: GET /api/health on site and admin, the home page,
# a login (POST, a new session each time), the session (GET with the
# cookie), and a chat message in `conversation` (POST). A request fails
# when it gets another status than the one expected (HTTP::Tiny's 599:
# no answer at all). `finish` returns counts per kind and the first
# failures (kind, status, the start of the body).
#
# Connections are kept alive, as a browser keeps them, and like a browser
# (RFC 9112 §9.3.1) a client sends a request again, once, on a new
# connection when a kept-alive one was closed or reset before any byte of
# an answer: the server closed it while idle (Caddy does on every reload)
# and never saw the request. `retried` counts those; a failure on a new
# connection is never retried.
use strict;
use warnings;
use File::Temp qw(tempdir);
use HTTP::Tiny;
use JSON::PP;
use POSIX qw(:sys_wait_h);
use Time::HiRes qw(sleep time);

sub start {
	my ($class, $stack, %o) = @_;
	my $clients = $o{clients} // 4;
	die "CWC::Load: at most 8 clients\n" if $clients > 8;
	my $self = bless { dir => tempdir('cwc-load-XXXXXX', TMPDIR => 1, CLEANUP => 1),
			   pids => [], started => time }, $class;
	for my $n (1 .. $clients) {
		my $pid = fork // die "fork: $!";
		if ($pid == 0) {
			my $r = eval { _client($stack, $self->{dir}, $n, %o) }
				// { error => "client $n died: $@" };
			if (open my $fh, '>', "$self->{dir}/result.$n") {
				print $fh encode_json($r);
				close $fh;
			}
			POSIX::_exit(0);
		}
		push @{ $self->{pids} }, $pid;
	}
	return $self;
}

# Total requests answered so far (the clients' progress files).
sub progress {
	my ($self) = @_;
	my $total = 0;
	for my $f (glob "$self->{dir}/progress.*") {
		open my $fh, '<', $f or next;
		$total += (<$fh> // 0);
	}
	return $total;
}

sub finish {
	my ($self) = @_;
	open my $stop, '>', "$self->{dir}/stop" or die "stop file: $!";
	close $stop;
	waitpid($_, 0) for @{ $self->{pids} };
	my %r = (total => 0, failed => 0, retried => 0, kinds => {}, failures => [], errors => [],
		 seconds => time - $self->{started});
	for my $n (1 .. @{ $self->{pids} }) {
		open my $fh, '<', "$self->{dir}/result.$n" or do {
			push @{ $r{errors} }, "client $n left no result";
			next;
		};
		my $c = decode_json(do { local $/; <$fh> });
		push @{ $r{errors} }, $c->{error} if $c->{error};
		$r{retried} += $c->{retried} // 0;
		for my $kind (keys %{ $c->{kinds} // {} }) {
			$r{kinds}{$kind}{$_} += $c->{kinds}{$kind}{$_} for qw(n failed);
			$r{total} += $c->{kinds}{$kind}{n};
			$r{failed} += $c->{kinds}{$kind}{failed};
		}
		push @{ $r{failures} }, @{ $c->{failures} // [] };
	}
	return \%r;
}

# One line for diag: "1234 requests in 25.1 s, 0 failed, 2 sent again … (health 400, login 200 …)".
sub summary {
	my ($r) = @_;
	return sprintf '%d requests in %.1f s, %d failed, %d sent again on a new connection (%s)',
		$r->{total}, $r->{seconds}, $r->{failed}, $r->{retried},
		join ', ', map { "$_ $r->{kinds}{$_}{n}" . ($r->{kinds}{$_}{failed} ? "/$r->{kinds}{$_}{failed} failed" : '') }
		sort keys %{ $r->{kinds} };
}

sub _client {
	my ($stack, $dir, $n, %o) = @_;
	my $deadline = time + ($o{seconds} // 120);
	my ($email, $password) = @{ $o{client} };
	my $site = $stack->site_url;
	my $admin = $stack->admin_url;
	my $ua = HTTP::Tiny->new(timeout => 30, max_redirect => 0);
	my (%kinds, @failures, $cookie);
	my ($count, $retried) = (0, 0);
	my $send = sub {
		my ($method, $url, $args) = @_;
		my $reused = defined $ua->{handle};
		my $r = $ua->request($method, $url, $args // {});
		if ($reused && $r->{status} == 599
		    && $r->{content} =~ /Connection reset by peer|Socket closed|Unexpected end of stream|Broken pipe/) {
			$retried++;
			$r = $ua->request($method, $url, $args // {});
		}
		return $r;
	};
	my $check = sub {
		my ($kind, $want, $r) = @_;
		$kinds{$kind}{n}++;
		$kinds{$kind}{failed} //= 0;
		$count++;
		return 1 if $r->{status} == $want;
		$kinds{$kind}{failed}++;
		push @failures, { kind => $kind, status => $r->{status},
				  body => substr($r->{content} // '', 0, 200) } if @failures < 10;
		return 0;
	};
	my $json = { 'Content-Type' => 'application/json' };
	my $round = 0;
	until (-e "$dir/stop" || time > $deadline) {
		$round++;
		$check->(health => 200, $send->(GET => "$site/api/health"));
		$check->(admin_health => 200, $send->(GET => "$admin/api/health"));
		$check->(home => 200, $send->(GET => "$site/"));
		my $r = $send->(POST => "$site/api/auth/login", { headers => { %$json, Origin => $site },
			content => encode_json({ email => $email, password => $password }) });
		if ($check->(login => 200, $r)) {
			my $sc = $r->{headers}{'set-cookie'} // '';
			$sc = join ';', @$sc if ref $sc;
			($cookie) = $sc =~ /(cwc_session=[0-9a-f]+)/;
		}
		next unless $cookie;
		$check->(session => 200, $send->(GET => "$site/api/auth/session", { headers => { Cookie => $cookie } }));
		if (my $conv = $o{conversation}) {
			$check->(message => 201, $send->(POST => "$site/api/conversations/$conv/messages", {
				headers => { %$json, Origin => $site, Cookie => $cookie },
				content => encode_json({ content => "client $n, round $round" }) }));
		}
		if (open my $p, '>', "$dir/progress.$n") {
			print $p $count;
			close $p;
		}
	}
	return { kinds => \%kinds, failures => \@failures, retried => $retried };
}

1;
