#!/usr/bin/perl
# Ending a session ends its WebSockets. Whatever ends it — logout, a
# password change (the other sessions; the current one is kept), a
# password reset, an account deletion — every relay closes the sockets
# opened with that session (its cookie, or a ticket it issued) with close
# code 4001 within a second, and nothing reaches them after. Other
# sessions of the same user keep their sockets. A ticket issued by a
# session that has ended is refused. A relay that missed the news (Redis
# was down when the session ended) finds out when Redis is back.
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use CWC::RelayTest;
use CWC::Stack;
use CWC::WS;
use HTTP::Tiny;
use JSON::PP;
use MIME::QuotedPrint qw(decode_qp);
use Test::More;
use Time::HiRes qw(sleep time);

# ---- the stack (helpers: t/lib/CWC/RelayTest.pm) ------------------------

my $s = relay_stack(relays => 2, env => { JWT_SECRET => 'relay-revoke-jwt-secret-0123456789abcdef' });

# ---- helpers of this test -------------------------------------------------

# Reads $ws until its close frame, for at most $secs: (the close code or
# undef, seconds it took, the JSON frames received before it).
sub until_close {
	my ($ws, $secs) = @_;
	my $t0 = time;
	my @before;
	while ((my $left = $t0 + $secs - time) > 0) {
		my $f = $ws->recv(timeout => $left) or last;
		return (undef, time - $t0, \@before) if $f->{eof};
		return ($f->{close}, time - $t0, \@before) if exists $f->{close};
		push @before, eval { decode_json($f->{data}) } // { raw => $f->{data} };
	}
	return (undef, time - $t0, \@before);
}

# True when nothing at all arrives on $ws within $secs (EOF counts as nothing).
sub silent {
	my ($ws, $secs) = @_;
	my $f = $ws->recv(timeout => $secs);
	return !$f || $f->{eof};
}

sub alive {
	my ($ws) = @_;
	$ws->send_text('{"type":"ping"}');
	return wait_for($ws, sub { $_[0]{type} eq 'pong' }, 5);
}

sub ticket {
	my ($cookie) = @_;
	my $r = call(GET => '/api/messages/ticket', cookie => $cookie);
	die "ticket: $r->{status}" unless $r->{status} == 200;
	return $r->{json}{ticket};
}

sub relay_health {
	my ($i) = @_;
	return HTTP::Tiny->new(timeout => 2)->get('http://127.0.0.1:' . $s->relay_port($i) . '/health')->{status};
}

sub wait_until {
	my ($cond, $secs) = @_;
	my $deadline = time + $secs;
	while (time < $deadline) {
		return 1 if $cond->();
		sleep 0.1;
	}
	return 0;
}

# ---- setup ----------------------------------------------------------------

seed();
my $staff = login('staff@coworkingcafe.local', 'cafe-staff-2026', 'admin');
my $password = 'a long enough password 2026';
my $n = 0;

# A customer of our own with a conversation; returns (cookie, conversation id).
sub customer {
	my ($tag) = @_;
	my $email = "revoke-$tag-" . time . '-' . int(rand 1e6) . '@example.test';
	my $cookie = register($email, $password, "Cliente $tag con un nombre bastante largo");
	my $conv = call(POST => '/api/conversations', cookie => $cookie, json => {})->{json}{id}
		or die 'no conversation';
	return ($email, $cookie, $conv);
}

sub staff_says {
	my ($conv) = @_;
	my $r = call(POST => "/api/conversations/$conv/messages", cookie => $staff, host => 'admin',
		     json => { content => 'message ' . ++$n });
	die "send: $r->{status}" unless $r->{status} == 201;
	return $r->{json}{id};
}

# ---- logout -----------------------------------------------------------------

{
	my ($email, $first, $conv) = customer('logout');
	my $second = login($email, $password);
	my $early_ticket = ticket($first);          # issued by the session about to end
	my $on2 = ws(cookie => $first, relay => 2);   # the user is on relay 2
	my $caddy = ws(cookie => $first);            # and wherever Caddy sends them
	my $by_ticket = ws(ticket => ticket($first), relay => 1);
	my $other = ws(cookie => $second, relay => 1);
	ok alive($_), 'a socket of the session about to end works' for $on2, $caddy, $by_ticket;
	my $m = staff_says($conv);
	ok wait_for($on2, sub { $_[0]{type} eq 'message' && $_[0]{message}{id} eq $m }),
		'and receives the user\'s messages';
	frames($_, 0.2) for $caddy, $by_ticket, $other;

	my $r = call(POST => '/api/auth/logout', cookie => $first);
	is $r->{status}, 204, 'logout';
	my $after = staff_says($conv);
	my ($code, $took, $before) = until_close($on2, 5);
	is $code, 4001, 'the session\'s socket on relay 2 is closed with 4001 (session ended)';
	cmp_ok $took, '<', 1, sprintf('within a second (%.3f s)', $took);
	is scalar(grep { $_->{type} eq 'message' } @$before), 0,
		'the message sent after logout never reached it';
	ok silent($on2, 0.5), 'and nothing comes after the close frame';
	($code, $took) = until_close($caddy, 5);
	is $code, 4001, 'its socket through Caddy too';
	($code, $took) = until_close($by_ticket, 5);
	is $code, 4001, 'and the socket opened with a ticket that session issued';
	ok wait_for($other, sub { $_[0]{type} eq 'message' && $_[0]{message}{id} eq $after }),
		'the user\'s other session keeps its socket, and receives the message';
	ok alive($other), 'and it still answers';

	my (undef, undef, $status) = ws(ticket => $early_ticket, relay => 1);
	is $status, 401, 'a ticket issued before logout (still unexpired) is refused after it';
	my $fresh = ticket($second);
	my ($ok) = ws(ticket => $fresh, relay => 2);
	ok $ok, 'a ticket of a live session still works';
	$_->close for grep { $_ } $ok, $other;
}

