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
use HTTP::Tiny;
use POSIX ();
use Test::More;

my $s = CWC::Stack->start;
my $now = time * 1000;
my $day = 86400 * 1000;

sub put_content { $s->content_put(JSON::PP->new->canonical->encode($_[0])) }

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

# ---- the archive, by month -------------------------------------------------
$r = $s->get('/blog/archive');
is $r->{status}, 200, '/blog/archive: 200';
like $r->{content}, qr{<p class="lead">22 article\(s\), mois par mois\.</p>}, 'the archive counts the 22 public articles';
my @months = $r->{content} =~ m{<section class="archive-month"[^>]*>\s*<h2[^>]*>[^<]+<span class="count">\((\d+)\)</span></h2>\s*<ul class="archive-list">(.*?)</ul>}sg;
my ($sum, $right) = (0, 1);
while (my ($count, $list) = splice @months, 0, 2) {
	my $n = () = $list =~ /<li>/g;
	$right &&= $n == $count;
	$sum += $count;
}
is $sum, 22, 'the months add up to 22';
ok $right, 'each month counts the articles it lists';
unlike $r->{content}, qr{/blog/(brouillon|futur)"}, 'no draft, no future article in the archive';
like $s->get('/blog')->{content}, qr{href="/blog/archive"}, 'the blog links its archive';

# ---- ranked, accent-insensitive search ----------------------------------------
is put_content({
	categories => [ { name => 'Solo', slug => 'solo', order => 4 } ],
	articles => [
		{ title => 'Le thé glacé de la terrasse', slug => 'the-glace', status => 'published', category => 'solo',
		  publishedAt => $now - 60 * $day, content => 'Infusion froide.', featuredImage => '/uploads/the-glace-800.webp',
		  imgAlt => 'Un verre de thé glacé' },
		{ title => 'Recette maison : thé glacé à la menthe', slug => 'the-menthe', status => 'published',
		  category => 'travailler', publishedAt => $now - 70 * $day, content => 'Menthe fraîche.' },
		{ title => 'Crème brûlée et café', slug => 'creme-brulee-cafe', status => 'published', category => 'quartier',
		  publishedAt => $now - 80 * $day, content => 'Le dessert du jeudi.' },
		{ title => 'Un dessert', slug => 'dessert-creme', status => 'published', category => 'quartier',
		  publishedAt => $now - 1 * $day, content => 'Avec de la crème, mais sans le reste.' },
	],
}), 0, 'more content written';
$r = $s->get('/blog/search?q=' . uri('CREME brulee'));
my @found = $r->{content} =~ m{<h2><a href="/blog/([a-z0-9-]+)">}g;
is $found[0], 'creme-brulee-cafe', '"CREME brulee" finds "Crème brûlée" first (both words)';
ok scalar(grep { $_ eq 'dessert-creme' } @found), '…and the article with one of the words after it';
$r = $s->get('/blog/search?q=' . uri('glacé menthe'));
@found = $r->{content} =~ m{<h2><a href="/blog/([a-z0-9-]+)">}g;
is_deeply [@found[0, 1]], ['the-menthe', 'the-glace'], 'more words matched first, whatever the date';
$r = $s->get('/blog/search?q=dessert');
@found = $r->{content} =~ m{<h2><a href="/blog/([a-z0-9-]+)">}g;
is $found[0], 'dessert-creme', 'a title match first (then the newest)';

# ---- related articles and the Open Graph image ------------------------------------
$r = $s->get('/blog/article-10');
my ($rel) = $r->{content} =~ m{<section class="related"[^>]*>(.*?)</section>}s;
my @rel = ($rel // '') =~ m{href="/blog/([a-z0-9-]+)"}g;
is scalar @rel, 3, 'three related articles';
ok !grep({ $_ eq 'article-10' } @rel), '…not itself';
ok !grep({ !/^article-(0\d|1[0-3])$/ } @rel), '…of its category (travailler: articles 1–13)';
$r = $s->get('/blog/the-glace');
($rel) = $r->{content} =~ m{<section class="related"[^>]*>(.*?)</section>}s;
@rel = ($rel // '') =~ m{href="/blog/([a-z0-9-]+)"}g;
is $rel[0], 'the-menthe', 'alone in its category: the article sharing its title\'s words first';
like $r->{content}, qr{<meta property="og:image" content="http://[^"]+/uploads/the-glace-800\.webp">}, 'og:image: the featured image, absolute';
{
	my ($ld) = $r->{content} =~ m{<script type="application/ld\+json">(.*?)</script>}s;
	like eval { decode_json($ld)->{image} } // '', qr{^http://[^"]+/uploads/the-glace-800\.webp$}, '  and the JSON-LD image, absolute too';
}
like $r->{content}, qr{<meta property="og:type" content="article">}, 'og:type article';
# a page without an image of its own shares the site's default card (issue 13)
like $s->get('/blog')->{content}, qr{<meta property="og:image" content="http://[^"]+/static/og-image\.[0-9a-f]+\.png">},
	'no image of its own: the default Open Graph image';

# ---- likes: one per account, right under concurrency ----------------------------------
$r = $s->get('/blog/article-10');
like $r->{content}, qr{<a href="/auth/login\?next=/blog/article-10">Connectez-vous</a> pour aimer}, 'signed out: a link to sign in';
is $s->post('/api/articles/article-10/like')->{status}, 401, 'signed out: no like by the API';
my @readers;
for my $i (1 .. 6) {
	my ($rc, $out) = $s->ctl('create-admin', "lecteur$i\@example.com", '--role', 'client', '--name', "Lecteur $i",
				 { stdin => "lecteur-mot-2026\n" });
	die "create reader $i: $out" if $rc;
	push @readers, $s->login("lecteur$i\@example.com", 'lecteur-mot-2026');
}
is $s->post('/api/articles/nope/like', session => $readers[0])->{status}, 404, 'liking an unknown article: 404';
is $s->post('/api/articles/brouillon/like', session => $readers[0])->{status}, 404, 'liking a draft: 404';
# each reader likes 4 times at once, all readers together
my @pids;
for my $reader (@readers) {
	for (1 .. 4) {
		my $pid = fork // die "fork: $!";
		if (!$pid) {
			my $res = HTTP::Tiny->new(timeout => 30)->request(POST => $s->site_url . '/api/articles/article-10/like', {
				headers => { Cookie => $reader->{cookie}, Origin => $s->site_url } });
			POSIX::_exit($res->{status} == 200 ? 0 : 1);
		}
		push @pids, $pid;
	}
}
my $bad = 0;
for (@pids) { waitpid $_, 0; $bad++ if $? }
is $bad, 0, '24 concurrent likes from 6 accounts answered';
$r = $s->get('/api/articles/article-10/like', session => $readers[0]);
is $r->{json}{likeCount}, 6, 'one like per account: 6';
is $r->{json}{liked}, JSON::PP::true, '…and the reader likes it';
like $s->get('/blog/article-10')->{content}, qr{<strong>6</strong> personne\(s\) aiment}, 'the page shows 6';
@pids = ();
for my $reader (@readers[0 .. 2]) {
	my $pid = fork // die;
	if (!$pid) {
		my $res = HTTP::Tiny->new(timeout => 30)->request(DELETE => $s->site_url . '/api/articles/article-10/like', {
			headers => { Cookie => $reader->{cookie}, Origin => $s->site_url } });
		POSIX::_exit($res->{status} == 200 ? 0 : 1);
	}
	push @pids, $pid;
}
waitpid $_, 0 for @pids;
$r = $s->get('/api/articles/article-10/like', session => $readers[3]);
is $r->{json}{likeCount}, 3, '3 concurrent unlikes: 3 left';
$r = $s->get('/blog/article-10', session => $readers[0]);
like $r->{content}, qr{<button type="submit" aria-pressed="false">J’aime</button>}, 'a reader who unliked sees "J’aime"';
$r = $s->request(POST => '/blog/article-10/like', session => $readers[0], body => 'action=like',
		 headers => { 'Content-Type' => 'application/x-www-form-urlencoded' });
is $r->{status}, 303, 'the page\'s form likes without script';
like $r->{headers}{location}, qr{/blog/article-10#likes$}, '…back to the article';
$r = $s->get('/blog/article-10', session => $readers[0]);
like $r->{content}, qr{aria-pressed="true">Je n’aime plus</button>}, '…which now says "Je n’aime plus"';
like $r->{content}, qr{<strong>4</strong> personne\(s\)}, '…4 likes';

done_testing;

sub uri {
	my ($v) = @_;
	utf8::encode($v) if utf8::is_utf8($v);
	$v =~ s/([^A-Za-z0-9\-._~])/sprintf('%%%02X', ord $1)/ge;
	return $v;
}
