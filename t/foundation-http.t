#!/usr/bin/perl
# The request layer through Caddy: error shapes (404, 405, 400, 413),
# request ids, the HTML 404 page, CORS, security headers and static files.
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use CWC::Stack;
use IO::Socket::INET;
use Test::More;

my $s = CWC::Stack->start(env => { CWC_MAX_BODY => 4096 });

sub error_shape {
	my ($r, $status, $code, $what) = @_;
	is $r->{status}, $status, "$what: status $status";
	is $r->{json}{error}{code}, $code, "$what: code $code";
	ok length($r->{json}{error}{message} // ''), "$what: has a message";
	like $r->{headers}{'x-request-id'} // '', qr/^[\w-]{8,}$/, "$what: has a request id";
}

error_shape($s->get('/api/no-such-thing'), 404, 'not_found', 'unknown API path');
error_shape($s->get('/api/no-such-thing', host => 'admin'), 404, 'not_found', 'unknown admin API path');
my $r = $s->request('DELETE', '/api/health');
error_shape($r, 405, 'method_not_allowed', 'wrong method');
is $r->{headers}{allow}, 'GET, HEAD, OPTIONS', '405 lists Allow';

$r = $s->get('/no-such-page');
is $r->{status}, 404, 'unknown page is a real 404';
like $r->{headers}{'content-type'}, qr{text/html}, 'as an HTML page';
like $r->{content}, qr/<h1>/, 'with a heading';

# JSON routes: bad JSON, invalid UTF-8, wrong type, too large.
$r = $s->post('/api/auth/login', json => '{"email": "a@b.c", "password": ');
error_shape($r, 400, 'bad_json', 'truncated JSON');
like $r->{json}{error}{message}, qr/byte \d+/, 'bad JSON names the position';
error_shape($s->post('/api/auth/login', json => qq({"email": "\xff\xfe"})), 400, 'bad_json', 'invalid UTF-8');
error_shape($s->post('/api/auth/login', json => '[]'), 400, 'bad_json', 'array body');
error_shape($s->post('/api/auth/login', json => '{"email":"' . ('x' x 5000) . '"}'), 413, 'payload_too_large', 'body over the limit');

# Methods Caddy passes through but we do not serve.
$r = $s->request('PROPFIND', '/api/health');
is $r->{status}, 405, 'unknown method is 405';

# Malformed percent-encoding: a NUL in the path is answered by Caddy itself
# (etc/caddy/common.caddy, t/http-malformed.t); a bad query string reaches
# the app.
error_shape($s->get('/api/x%00y'), 400, 'bad_request', 'an encoded NUL in the path');
error_shape($s->get('/api/health?q=%G1'), 400, 'bad_request', 'malformed percent-encoding in the query');

# Oversized headers: a clear 4xx, never a crash.
$r = $s->get('/api/health', headers => { 'X-Big' => 'a' x (2 * 1024 * 1024) });
ok $r->{status} >= 400 && $r->{status} < 500 || $r->{status} == 599, "oversized headers refused ($r->{status})";
is $s->get('/api/health')->{status}, 200, 'and the site still answers';

# CORS.
my $origin = $s->site_url;
$r = $s->request('OPTIONS', '/api/health', headers => { Origin => $s->admin_url, 'Access-Control-Request-Method' => 'GET' });
is $r->{status}, 204, 'preflight from an allowed origin';
is $r->{headers}{'access-control-allow-origin'}, $s->admin_url, 'allowed origin echoed';
like $r->{headers}{'access-control-allow-methods'} // '', qr/GET/, 'methods listed';
like $r->{headers}{'access-control-allow-headers'} // '', qr/Content-Type/, 'headers listed';
$r = $s->request('OPTIONS', '/api/health', headers => { Origin => 'https://evil.example', 'Access-Control-Request-Method' => 'GET' });
is $r->{status}, 403, 'preflight from another origin refused';
ok !exists $r->{headers}{'access-control-allow-origin'}, 'with no CORS headers';
$r = $s->get('/api/health', headers => { Origin => 'https://evil.example' });
ok !exists $r->{headers}{'access-control-allow-origin'}, 'a simple request from another origin gets no CORS headers';

# Security headers and static files.
$r = $s->get('/');
is $r->{headers}{'x-content-type-options'}, 'nosniff', 'nosniff';
ok $r->{headers}{'referrer-policy'}, 'Referrer-Policy';
like $r->{headers}{'content-security-policy'} // '', qr/default-src 'self'/, 'a CSP';
ok !exists $r->{headers}{'strict-transport-security'}, 'no HSTS on local HTTP';
my ($css) = $r->{content} =~ m{href="(/static/site\.[0-9a-f]{8,}\.css)"};
ok $css, 'the page links the fingerprinted stylesheet';
$r = $s->get($css, headers => { 'Accept-Encoding' => 'gzip' });
is $r->{status}, 200, 'static file served by Caddy';
is $r->{headers}{'content-encoding'}, 'gzip', 'compressed';
like $r->{headers}{'cache-control'} // '', qr/max-age=31536000, immutable/, 'a fingerprinted asset is cached for a year';
$r = $s->get('/static/site.css');
is $r->{status}, 200, 'the plain name is served too';
unlike $r->{headers}{'cache-control'} // '', qr/immutable/, 'but not cached forever';

done_testing;
