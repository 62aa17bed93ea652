#!/usr/bin/perl
# The relay keeps live sockets and lets dead ones go: a client that answers
# the relay's pings stays connected however long it is silent; one that
# has stopped answering is dropped after CWC_RELAY_IDLE_TIMEOUT; one told
# to close that never answers the close frame is dropped after 5 s.
# (Short intervals here: ping after 1 s of silence, hang up after 3 s.)
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use CWC::Stack;
use CWC::WS;
use HTTP::Tiny;
use IO::Select;
use POSIX ();
use Test::More;
use Time::HiRes qw(sleep time);

my $s = CWC::Stack->start(env => { CWC_RELAY_PING_INTERVAL => 1, CWC_RELAY_IDLE_TIMEOUT => 3 });
{
	my %env = $s->app_env;
	local @ENV{ keys %env } = values %env;
	system(CWC::Stack::program("cwc-ctl") . " seed >/dev/null") == 0 or die "cwc-ctl seed failed";
}
my $login = $s->post('/api/auth/login', headers => { Origin => $s->site_url },
		     json => { email => 'client@coworkingcafe.local', password => 'cafe-client-2026' });
my ($cookie) = map { /^(cwc_session=[0-9a-f]{64})/ ? $1 : () }
	ref $login->{headers}{'set-cookie'} ? @{ $login->{headers}{'set-cookie'} } : ($login->{headers}{'set-cookie'} // '');
sub ws {
	my ($ws, $err) = CWC::WS->connect('ws://localhost:' . $s->relay_port(1) . '/ws',
					   headers => { Cookie => $cookie, Origin => $s->site_url });
	die "no socket: $err" unless $ws;
	return $ws;
}

# Reads raw frames for $secs without answering anything; returns the
# opcodes seen and whether the connection ended.
sub listen_mute {
	my ($ws, $secs) = @_;
	my (@ops, $eof);
	my $sel = IO::Select->new($ws->{sock});
	my $deadline = time + $secs;
	my $buf = '';
	while ((my $left = $deadline - time) > 0) {
		last unless $sel->can_read($left);
		my $n = $ws->{sock}->sysread(my $chunk, 4096);
		if (!$n) { $eof = 1; last }
		$buf .= $chunk;
		while (length $buf >= 2) {
			my $len = ord(substr $buf, 1, 1) & 0x7f;
			last if $len > 125 || length $buf < 2 + $len;
			push @ops, ord(substr $buf, 0, 1) & 0x0f;
			substr($buf, 0, 2 + $len) = '';
		}
	}
	return (\@ops, $eof);
}

my $live = ws();
my $mute = ws();
my $t0 = time;
# the live one answers pings (CWC::WS does) while the mute one reads without answering
my $pid = fork // die;
if (!$pid) {
	my $end = time + 6;
	while (time < $end) { $live->recv(timeout => 0.2) }
	$live->send_text('{"type":"ping"}');
	my $pong = $live->recv_json(type => 'pong', timeout => 3);
	POSIX::_exit($pong ? 0 : 1);
}
my ($ops, $eof) = listen_mute($mute, 8);
ok((grep { $_ == 9 } @$ops), 'a silent socket is pinged');
ok $eof, 'one that does not answer the pings is dropped';
my $took = time - $t0;
ok $took >= 2.5 && $took < 6.5, sprintf('after the idle timeout (%.1f s, timeout 3 s)', $took);
waitpid($pid, 0);
is $? >> 8, 0, 'one that answers stays open and working after 6 s of silence';

# told to close (a binary frame), never answering the close frame
my $rude = ws();
$rude->send_binary("\x01");
$t0 = time;
($ops, $eof) = listen_mute($rude, 9);
ok((grep { $_ == 8 } @$ops), 'a socket the relay closes gets a close frame');
$took = time - $t0;
ok $eof && $took >= 4 && $took < 8, sprintf('and is dropped %.1f s later when it never answers', $took);

my $h = HTTP::Tiny->new->get('http://127.0.0.1:' . $s->relay_port(1) . '/health');
like $h->{content}, qr/"connections":0/, 'the relay counts no socket left';

$s->stop;
done_testing;