# ---- password change: the other sessions end, the current one stays ---------

{
	my ($email, $current, $conv) = customer('password');
	my $elsewhere = login($email, $password);
	my $kept = ws(cookie => $current, relay => 1);
	my $kept_ticket = ws(ticket => ticket($current), relay => 2);
	my $ended = ws(cookie => $elsewhere, relay => 2);
	my $ended1 = ws(cookie => $elsewhere, relay => 1);
	frames($_, 0.2) for $kept, $kept_ticket, $ended, $ended1;
	my $r = call(PUT => '/api/user/password', cookie => $current,
		     json => { currentPassword => $password, newPassword => "$password, changed" });
	is $r->{status}, 200, 'password changed';
	my ($code, $took) = until_close($ended, 5);
	is $code, 4001, 'the other session\'s socket (relay 2) is closed with 4001';
	cmp_ok $took, '<', 1, sprintf('within a second (%.3f s)', $took);
	($code) = until_close($ended1, 5);
	is $code, 4001, 'on relay 1 too';
	my $m = staff_says($conv);
	ok wait_for($kept, sub { $_[0]{type} eq 'message' && $_[0]{message}{id} eq $m }),
		'the current session\'s socket stays open and receives messages';
	ok wait_for($kept_ticket, sub { $_[0]{type} eq 'message' && $_[0]{message}{id} eq $m }),
		'so does the one opened with its ticket';
	$_->close for $kept, $kept_ticket;
}

# ---- password reset: every session ends -------------------------------------------

{
	my ($email, $cookie, $conv) = customer('reset');
	my $ws = ws(cookie => $cookie, relay => 2);
	frames($ws, 0.2);
	my $since = time - 1;
	is call(POST => '/api/auth/forgot-password', json => { email => $email })->{status}, 200,
		'forgot-password';
	my $token;
	wait_until(sub {
		for my $f (glob($s->data_dir . '/mail/*.eml')) {
			next if (stat $f)[9] < $since;
			open my $fh, '<', $f or next;
			my $mail = decode_qp(do { local $/; <$fh> });
			($token) = $mail =~ m{reset-password\?token=([0-9a-f]{64})} if $mail =~ /^To:.*\Q$email\E/mi;
			return 1 if $token;
		}
		0;
	}, 15);
	ok $token, 'the reset mail';
	my $r = call(POST => '/api/auth/reset-password', json => { token => $token, password => "$password, reset" });
	is $r->{status}, 200, 'password reset';
	my ($code, $took) = until_close($ws, 5);
	is $code, 4001, 'the socket is closed with 4001';
	cmp_ok $took, '<', 1, sprintf('within a second (%.3f s)', $took);
}

# ---- account deletion ----------------------------------------------------------------

{
	my ($email, $cookie, $conv) = customer('delete');
	my @ws = (ws(cookie => $cookie, relay => 1), ws(cookie => $cookie, relay => 2));
	frames($_, 0.2) for @ws;
	my $r = call(DELETE => '/api/user/delete', cookie => $cookie);
	is $r->{status}, 200, 'account deleted';
	for my $i (0, 1) {
		my ($code, $took) = until_close($ws[$i], 5);
		is $code, 4001, 'its socket on relay ' . ($i + 1) . ' is closed with 4001';
		cmp_ok $took, '<', 1, sprintf('within a second (%.3f s)', $took);
	}
}

# ---- a relay that missed the event ---------------------------------------------------

{
	my ($email, $first, $conv) = customer('missed');
	my $second = login($email, $password);
	my $gone = ws(cookie => $first, relay => 1);
	my $stays = ws(cookie => $second, relay => 1);
	frames($_, 0.2) for $gone, $stays;
	$s->stop_component('redis');
	ok wait_until(sub { (relay_health(1) // 0) == 503 }, 10), 'Redis down';
	is call(POST => '/api/auth/logout', cookie => $first)->{status}, 204,
		'logout works without Redis (the event cannot be published)';
	$s->start_component('redis');
	ok wait_until(sub { (relay_health(1) // 0) == 200 }, 15), 'Redis back';
	my ($code, $took, $before) = until_close($gone, 5);
	is $code, 4001, 'the relay checks its sockets\' sessions on resync: the ended one is closed';
	ok wait_for($stays, sub { $_[0]{type} eq 'resync' }, 5), 'the live session\'s socket gets resync';
	ok alive($stays), 'and stays open';
	$stays->close;
}

$s->stop;
done_testing;
