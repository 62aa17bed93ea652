#!/usr/bin/perl
# The login pages (/auth/login on the site, /login on admin) send the
# browser to their `next` parameter after signing in: only ever a path on
# the same origin, however a browser's URL parser reads it (it drops tabs
# and newlines, turns "\" into "/", and "//host" is another site), or the
# default page. Checked on the form's hidden `next` field (where the form's
# POST redirects), then by resolving it the way a browser does.
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use CWC::Stack;
use Test::More;

my $s = CWC::Stack->start;

# What a browser makes of `next` as a URL relative to `base`: the WHATWG
# parser strips leading/trailing C0 controls and spaces, removes tabs and
# newlines anywhere, and treats "\" as "/" in http(s) URLs.
sub browser_origin {
	my ($next, $base) = @_;
	(my $u = $next) =~ s/^[\x00-\x20]+|[\x00-\x20]+$//g;
	$u =~ s/[\t\n\r]//g;
	$u =~ tr{\\}{/};
	if ($u =~ m{^([a-z][a-z0-9+.-]*):(.*)}is) {
		my ($scheme, $rest) = (lc $1, $2);
		return "$scheme:" unless $scheme eq 'http' || $scheme eq 'https';
		return lc "$scheme://$1" if $rest =~ m{^/*([^/?#]+)};
		return $base;
	}
	return lc "http://$1" if $u =~ m{^//([^/?#]*)};
	return $base;
}

sub data_next {
	my ($path, $host) = @_;
	my $r = $s->get($path, host => $host);
	is $r->{status}, 200, "$host $path: the login page";
	my ($next) = $r->{content} =~ /<input type="hidden" name="next" value="([^"]*)">/;
	$next //= '';
	$next =~ s/&quot;/"/g; $next =~ s/&#39;/'/g; $next =~ s/&lt;/</g; $next =~ s/&gt;/>/g;
	$next =~ s/&#x([0-9a-f]+);/chr hex $1/gie; $next =~ s/&#(\d+);/chr $1/ge; $next =~ s/&amp;/&/g;
	return $next;
}

sub enc { my $v = shift; $v =~ s/([^A-Za-z0-9\-._~\/])/sprintf '%%%02X', ord $1/ge; $v }

my @evil = (
	'//evil.example', '///evil.example', '/\\evil.example', '\\/evil.example', '\\\\evil.example',
	"/\t/evil.example", "/\n/evil.example", "/\r\n/evil.example", "\t//evil.example",
	' /evil.example', " //evil.example", "/ /evil.example", "/\x0b/evil.example", "/\x7f/evil.example",
	'https://evil.example', 'http://evil.example/', 'https:evil.example', 'http:/\\evil.example',
	'//evil.example/dashboard/messages', '//evil.example@localhost/', 'javascript:alert(1)',
	'JaVaScRiPt:alert(1)', 'data:text/html,x', 'evil.example', '.evil.example', '',
	'/%2F%2Fevil.example', '/%2f/evil.example', '/%5Cevil.example', '/%5c%5cevil.example',
	'/%09/evil.example', '/%0a/evil.example', '/%0D%0A/evil.example', '/%20/evil.example',
	'/%252F%252Fevil.example', '/%25252f/evil.example', '/%', '/%zz', "/\xff/evil.example",
	"/\xc0\xaf/evil.example",
);
my %apps = (
	site => ['/auth/login', '/dashboard', ['/dashboard/messages', '/dashboard/messages?c=12',
		'/espaces/salle-1#plan', '/caf%C3%A9/r%C3%A9servations', "/\xc3\xa9t\xc3\xa9"]],
	admin => ['/login', '/', ['/messages', '/messages?conversation=abc', '/', '/a/b.c']],
);
for my $host (sort keys %apps) {
	my ($login, $default, $good) = @{ $apps{$host} };
	my $base = $host eq 'admin' ? $s->admin_url : $s->site_url;
	for my $next (@evil) {
		(my $shown = $next) =~ s/([\x00-\x20\x7f-\xff])/sprintf '\\x%02x', ord $1/ge;
		my $got = data_next("$login?next=" . enc($next), $host);
		is $got, $default, "$host next=$shown: the default page";
		is browser_origin($got, lc $base), lc $base, "$host next=$shown: same origin for a browser";
	}
	for my $next (@$good) {
		is data_next("$login?next=" . enc($next), $host), $next, "$host next=$next: kept";
	}
	is data_next($login, $host), $default, "$host without next: the default page";
}

# The redirect to the login page carries the page asked for, and that
# next is kept.
my $r = $s->get('/dashboard/messages');
is $r->{status}, 303, 'a signed-out page sends to the login page';
my ($next) = ($r->{headers}{location} // '') =~ /[?&]next=([^&]+)/;
$next =~ s/%([0-9A-F]{2})/chr hex $1/gie if defined $next;
is $next, '/dashboard/messages', 'with the page as next';
is data_next($r->{headers}{location}, 'site'), '/dashboard/messages', 'which the login page keeps';

done_testing;
