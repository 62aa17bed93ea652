#!/usr/bin/perl
# The blog's counts may be a moment old (CWC_BLOG_CACHE_MS: each worker
# shows the number of public articles, the categories with their counts,
# previous/next and a search's ranking from its own reading of a moment
# ago), the articles never: a new
# article is listed at once, an edited one shows its new text at once
# (the rendered Markdown a worker keeps is keyed by the text), and the
# counts and searches catch up within the cache time. One worker, so that every
# request meets the same cache; on the embedded store and on the MongoDB
# backend (the FerretDB test server).
use strict;
use warnings;
use utf8;
use FindBin;
use lib "$FindBin::Bin/lib";
use CWC::MongoServer;
use CWC::Stack;
use JSON::PP;
use Test::More;
use Time::HiRes qw(time sleep);

my $CACHE_MS = 2000;
my $now = int(time) * 1000;
my $day = 86400 * 1000;
my $s;

sub put_content { $s->content_put(JSON::PP->new->utf8->canonical->encode($_[0])) }

sub article {
	my ($i, $content) = @_;
	return { title => "Un article du quartier $i", slug => "quartier-$i", status => 'published',
		 category => 'quartier', publishedAt => $now - (10 - $i) * $day, excerpt => "Résumé $i.",
		 content => $content // "Le texte **premier** de l’article $i." };
}

sub sidebar_count {
	my $r = $s->get('/blog');
	die "/blog: $r->{status}" unless $r->{status} == 200;
	my ($n) = $r->{content} =~ m{href="/blog/category/quartier">Le quartier</a> <span class="count">\((\d+)\)</span>};
	return ($n // -1, $r->{content});
}

sub api_total {
	my $r = $s->get('/api/public/articles');
	die "/api/public/articles: $r->{status}" unless $r->{status} == 200;
	return $r->{json}{pagination}{total};
}

sub run_on {
	my ($backend, %env) = @_;
	subtest $backend => sub {
		$s = CWC::Stack->start(workers => 1, env => { CWC_BLOG_CACHE_MS => $CACHE_MS, %env });

		is put_content({ categories => [ { name => 'Le quartier', slug => 'quartier', order => 1 } ],
				 articles => [ map { article($_) } 1 .. 6 ] }), 0, 'six articles written';

		my ($n, $page) = sidebar_count();
		is $n, 6, 'the sidebar counts six';
		is api_total(), 6, 'the API counts six';
		unlike $page, qr{rel="next"}, 'one page of six';

		# an article's text: the worker keeps its rendering, an edit shows at once
		my $r = $s->get('/blog/quartier-3');
		like $r->{content}, qr{<strong>premier</strong>}, 'the article is rendered';
		like $r->{content}, qr{<p class="breadcrumb"><a href="/blog">[^<]+</a>[^<]+<a href="/blog/category/quartier">Le quartier</a></p>},
			'…under its category';
		is put_content({ articles => [ article(3, 'Le texte **revu**.') ] }), 0, 'the article is edited';
		$r = $s->get('/blog/quartier-3');
		like $r->{content}, qr{<strong>revu</strong>}, 'the edit shows at once';
		unlike $r->{content}, qr{premier}, '…and the old text is gone';

		# a seventh article: listed at once, counted (and found) within the cache time
		like $s->get('/blog/search?q=septieme')->{content}, qr{<p class="lead">0 article}, 'a search finds nothing yet';
		my $t0 = time;
		is put_content({ articles => [ article(7, 'Le **septième** texte.') ] }), 0, 'a seventh article is published';
		($n, $page) = sidebar_count();
		my $fresh = (time - $t0) * 1000 < $CACHE_MS - 200;
		like $page, qr{href="/blog/quartier-7"}, 'the new article is listed at once';
		ok !$fresh || $n == 6 || $n == 7, 'the count may still say six for a moment';
		my $deadline = $t0 + 60;
		sleep 0.1 until (sidebar_count())[0] == 7 || time > $deadline;
		my $took = (time - $t0) * 1000;
		is +(sidebar_count())[0], 7, 'the sidebar counts seven';
		cmp_ok $took, '<', $CACHE_MS + 1500, "…within the cache time ($CACHE_MS ms; took " . int($took) . ' ms)';
		is api_total(), 7, 'the API counts seven';
		sleep 0.1 until $s->get('/blog/search?q=septieme')->{content} =~ /<p class="lead">1 article/ || time > $deadline;
		$took = (time - $t0) * 1000;
		like $s->get('/blog/search?q=septieme')->{content}, qr{href="/blog/quartier-7"}, 'the search finds it';
		cmp_ok $took, '<', $CACHE_MS + 1500, '…within the cache time (took ' . int($took) . ' ms)';
		($n, $page) = sidebar_count();
		like $page, qr{<a rel="next" href="/blog/page/2">}, 'and /blog has a second page';
		is $s->get('/blog/page/2')->{status}, 200, '/blog/page/2: 200';
		$r = $s->get('/blog/quartier-6');
		like $r->{content}, qr{<a rel="next" href="/blog/quartier-7">}, 'the article before it links to it as the next';
		like $r->{content}, qr{<a rel="prev" href="/blog/quartier-5">}, '…and to its own previous';
		$r = $s->get('/blog/quartier-7');
		like $r->{content}, qr{<a rel="prev" href="/blog/quartier-6">}, 'the new article: its previous';
		unlike $r->{content}, qr{rel="next"}, '…and no next';
		$s->stop;
	};
}

CWC::MongoServer->on_both_stores(\&run_on);

done_testing;
