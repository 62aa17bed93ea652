#!/usr/bin/perl
# Through Caddy, every response has the status the app meant and no
# "Status:" header (the CGI status line the apps hand to FastCGI, which
# Caddy 2.6.2 turns into the status but also passed on as a header).
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use CWC::Stack;
use Test::More;

my $s = CWC::Stack->start;
my $client = $s->login('client');
my $staff = $s->login('staff', undef, host => 'admin');
my $json = { 'Content-Type' => 'application/json' };
my $evil = { Origin => 'https://evil.example', 'Access-Control-Request-Method' => 'GET' };

my @cases = (
	[200, GET => '/api/health'],
	[200, HEAD => '/api/health'],
	[200, GET => '/api/health', host => 'admin'],
	[200, GET => '/'],
	[200, GET => '/auth/login'],
	[200, GET => '/static/site.css'],
	[200, GET => '/api/auth/session', session => $client],
	[200, GET => '/api/dashboard', session => $staff],
	[201, POST => '/api/auth/register', json => { email => 'status-check@example.com',
		password => 'a-long-password-1', givenName => 'Status', username => 'status',
		phone => '0600000000' }],
	[204, OPTIONS => '/api/health'],
	[301, GET => '/spaces'],
	[303, GET => '/dashboard/messages'],
	[303, GET => '/messages', host => 'admin'],
	[400, POST => '/api/auth/login', json => '{"email": '],
	[400, GET => '/api/health%00'],
	[400, GET => '/api/health?q=%G1', host => 'admin'],
	[401, GET => '/api/auth/session'],
	[401, POST => '/api/auth/login', json => { email => 'nobody@example.com', password => 'wrong-password' }],
	[403, OPTIONS => '/api/health', headers => $evil],
	[403, GET => '/api/dashboard', host => 'admin', session => $client],
	[404, GET => '/api/no-such-thing'],
	[404, GET => '/no-such-page'],
	[404, GET => '/static/no-such-file.css'],
	[405, DELETE => '/api/health'],
	[405, PROPFIND => '/api/health', host => 'admin'],
	[413, POST => '/api/auth/login', json => '{"email":"' . ('x' x (1 << 20)) . '"}'],
	[415, POST => '/api/auth/login', body => 'email=a', headers => { 'Content-Type' => 'text/plain' }],
	[422, PUT => '/api/user/profile', session => $client, json => { givenName => '' }],
);
for my $c (@cases) {
	my ($want, $method, $path, %o) = @$c;
	my $r = $s->request($method, $path, %o);
	my $what = "$method " . ($o{host} // 'site') . ' ' . substr($path, 0, 40);
	is $r->{status}, $want, "$what: $want";
	ok !exists $r->{headers}{status}, "$what: no Status header"
		or diag "Status: $r->{headers}{status}";
}

# A failure of the app's own: the health check says 503 while Redis is down.
$s->stop_component('redis');
my $r = $s->get('/api/health');
is $r->{status}, 503, 'Redis down: health 503';
ok !exists $r->{headers}{status}, 'Redis down: no Status header';
$s->start_component('redis');
$s->wait_healthy;

done_testing;
