#!/usr/bin/perl
# The blog "Le Mag'" through Caddy: every page of the list (6 per page,
# rel=prev/next, 404 past the last page and for malformed numbers),
# categories with counts of public articles only, search (accents,
# regex metacharacters, 10 KB), an article page (reading time, views
# once per visitor, JSON-LD, previous/next), hostile Markdown, and
# unknown slugs as 404 pages. Articles are written by t/tools/content-put
# (the content domain's own writer).
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use CWC::Stack;
use JSON::PP;
use Test::More;

my $s = CWC::Stack->start;
my $root = "$FindBin::Bin/..";
my $now = time * 1000;
my $day = 86400 * 1000;

sub put_content {
	my ($data) = @_;
	my %env = $s->app_env;
	local @ENV{ keys %env } = values %env;
	open my $p, '|-', "$root/build/asan/t/tools/content-put" or die $!;
	print $p JSON::PP->new->canonical->encode($data);
	close $p;
	return $? >> 8;
}

my @articles;
for my $i (1 .. 20) {
	push @articles, {
		title => sprintf('Article numéro %02d sur la vie au café, un titre assez long pour une carte', $i),
		slug => sprintf('article-%02d', $i),
		excerpt => "Le résumé de l’article $i.",
		content => "# Intro $i\n\n" . ("mot " x (150 * ($i % 3 + 1))) . "\n\nFin.",
		status => 'published',
		category => $i <= 13 ? 'travailler' : 'quartier',
		publishedAt => $now - (30 - $i) * $day,
	};
}
push @articles,
	{ title => 'Le café crème de Strasbourg', slug => 'cafe-creme', status => 'published',
	  category => 'quartier', publishedAt => $now - 40 * $day,
	  content => "Un **café** crème, et une recette (a+b)*c.\n\n## Détails\n\nTexte." },
	{ title => 'Un brouillon', slug => 'brouillon', status => 'draft', category => 'travailler',
	  content => 'Pas encore.' },
	{ title => 'Article futur', slug => 'futur', status => 'published', category => 'travailler',
	  publishedAt => $now + 5 * $day, content => 'Demain.' },
	{ title => 'Hostile', slug => 'hostile', status => 'published', category => 'quartier',
	  publishedAt => $now - 50 * $day,
	  content => "<script>alert(1)</script>\n\n[clic](javascript:alert(1)) <img src=x onerror=alert(2)>\n\n"
	           . "![x](data:image/png;base64,AAAA) [ok](https://example.org/)" };
is put_content({
	categories => [
		{ name => 'Bien travailler', slug => 'travailler', order => 1 },
		{ name => 'Le quartier', slug => 'quartier', order => 2 },
		{ name => 'Cachée', slug => 'cachee', order => 3, isVisible => JSON::PP::false },
	],
	articles => \@articles,
}), 0, 'content written';

# ---- the list, every page ------------------------------------------------
# 22 public articles (20 + café crème + hostile): 4 pages
my %seen;
for my $n (1 .. 4) {
	my $path = $n == 1 ? '/blog' : "/blog/page/$n";
	my $r = $s->get($path);
	is $r->{status}, 200, "$path: 200";
	my @slugs = $r->{content} =~ m{<h2><a href="/blog/([a-z0-9-]+)">}g;
	is scalar @slugs, $n < 4 ? 6 : 4, "$path: its articles";
	$seen{$_}++ for @slugs;
	if ($n > 1) {
		my $prev = $n == 2 ? '/blog' : '/blog/page/' . ($n - 1);
		like $r->{content}, qr{<link rel="prev" href="\Q$prev\E">}, "$path: rel=prev in the head";
		like $r->{content}, qr{<a rel="prev" href="\Q$prev\E">}, "$path: a link to the previous page";
	} else {
		unlike $r->{content}, qr{rel="prev"}, '/blog: no prev';
		like $r->{content}, qr{<link rel="canonical" href="[^"]*/blog">}, '/blog: canonical';
	}
	if ($n < 4) {
		like $r->{content}, qr{<link rel="next" href="/blog/page/@{[$n + 1]}">}, "$path: rel=next";
	} else {
		unlike $r->{content}, qr{rel="next"}, "$path: no next on the last page";
	}
}
is scalar(keys %seen), 22, 'every public article once over the pages';
ok !$seen{$_}, "$_ not listed" for qw(brouillon futur);
my $first = $s->get('/blog')->{content};
like $first, qr{href="/blog/article-20">.*href="/blog/article-19">}s, 'newest first';

for my $bad (qw(/blog/page/5 /blog/page/0 /blog/page/01 /blog/page/-1 /blog/page/abc
		/blog/page/99999999999 /blog/brouillon /blog/futur /blog/nope
		/blog/category/nope /blog/category/cachee /blog/category/travailler/page/4)) {
	my $r = $s->get($bad);
	is $r->{status}, 404, "$bad: 404";
	like $r->{content}, qr{<html lang="fr">}, "$bad: the 404 page";
}
my $r = $s->get('/blog/page/1');
is $r->{status}, 301, '/blog/page/1 → 301';
is $r->{headers}{location}, '/blog', '… to /blog';

# ---- categories ----------------------------------------------------------
like $first, qr{href="/blog/category/travailler">Bien travailler</a> <span class="count">\(13\)</span>},
	'category count: public articles only (no draft, no future)';
