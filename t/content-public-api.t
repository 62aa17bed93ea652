#!/usr/bin/perl
# The read-only API for the café's other sites (SPEC §8), through Caddy:
# /api/public/articles, /api/public/articles/:slug, /api/public/events
# answer any origin (Access-Control-Allow-Origin: *), may be cached an
# hour (Cache-Control: public, max-age=3600) and carry a strong ETag: the
# same request with If-None-Match gets 304 and no body until the content
# changes. Only public content, without internal fields.
use strict;
use warnings;
use utf8;
use FindBin;
use lib "$FindBin::Bin/lib";
use CWC::Stack;
use JSON::PP;
use Test::More;
binmode $_, ':encoding(UTF-8)' for map { Test::More->builder->$_ } qw(output failure_output todo_output);

my $s = CWC::Stack->start;
$s->seed;   # demo events
my $now = time * 1000;
my $day = 86400 * 1000;

sub put_content { $s->content_put(JSON::PP->new->utf8->canonical->encode($_[0])) }
is put_content({
	categories => [ { name => 'Le quartier', slug => 'quartier', order => 1 } ],
	articles => [
		{ title => 'Le café crème', slug => 'cafe-creme', status => 'published', category => 'quartier',
		  publishedAt => $now - 2 * $day, excerpt => 'Un résumé.', content => "Un **café** crème." },
		{ title => 'La rue', slug => 'la-rue', status => 'published', category => 'quartier',
		  publishedAt => $now - 1 * $day, content => 'La rue.' },
		{ title => 'Un brouillon', slug => 'brouillon', status => 'draft', category => 'quartier', content => 'Non.' },
	],
}), 0, 'articles written';

my $ORIGIN = 'https://autre-site.example';
sub get { my ($path, %h) = @_; $s->get($path, headers => { Origin => $ORIGIN, %h }) }

for my $path ('/api/public/articles', '/api/public/articles/cafe-creme', '/api/public/events') {
	my $r = get($path);
	is $r->{status}, 200, "$path: 200";
	is $r->{headers}{'access-control-allow-origin'}, '*', "$path: any origin may read it";
	is $r->{headers}{'cache-control'}, 'public, max-age=3600', "$path: cached an hour";
	my $etag = $r->{headers}{etag} // '';
	like $etag, qr/^"[0-9a-f]{32}"$/, "$path: a strong ETag";
	my $again = get($path);
	is $again->{headers}{etag}, $etag, "$path: the same ETag for the same content";
	my $nm = get($path, 'If-None-Match' => $etag);
	is $nm->{status}, 304, "$path: If-None-Match → 304";
	is length($nm->{content} // ''), 0, "$path: 304 has no body";
	is $nm->{headers}{etag}, $etag, "$path: 304 repeats the ETag";
	is $nm->{headers}{'access-control-allow-origin'}, '*', "$path: 304 keeps CORS";
	is get($path, 'If-None-Match' => qq{"x", W/$etag})->{status}, 304, "$path: in a list, weak form: 304";
	is get($path, 'If-None-Match' => '"0123456789abcdef0123456789abcdef"')->{status}, 200,
		"$path: another ETag: 200";
}

# (the seed's demo articles are in other categories)
my $r = get('/api/public/articles?category=quartier');
my @slugs = map { $_->{slug} } @{ $r->{json}{articles} };
is_deeply [ grep { /^(la-rue|cafe-creme|brouillon)$/ } @slugs ], [qw(la-rue cafe-creme)],
	'published articles only, newest first';
ok !exists $r->{json}{articles}[0]{searchTerms} && !exists $r->{json}{articles}[0]{content},
	'no search terms or Markdown source';
is $r->{json}{pagination}{total}, scalar(@slugs), 'pagination: the total of what is public'
	or diag explain $r->{json}{pagination};
my $old = $r->{headers}{etag};
$r = get('/api/public/articles/cafe-creme');
like $r->{json}{article}{html} // '', qr{<strong>café</strong>}, 'an article with its HTML';
is get('/api/public/articles/brouillon')->{status}, 404, 'a draft: 404';
is get('/api/public/articles/nulle-part')->{json}{error}{code}, 'not_found', 'unknown: 404 not_found';
is get('/api/public/articles?limit=51')->{status}, 400, 'limit above 50: 400';

is put_content({ articles => [ { title => 'Nouveau', slug => 'nouveau', status => 'published', category => 'quartier',
				  publishedAt => $now - 1000, content => 'Neuf.' } ] }), 0, 'a new article';
$r = get('/api/public/articles', 'If-None-Match' => $old);
is $r->{status}, 200, 'after a change the old ETag gets 200';
isnt $r->{headers}{etag}, $old, '… and a new ETag';
is $r->{json}{articles}[0]{slug}, 'nouveau', '… with the new article';

$r = get('/api/public/events');
my @ev = @{ $r->{json}{events} // [] };
ok @ev >= 5, 'the demo events';
ok !grep({ exists $_->{contactEmail} || exists $_->{createdBy} || exists $_->{relatedBooking} } @ev),
	'no internal field';
ok !grep({ !defined $_->{seatsLeft} } @ev), 'seats left on each';
done_testing;
