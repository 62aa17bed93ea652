#!/usr/bin/perl
# Malformed requests through Caddy are answered at once (400, the error
# shape) and never cost anyone else anything: a path with an encoded NUL
# (which Caddy's fastcgi transport refuses by itself), an upload the client
# abandons half-way, a WebSocket handshake the relay drops — none of them
# may take an app or a relay out of Caddy's pool. And NUL characters are
# refused, naming the field, wherever input is decoded (JSON values and
# member names at any depth, query strings), never silently cut.
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use CWC::Stack;
use IO::Select;
use IO::Socket::INET;
use JSON::PP;
use Test::More;
use Time::HiRes qw(time sleep);

my $s = CWC::Stack->start;
$s->seed;
my ($email, $password) = @{ $CWC::Stack::DEMO{client} };

# Sends raw bytes to a port; returns the response (status line and all)
# read until the server closes or goes quiet for `quiet` seconds; with
# `abandon`, closes right after sending instead.
sub raw {
	my ($port, $bytes, %o) = @_;
	my $c = IO::Socket::INET->new(PeerAddr => '127.0.0.1', PeerPort => $port, Timeout => 5)
		or die "connect: $!";
	print $c $bytes;
	if ($o{abandon}) {
		sleep 0.1;
		close $c;
		return '';
	}
	my ($resp, $sel) = ('', IO::Select->new($c));
	while ($sel->can_read($o{quiet} // 10)) {
		my $n = sysread($c, my $buf, 65536);
		last unless $n;
		$resp .= $buf;
	}
	close $c;
	return $resp;
}

sub login_works {
	my ($what) = @_;
	my $t = time;
	my $r = $s->post('/api/auth/login', json => { email => $email, password => $password });
	is $r->{status}, 200, "$what: a login right after it succeeds"
		or diag "$r->{status} $r->{content}";
	my $r2 = $s->post('/api/auth/login', host => 'admin',
			  json => { email => $CWC::Stack::DEMO{staff}[0], password => $CWC::Stack::DEMO{staff}[1] });
	is $r2->{status}, 200, "$what: and a staff login on admin too";
}

# 1. Encoded NULs in the path: a quick 400 in the error shape, several
# times in a row, on every kind of path (app, page, static, relay).
for my $host ('site', 'admin') {
	for my $path ('/api/health%00', '/api/auth/login%00x', '/dashboard/%00/messages',
		      '/static/site%00.css', '/ws%00', '/%00') {
		for my $try (1 .. 3) {
			my $t = time;
			my $r = $s->get($path, host => $host);
			my $took = time - $t;
			next if $try > 1 && $r->{status} == 400 && $took < 3;
			is $r->{status}, 400, "$host $path: 400";
			cmp_ok $took, '<', 3, "$host $path: answered at once, not after retries (${\ sprintf '%.2f', $took} s)";
			is $r->{json}{error}{code}, 'bad_request', "$host $path: in the error shape";
			like $r->{json}{error}{message} // '', qr/NUL/, "$host $path: saying why";
			like $r->{headers}{'x-request-id'} // '', qr/^[\w-]{8,}$/, "$host $path: with a request id";
			is $r->{headers}{'x-content-type-options'}, 'nosniff', "$host $path: with the security headers";
		}
	}
}
my $r = $s->post('/api/auth/login%00', json => { email => $email, password => $password });
is $r->{status}, 400, 'a POST with an encoded NUL in the path: 400';
is $s->get('/api/health%00')->{status}, 400, 'one more on the site';
is $s->get('/api/health%00', host => 'admin')->{status}, 400, 'and on admin';
login_works('right after requests with NULs in their paths');

# 2. Uploads abandoned half-way (a flaky phone, or on purpose).
for (1 .. 5) {
	raw($s->site_port, "POST /api/auth/login HTTP/1.1\r\nHost: localhost\r\n"
	    . "Content-Type: application/json\r\nContent-Length: 5000\r\n\r\n{\"email\":\"", abandon => 1);
	raw($s->admin_port, "POST /api/auth/login HTTP/1.1\r\nHost: localhost\r\n"
	    . "Content-Type: application/json\r\nContent-Length: 5000\r\n\r\n{\"email\":\"", abandon => 1);
}
login_works('after 5 abandoned uploads on each app');

# 3. Handshakes the relay drops without an answer (a 100 kB query string)
# must not take it out: the next handshake gets the relay's own answer
# (401 without a ticket), not Caddy's 503.
my $handshake = "Host: localhost\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
	. "Sec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n";
for (1 .. 3) {
	raw($s->site_port, "GET /ws?" . ('a' x 100_000) . " HTTP/1.1\r\n$handshake", quiet => 3);
}
my $resp = raw($s->site_port, "GET /ws HTTP/1.1\r\n$handshake", quiet => 3);
my ($status) = $resp =~ m{^HTTP/1\.1 (\d+)};
is $status, 401, 'after dropped handshakes the relay still answers for itself (not 503)';

# 4. NUL characters in input: refused, naming the field, never cut.
my $me = $s->login('client');
$r = $s->request('PUT', '/api/user/profile', session => $me, json => '{"givenName": "Ana\u0000Evil"}');
is $r->{status}, 400, 'a NUL in a JSON value: 400';
is $r->{json}{error}{code}, 'bad_json', 'bad_json';
is $r->{json}{error}{field}, 'givenName', 'naming the field';
$r = $s->request('PUT', '/api/user/profile', session => $me, json => '{"givenName\u0000x": "Ana"}');
is $r->{status}, 400, 'a NUL in a member name: 400';
is $r->{json}{error}{field}, "givenName\x{0}x", 'naming the member as sent';
$r = $s->request('PUT', '/api/user/profile', session => $me,
		 json => '{"company": {"name": ["x", {"deep\u0000": 1}]}, "givenName": "Ana"}');
is $r->{status}, 400, 'a NUL in a member name deep inside: 400';
is $r->{json}{error}{field}, 'company', 'naming the top-level member';
$r = $s->get('/api/user/profile', session => $me);
is $r->{json}{user}{givenName}, $me->{user}{givenName}, 'the stored name is unchanged';
$r = $s->post('/api/auth/login', json => qq({"email": "$email\\u0000", "password": "$password"}));
is $r->{status}, 400, 'a NUL after the e-mail does not log in';
is $r->{json}{error}{field}, 'email', 'naming the field';
$r = $s->get('/api/conversations?unread=1%00', session => $me);
is $r->{status}, 400, 'an encoded NUL in a query value: 400';
is $r->{json}{error}{field}, 'unread', 'naming the parameter';
$r = $s->get('/auth/login?ne%00xt=/x');
is $r->{status}, 400, 'an encoded NUL in a query parameter name: 400';

done_testing;