like $first, qr{href="/blog/category/quartier">Le quartier</a> <span class="count">\(9\)</span>}, 'second category';
unlike $first, qr{cachee}, 'a hidden category is not listed';
$r = $s->get('/blog/category/travailler');
is $r->{status}, 200, 'category page';
like $r->{content}, qr{<h1>Bien travailler</h1>}, 'category title';
is scalar(() = $r->{content} =~ m{<h2><a href="/blog/}g), 6, 'category: 6 per page';
like $r->{content}, qr{<link rel="next" href="/blog/category/travailler/page/2">}, 'category: rel=next';
$r = $s->get('/blog/category/travailler/page/3');
is $r->{status}, 200, 'category page 3';
is scalar(() = $r->{content} =~ m{<h2><a href="/blog/}g), 1, 'category page 3: the 13th';

# ---- search --------------------------------------------------------------
for my $q ('creme', 'CRÈME', 'Café crème', 'cafe creme strasbourg') {
	$r = $s->get('/blog/search?q=' . uri($q));
	is $r->{status}, 200, "search '$q': 200";
	like $r->{content}, qr{href="/blog/cafe-creme">}, "search '$q' finds the café crème";
	unlike $r->{content}, qr{<link rel="canonical"}, "search '$q': no canonical";
}
$r = $s->get('/blog/search?q=' . uri('numéro'));
like $r->{content}, qr{<p class="lead">20 article}, 'search numéro: 20 found';
$r = $s->get('/blog/search?q=cafe');
like $r->{content}, qr{<p class="lead">21 article}, 'search cafe: the 20 « au café » and the café crème';
like $r->{content}, qr{<link rel="next" href="/blog/search\?q=cafe&amp;page=2">}, 'search pages: rel=next keeps the query';
is $s->get('/blog/search?q=numero&page=4')->{status}, 200, 'search page 4: 200';
is $s->get('/blog/search?q=numero&page=5')->{status}, 404, 'search past its last page: 404';
for my $q ('.*', '(a+b)*c', '[', '\\', '^$', '(?{1})', '*' x 300, ('a(' x 5000)) {
	$r = $s->get('/blog/search?q=' . uri($q));
	is $r->{status}, 200, 'search ' . substr($q, 0, 20) . ' (' . length($q) . ' bytes): 200';
}
$r = $s->get('/blog/search?q=' . uri('<script>alert(1)</script>'));
unlike $r->{content}, qr{<script>alert}, 'the query is escaped on the page';
is $s->get('/blog/search')->{status}, 303, 'an empty search goes back to /blog';

# ---- an article ----------------------------------------------------------
my $ua = 'Mozilla/5.0 test reader';
$r = $s->get('/blog/article-10', headers => { 'User-Agent' => $ua });
is $r->{status}, 200, 'article page';
like $r->{content}, qr{<h1>Article numéro 10[^<]*</h1>}, 'its title';
is scalar(() = $r->{content} =~ /<h1/g), 1, 'one h1';
like $r->{content}, qr{<h2><a class="anchor" id="section-intro-10"}, 'Markdown rendered, headings a level down';
like $r->{content}, qr{ 2 min de lecture}, 'reading time (303 words: 2 min)';
like $r->{content}, qr{1 vue\(s\)}, 'first view counted';
like $r->{content}, qr{<a rel="prev" href="/blog/article-09">}, 'previous article';
like $r->{content}, qr{<a rel="next" href="/blog/article-11">}, 'next article';
my ($ld) = $r->{content} =~ m{<script type="application/ld\+json">(.*?)</script>}s;
my $ldj = eval { decode_json($ld) };
is $ldj && $ldj->{'@type'}, 'Article', 'Article JSON-LD';
like $ldj && $ldj->{datePublished}, qr/^\d{4}-\d\d-\d\dT/, 'JSON-LD datePublished';
like $r->{content}, qr{<link rel="canonical" href="[^"]*/blog/article-10">}, 'canonical';
$r = $s->get('/blog/article-10', headers => { 'User-Agent' => $ua });
like $r->{content}, qr{1 vue\(s\)}, 'the same visitor the same day: still 1 view';
$r = $s->get('/blog/article-10', headers => { 'User-Agent' => 'Googlebot/2.1' });
like $r->{content}, qr{1 vue\(s\)}, 'a bot is not counted';
$r = $s->get('/blog/article-10', headers => { 'User-Agent' => 'Another reader' });
like $r->{content}, qr{2 vue\(s\)}, 'another visitor: 2 views';

$r = $s->get('/blog/hostile');
is $r->{status}, 200, 'hostile article renders';
my ($prose) = $r->{content} =~ m{<div class="prose">(.*?)</div>}s;
unlike $prose, qr{<script|onerror|javascript:|data:image|<img}i, 'no script, handler, javascript: or data: in the body';
like $prose, qr{clic}, 'the refused link keeps its text';
like $prose, qr{<a href="https://example.org/" rel="noopener noreferrer">ok</a>}, 'external link: rel=noopener';

done_testing;

sub uri {
	my ($v) = @_;
	utf8::encode($v) if utf8::is_utf8($v);
	$v =~ s/([^A-Za-z0-9\-._~])/sprintf('%%%02X', ord $1)/ge;
	return $v;
}
