#!/usr/bin/perl
# Every page comes out of the one layout (common/web/templates/layout.html):
# a document with its head block (title, description, canonical, JSON-LD),
# the app's header, <main> and footer; values people control are escaped
# wherever they land (text, attributes), on both apps, for error pages too.
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use CWC::Stack;
use JSON::PP;
use Test::More;

my $s = CWC::Stack->start;

sub qs {
	my ($v) = @_;
	$v =~ s/([^A-Za-z0-9\-._~\/])/sprintf('%%%02X', ord $1)/ge;
	return $v;
}

sub layout_ok {
	my ($r, $what) = @_;
	like $r->{headers}{'content-type'} // '', qr{^text/html; charset=utf-8}, "$what: HTML";
	like $r->{content}, qr{\A<!doctype html>\n<html lang="fr">\n<head>\n<meta charset="utf-8">},
		"$what: a document from its first byte";
	# the site: header, main, footer; the back office: its sidebar and main
	# side by side, no footer
	like $r->{content}, qr{<header\ class="site-header">.*</header>\n<main\ id="main">\n.*</main>\n<footer\ class="site-footer">.*</footer>\n</body>\n</html>\n\z
			     |<div\ class="admin-shell">\n<header\ class="sidebar">.*</header>\n<main\ id="main">\n.*</main>\n</div>\n</body>\n</html>\n\z}sx,
		"$what: header, main, footer in that order";
}

# ---- the home page's head block --------------------------------------------
my $r = $s->get('/');
is $r->{status}, 200, 'home: 200';
layout_ok($r, 'home');
like $r->{content}, qr{<title>Café-coworking au cœur de Strasbourg — CoworKing Café</title>}, 'home: its title';
like $r->{content}, qr{<meta name="description" content="Un café pour travailler[^"]*">}, 'home: a description';
my $site = $s->site_url;
like $r->{content}, qr{<link rel="canonical" href="\Q$site\E/">}, 'home: its canonical URL';
my ($ld) = $r->{content} =~ m{<script type="application/ld\+json">(.*?)</script>}s;
my $ldj = eval { JSON::PP->new->decode($ld // '') };
is $ldj && $ldj->{'@type'}, 'CoworkingSpace', 'home: JSON-LD that parses';
unlike $r->{content}, qr{closure-banner}, 'no closure banner when nothing is closed';

# ---- login pages: `next` lands in an attribute -----------------------------
my $hostile = q{/x"><script>alert(1)</script>&amp;'};
for my $host (qw(site admin)) {
	my $path = $host eq 'site' ? '/auth/login' : '/login';
	$r = $s->get("$path?next=" . qs($hostile), host => $host);
	is $r->{status}, 200, "$host login page: 200";
	layout_ok($r, "$host login page");
	unlike $r->{content}, qr{<script>alert}, "$host login page: the hostile next is not markup";
	# escaped as it is, or replaced by the default if ever refused
	like $r->{content}, qr{<input type="hidden" name="next" value="(?:/x&quot;&gt;&lt;script&gt;alert\(1\)&lt;/script&gt;&amp;amp;&#39;|/dashboard|/)">},
		"$host login page: next stays one attribute, escaped";
}
$r = $s->get('/login', host => 'admin');
like $r->{content}, qr{<header class="sidebar">}, 'admin: its own header (the sidebar)';
like $r->{content}, qr{<h1>Espace équipe</h1>}, 'admin: its login heading';

# ---- a signed-in page with a hostile name -----------------------------------
my $client = $s->login('client');
my $name = q{Zoe <script>alert("x")</script> & 'Co'};
$r = $s->request('PUT', '/api/user/profile', session => $client, json => { givenName => $name });
is $r->{status}, 200, 'the client renames themself' or diag $r->{content};
$r = $s->get('/dashboard/messages', session => $client);
is $r->{status}, 200, 'chat page: 200';
layout_ok($r, 'chat page');
like $r->{content}, qr{data-name="Zoe &lt;script&gt;alert\(&quot;x&quot;\)&lt;/script&gt; &amp; &#39;Co&#39;"},
	'chat page: the name escaped in its attribute';
like $r->{content}, qr{<a href="/dashboard" aria-current="page">Mon espace</a>}, 'signed in: the header links "Mon espace", current on the messages page';
like $r->{content}, qr{<script defer src="/static/chat\.[0-9a-f]+\.js"></script>}, 'chat page: its script';

# ---- error pages -------------------------------------------------------------
$r = $s->get('/no/such/page/<b>');
is $r->{status}, 404, 'an unknown path: status 404';
layout_ok($r, '404 page');
like $r->{content}, qr{<h1>Page introuvable</h1>}, '404: says so';
unlike $r->{content}, qr{<b>}, '404: the path is not echoed as markup';
# a client cannot sign in on admin; with the site's session cookie the
# messenger there is refused with the 403 page
my $cookie_client = { %$client, host => 'admin' };
$r = $s->get('/messages', host => 'admin', session => $cookie_client);
ok $r->{status} == 403 || $r->{status} == 303, "admin's messenger refuses a client ($r->{status})";
if ($r->{status} == 403) {
	layout_ok($r, '403 page');
	like $r->{content}, qr{<h1>Accès refusé</h1>}, '403: says so';
}

$s->stop;
done_testing;
