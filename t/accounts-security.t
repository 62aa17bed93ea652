#!/usr/bin/perl
# What an attacker tries against the account API, through Caddy: forged
# session cookies, cross-origin state changes (CSRF), malformed input,
# password guessing and mail bombing (throttled with 429 + Retry-After,
# recovering once the window passes).
# The limits are shortened for the test with CWC_THROTTLE_*.
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use CWC::Stack;
use JSON::PP;
use Test::More;
use Time::HiRes qw(sleep time);

my $s = CWC::Stack->start(env => {
	CORS_ORIGINS => 'https://partner.example',
	CWC_THROTTLE_LOGIN => '3/4',
	CWC_THROTTLE_LOGIN_IP => '6/4',
	CWC_THROTTLE_FORGOT => '2/3',
	CWC_THROTTLE_RESEND => '2/3',
	CWC_THROTTLE_REGISTER => '4/3',
});

sub call {
	my ($method, $path, %o) = @_;
	my $host = $o{host} // 'site';
	my %h = %{ $o{headers} // {} };
	$h{Origin} //= $host eq 'admin' ? $s->admin_url : $s->site_url
		if $method ne 'GET' && !$o{no_origin};
	$h{Cookie} = "cwc_session=$o{cookie}" if defined $o{cookie};
	return $s->request($method, $path, host => $host, headers => \%h,
			   (exists $o{json} ? (json => $o{json}) : ()),
			   (defined $o{body} ? (body => $o{body}) : ()));
}

sub session_of {
	my ($r) = @_;
	my $sc = $r->{headers}{'set-cookie'} // return;
	for (ref $sc ? @$sc : ($sc)) {
		return $1 if /^cwc_session=([0-9a-f]{64});/;
	}
	return;
}

sub login {
	my ($email, $password, %o) = @_;
	return call(POST => '/api/auth/login', %o, json => { email => $email, password => $password });
}

$s->seed;   # the demo accounts (bin/cwc-ctl seed)
my ($CLIENT, $STAFF, $ADMIN) = map { "$_\@coworkingcafe.local" } qw(client staff admin);
my %PW = ($CLIENT => 'cafe-client-2026', $STAFF => 'cafe-staff-2026', $ADMIN => 'cafe-admin-2026');

# ---- forged and dead cookies ---------------------------------------------------

for my $forged ('garbage', 'ab' x 32, 'AB' x 32, '../../etc/passwd', 'x' x 3000, '%00%ff', '') {
	my $r = call(GET => '/api/auth/session', cookie => $forged);
	is $r->{status}, 401, 'forged cookie "' . substr($forged, 0, 20) . '": 401';
}
is call(GET => '/api/user/profile', cookie => 'cd' x 32)->{status}, 401, 'profile with a forged cookie: 401';
is $s->get('/api/health')->{status}, 200, 'the site is healthy after the forgeries';

my $r = login($CLIENT, $PW{$CLIENT});
my $client = session_of($r);
ok $client, 'the client signs in';
is call(POST => '/api/auth/logout', cookie => $client)->{status}, 204, 'and out';
is call(GET => '/api/auth/session', cookie => $client)->{status}, 401, 'a logged-out cookie: 401';
$client = session_of(login($CLIENT, $PW{$CLIENT}));

# ---- CSRF ---------------------------------------------------------------------------

$r = call(PUT => '/api/user/profile', cookie => $client, json => { companyName => 'Evil Corp' },
	  headers => { Origin => 'https://evil.example' });
is $r->{status}, 403, 'a cross-origin PUT with the session cookie: 403';
is $r->{json}{error}{code}, 'bad_origin', 'bad_origin';
$r = call(PUT => '/api/user/profile', cookie => $client, json => { companyName => 'Evil Corp' },
	  no_origin => 1);
is $r->{status}, 403, 'with the cookie but no Origin nor Referer: 403';
$r = call(PUT => '/api/user/profile', cookie => $client, json => { companyName => 'Evil Corp' },
	  no_origin => 1, headers => { Referer => 'https://evil.example/x' });
is $r->{status}, 403, 'with a foreign Referer: 403';
$r = call(DELETE => '/api/user/delete', cookie => $client, headers => { Origin => 'null' });
is $r->{status}, 403, 'a DELETE with Origin: null: 403';
isnt call(GET => '/api/user/profile', cookie => $client)->{json}{user}{companyName} // '', 'Evil Corp',
	'nothing changed';
is call(GET => '/api/auth/session', cookie => $client)->{status}, 200, 'and the account still exists';

$r = call(PUT => '/api/user/profile', cookie => $client, json => { companyName => 'Café Nord' },
	  no_origin => 1, headers => { Referer => $s->site_url . '/compte' });
is $r->{status}, 200, 'the same with our Referer (no Origin): 200';
$r = call(PUT => '/api/user/profile', cookie => $client, json => { companyName => 'Partenaire' },
	  headers => { Origin => 'https://partner.example' });
is $r->{status}, 200, 'from an origin of CORS_ORIGINS: 200';
$r = call(PUT => '/api/user/profile', cookie => $client, json => { companyName => 'X' },
	  headers => { Origin => $s->admin_url });
is $r->{status}, 403, "admin's origin on the site when CORS_ORIGINS does not list it: 403";

$r = call(POST => '/api/auth/login', json => { email => $CLIENT, password => $PW{$CLIENT} },
	  headers => { Origin => 'https://evil.example' });
is $r->{status}, 403, 'a login from a foreign origin: 403 (login CSRF)';
ok !session_of($r), 'and no session';
my $staff = session_of(login($STAFF, $PW{$STAFF}, host => 'admin'));
$r = call(POST => '/api/auth/logout', host => 'admin', cookie => $staff,
	  headers => { Origin => 'https://evil.example' });
is $r->{status}, 403, 'admin: a cross-origin logout: 403';
is call(GET => '/api/dashboard', host => 'admin', cookie => $staff)->{status}, 200,
	'and the staff session goes on';

# ---- bad input --------------------------------------------------------------------------

my %ok = (email => 'new@example.com', password => 'bon-mot-de-passe', givenName => 'Nina');
my @cases = (
	[ {}, 400, 'email', 'an empty object' ],
	[ { %ok, email => undef }, 400, 'email', 'a null email' ],
	[ { %ok, email => 42 }, 400, 'email', 'a number as email' ],
	[ { %ok, email => ['a@b.fr'] }, 400, 'email', 'an array as email' ],
	[ { map { $_ => $ok{$_} } qw(email givenName) }, 400, 'password', 'no password' ],
	[ { %ok, password => { x => 1 } }, 400, 'password', 'an object as password' ],
	[ { map { $_ => $ok{$_} } qw(email password) }, 400, 'givenName', 'no givenName' ],
	[ { %ok, newsletter => 'yes' }, 400, 'newsletter', 'a string as newsletter' ],
	[ { %ok, username => 7 }, 400, 'username', 'a number as username' ],
	[ { %ok, email => 'plainaddress' }, 422, 'email', 'an email without @' ],
	[ { %ok, email => 'a@b' }, 422, 'email', 'an email without a domain dot' ],
	[ { %ok, email => 'a@@example.com' }, 422, 'email', 'an email with two @' ],
	[ { %ok, email => 'a b@example.com' }, 422, 'email', 'an email with a space' ],
	[ { %ok, email => ('a' x 250) . '@example.com' }, 422, 'email', 'an over-long email' ],
	[ { %ok, password => '1234567' }, 422, 'password', 'a 7-character password' ],
	[ { %ok, password => 'p' x 257 }, 422, 'password', 'a 257-byte password' ],
	[ { %ok, givenName => '   ' }, 422, 'givenName', 'a blank givenName' ],
	[ { %ok, givenName => 'n' x 101 }, 422, 'givenName', 'a 101-character givenName' ],
	[ { %ok, username => 'u' x 51 }, 422, 'username', 'a 51-character username' ],
	[ { %ok, companyName => 'c' x 151 }, 422, 'companyName', 'a 151-character companyName' ],
	[ { %ok, phone => 'appelle-moi' }, 422, 'phone', 'letters as phone' ],
	[ { %ok, phone => '1' x 31 }, 422, 'phone', 'a 31-character phone' ],
);
for my $c (@cases) {
	my ($body, $status, $field, $what) = @$c;
	$r = call(POST => '/api/auth/register', json => $body);
	is $r->{status}, $status, "register with $what: $status";
	is $r->{json}{error}{field}, $field, "  error.field = $field";
	like $r->{json}{error}{message} // '', qr/\b\Q$field\E\b/, "  the message names $field";
	is $r->{json}{error}{code}, $status == 400 ? 'invalid_request' : 'validation_failed', '  code';
}
for my $bad ([ 'givenName', qq({"email":"n\@example.com","password":"bon-mot-de-passe","givenName":"Ni\xffna"}) ],
	     [ 'email', qq({"email":"n\xc3\x28\@example.com","password":"bon-mot-de-passe","givenName":"Nina"}) ],
	     [ 'password', qq({"email":"n\@example.com","password":"bon-mot-\xed\xa0\x80","givenName":"Nina"}) ]) {
	$r = call(POST => '/api/auth/register', body => $bad->[1],
		  headers => { 'Content-Type' => 'application/json' });
	is $r->{status}, 400, "non-UTF-8 bytes in $bad->[0]: 400";
	is $r->{json}{error}{field}, $bad->[0], "  naming $bad->[0]";
	is $r->{json}{error}{code}, 'bad_json', '  code bad_json';
}
# A NUL (\u0000) is refused by the JSON parser, like invalid UTF-8.
$r = call(POST => '/api/auth/register', json => { %ok, givenName => "Nina\x{0}" });
is $r->{status}, 400, 'a NUL in givenName: 400';
is $r->{json}{error}{field}, 'givenName', '  naming givenName';
is $r->{json}{error}{code}, 'bad_json', '  code bad_json';
for my $raw ([ '{"email":', 'truncated JSON' ], [ '[1,2]', 'a JSON array' ], [ 'email=a@b.fr', 'a form' ]) {
	$r = call(POST => '/api/auth/register', body => $raw->[0],
		  headers => { 'Content-Type' => 'application/json' });
	is $r->{status}, 400, "$raw->[1] as the body: 400";
}
$r = call(POST => '/api/auth/register', body => '{}', headers => { 'Content-Type' => 'text/plain' });
is $r->{status}, 415, 'a body that is not application/json: 415';
$r = call(POST => '/api/auth/login', json => { email => $CLIENT });
is $r->{status}, 400, 'login without password: 400';
is $r->{json}{error}{field}, 'password', '  naming password';
$r = call(POST => '/api/auth/login', json => { email => [], password => 'x' });
is $r->{json}{error}{field}, 'email', 'login with an array as email: names email';
$r = call(PUT => '/api/user/profile', cookie => $client, json => { newsletter => 'oui' });
is $r->{status}, 400, 'profile with a string as newsletter: 400';
$r = call(POST => '/api/auth/activate-account', json => { token => 12 });
is $r->{status}, 400, 'activate with a number as token: 400';
$r = call(POST => '/api/auth/activate-account', json => { token => 'z' x 64 });
is $r->{status}, 410, 'activate with a token that cannot be ours: 410';

# ---- password guessing -------------------------------------------------------------------

sub wait_window {
	my ($r) = @_;
	my $ra = $r->{headers}{'retry-after'} // 4;
	sleep $ra + 1;
}

for my $i (1 .. 3) {
	is login($CLIENT, "wrong-$i")->{status}, 401, "failed login $i on the client account: 401";
}
$r = login($CLIENT, $PW{$CLIENT});
is $r->{status}, 429, 'the 4th attempt, even with the right password: 429';
is $r->{json}{error}{code}, 'too_many_requests', 'too_many_requests';
like $r->{headers}{'retry-after'} // '', qr/^[1-4]$/, 'with Retry-After (the rest of the 4 s window)';
ok !session_of($r), 'and no session';
is login($STAFF, $PW{$STAFF})->{status}, 200, 'another account is not blocked (per account)';
login($STAFF, "wrong-$_") for 1 .. 3;
$r = login($ADMIN, $PW{$ADMIN});
is $r->{status}, 429, '6 failures from one address block every account from it';
wait_window($r);
$r = login($CLIENT, $PW{$CLIENT});
is $r->{status}, 200, 'once the window has passed the right password works again';

login($CLIENT, "wrong-$_") for 1 .. 2;
is login($CLIENT, $PW{$CLIENT})->{status}, 200, 'a success after 2 failures';
login($CLIENT, "wrong-$_") for 3 .. 4;
is login($CLIENT, $PW{$CLIENT})->{status}, 200, 'clears the count: 2 more failures do not block';

# ---- mail bombing ---------------------------------------------------------------------------

for my $path ('/api/auth/forgot-password', '/api/auth/resend-activation') {
	is call(POST => $path, json => { email => $CLIENT })->{status}, 200, "$path 1: 200" for 1 .. 2;
	$r = call(POST => $path, json => { email => $CLIENT });
	is $r->{status}, 429, "$path, 3rd within the window: 429";
	ok $r->{headers}{'retry-after'}, '  with Retry-After';
	wait_window($r);
	is call(POST => $path, json => { email => $CLIENT })->{status}, 200, "$path recovers";
}
for my $i (1 .. 4) {
	$r = call(POST => '/api/auth/register', json => { %ok, email => "flood$i\@example.com" });
	is $r->{status}, 201, "registration $i from one address: 201";
}
$r = call(POST => '/api/auth/register', json => { %ok, email => 'flood5@example.com' });
is $r->{status}, 429, 'the 5th registration within the window: 429';
wait_window($r);
is call(POST => '/api/auth/register', json => { %ok, email => 'flood5@example.com' })->{status}, 201,
	'and it goes through once the window has passed';

# Redis down: t/accounts-throttle-outage.t.

done_testing;
