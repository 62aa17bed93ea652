package CWC::RelayTest;
# What every t/relay-*.t needs: the stack (CWC::Stack: the sanitizer
# builds, whose logs it checks at the end), accounts by raw session token,
# sockets through Caddy or straight to a relay, and frame readers.
#
#   my $s = relay_stack(relays => 2, env => {...});
#   my $tok = login($email, $password[, 'admin']);   # the cwc_session token
#   my $ws = ws(cookie => $tok, relay => 1);         # dies when refused
#   my ($ws, $err, $status) = ws(...);               # list context: never dies
#   my $m = wait_for($ws, sub { $_[0]{type} eq 'message' }, 5);
use strict;
use warnings;
use CWC::Stack;
use CWC::WS;
use Exporter qw(import);
use JSON::PP;
use MIME::QuotedPrint qw(decode_qp);
use Test::More;
use Time::HiRes qw(sleep time);

our @EXPORT = qw(relay_stack seed base call login register user_id ws frames wait_for);

my $s;

sub relay_stack {
	my (%o) = @_;
	$s = CWC::Stack->start(%o);
	return $s;
}

sub seed { $s->seed }

sub base { ($_[0] // 'site') eq 'admin' ? $s->admin_url : $s->site_url }

sub call { $s->call(@_) }

sub login {
	my ($email, $password, $host) = @_;
	my $r = call(POST => '/api/auth/login', host => $host,
		     json => { email => $email, password => $password });
	my $sc = $r->{headers}{'set-cookie'} // '';
	($sc) = grep { /^cwc_session=/ } ref $sc ? @$sc : ($sc);
	return $sc && $sc =~ /^cwc_session=([0-9a-f]{64})/ ? $1 : die "login $email: $r->{status}";
}

# A customer account of our own: register, the activation mail, activate.
sub register {
	my ($email, $password, $name) = @_;
	my $r = call(POST => '/api/auth/register',
		     json => { email => $email, password => $password, givenName => $name });
	die "register $email: $r->{status}" unless $r->{status} == 201;
	my $deadline = time + 15;
	while (time < $deadline) {
		for my $f (glob($s->data_dir . '/mail/*.eml')) {
			open my $fh, '<', $f or next;
			my $m = decode_qp(do { local $/; <$fh> });
			next unless $m =~ /^To:.*\Q$email\E/mi
				&& $m =~ m{/auth/activate-account\?token=([0-9a-f]{64})};
			$r = call(POST => '/api/auth/activate-account', json => { token => $1 });
			return login($email, $password) if $r->{status} == 200;
			die "activate $email: $r->{status}";
		}
		sleep 0.1;
	}
	die "no activation mail for $email";
}

sub user_id {
	my ($cookie, $host) = @_;
	return call(GET => '/api/auth/session', cookie => $cookie, host => $host)->{json}{user}{id};
}

# A WebSocket: through Caddy on the site (or admin) host, or straight to
# relay N with `relay => N`; `ticket`, `cookie`, `origin` (undef: none).
# Scalar context: the socket, undef with `try => 1` when refused, else
# dies. List context: CWC::WS->connect's ($ws, $error, $status).
sub ws {
	my (%o) = @_;
	my $port = $o{relay} ? $s->relay_port($o{relay})
		: ($o{host} // 'site') eq 'admin' ? $s->admin_port : $s->site_port;
	my $path = '/ws' . (defined $o{ticket} ? "?ticket=$o{ticket}" : '');
	my %h = (Origin => exists $o{origin} ? $o{origin} : base($o{host}));
	$h{Cookie} = "cwc_session=$o{cookie}" if $o{cookie};
	my @r = CWC::WS->connect("ws://localhost:$port$path", headers => \%h);
	return @r if wantarray;
	return $r[0] if $r[0];
	return undef if $o{try};
	die "no socket: " . ($r[1] // '?');
}

# Every JSON frame that arrives within $secs.
sub frames {
	my ($ws, $secs) = @_;
	my @got;
	my $deadline = time + $secs;
	while ((my $left = $deadline - time) > 0) {
		my $f = $ws->recv(timeout => $left) or last;
		last if $f->{eof} || exists $f->{close};
		push @got, eval { decode_json($f->{data}) } // { raw => $f->{data} };
	}
	return @got;
}

# The first frame for which $match->($frame) is true, within $secs; the
# frames skipped on the way are kept in $ws->{skipped}.
sub wait_for {
	my ($ws, $match, $secs) = @_;
	my $deadline = time + ($secs // 5);
	while ((my $left = $deadline - time) > 0) {
		my $f = $ws->recv(timeout => $left) or return;
		return if $f->{eof} || exists $f->{close};
		my $j = eval { decode_json($f->{data}) } or next;
		return $j if $match->($j);
		push @{ $ws->{skipped} }, $j;
	}
	return;
}

1;
