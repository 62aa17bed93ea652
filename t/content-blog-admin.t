#!/usr/bin/perl
# The blog's back office through Caddy (SPEC §9 blog): roles on every
# route, categories and articles written by the API and by the pages'
# plain forms (errors named by field, what was typed kept), the editor's
# preview rendered by the server's Markdown (API and "Prévisualiser"),
# the list's filters, search and pages, scheduled articles appearing on
# the site by themselves, the categories' stored articleCount right after
# concurrent publishes, moves and deletions, a category deleted only when
# empty, and one audit entry per write that succeeded.
use strict;
use warnings;
use utf8;
use FindBin;
use lib "$FindBin::Bin/lib";
use CWC::Stack;
use Encode ();
use HTTP::Tiny;
use JSON::PP;
use POSIX qw(strftime);
use Test::More;
binmode $_, ':encoding(UTF-8)' for map { Test::More->builder->$_ } qw(output failure_output todo_output);

my $s = CWC::Stack->start;
my $staff = $s->login('staff', undef, host => 'admin');
my $admin = $s->login('admin', undef, host => 'admin');
my $client = $s->login('client');

sub api { my ($method, $path, $who, %o) = @_; $s->request($method, "/api/blog$path", session => $who, host => 'admin', %o) }
sub enc { my $v = Encode::encode('UTF-8', $_[0]); $v =~ s/([^A-Za-z0-9_.~-])/sprintf '%%%02X', ord $1/ge; $v }
sub form {
	my ($path, $who, %f) = @_;
	my $body = join '&', map { "$_=" . enc($f{$_}) } sort keys %f;
	return $s->request(POST => $path, session => $who, host => 'admin', body => $body,
			   headers => { 'Content-Type' => 'application/x-www-form-urlencoded' });
}
sub page { my ($path, $who) = @_; my $r = $s->get($path, session => $who, host => 'admin'); $r->{content} = Encode::decode('UTF-8', $r->{content}); $r }
sub iso { strftime('%Y-%m-%dT%H:%M:%SZ', gmtime $_[0]) }
sub audit {
	my ($collection, $id) = @_;
	my $r = $s->get("/api/audit-log?limit=100&collection=$collection&documentId=$id", session => $admin, host => 'admin');
	return $r->{json}{entries} // [];
}

# ---- the demo content of `cwc-ctl seed` (the logins above ran it) ----------
my $base = api(GET => '/articles', $staff)->{json}{pagination}{total};
is $base, 12, 'the seed wrote a dozen articles';
my @seeded = @{ api(GET => '/categories', $staff)->{json}{categories} };
is_deeply [map { $_->{slug} } @seeded], [qw(coworking la-carte evenements strasbourg)], '…in four categories, in order';
is_deeply [map { $_->{articleCount} } @seeded], [4, 3, 2, 3], '…each with its articleCount';
my ($rc, $out) = $s->ctl('seed');
is $rc, 0, 'seeding again';
unlike $out, qr{^(articles|categories):}m, '…writes no article or category twice';
is api(GET => '/articles', $staff)->{json}{pagination}{total}, 12, '…still twelve';
my $r = $s->get('/blog/bien-choisir-sa-place');
is $r->{status}, 200, 'a seeded article is on the site';
like Encode::decode('UTF-8', $r->{content}), qr{<h1>Bien choisir sa place pour la journée</h1>}, '…in French';

# ---- roles ---------------------------------------------------------------
is api(GET => '/articles', undef)->{status}, 401, 'signed out: the API is 401';
is $s->get('/api/blog/articles', session => $client, host => 'admin')->{status}, 403, 'a customer: 403';
is api(POST => '/categories', undef, json => { name => 'X' })->{status}, 401, 'signed out: no category written';
$r = $s->get('/blog/articles', host => 'admin');
ok $r->{status} == 302 || $r->{status} == 303, 'signed out: the page sends to the login page';
is api(POST => '/preview', undef, json => { content => '# x' })->{status}, 401, 'signed out: no preview';

# ---- categories ------------------------------------------------------------
$r = api(POST => '/categories', $staff, json => { name => '' });
is $r->{status}, 422, 'a category without a name is refused';
is $r->{json}{error}{field}, 'name', '…naming name';
my %cat;
for my $c (['Bien travailler au café', 'travailler', 1], ['La vie du quartier', 'quartier', 2],
	   ['Vide', 'vide', 3]) {
	$r = api(POST => '/categories', $staff, json => { name => $c->[0], slug => $c->[1], order => $c->[2] });
	is $r->{status}, 201, "category $c->[1] created" or diag $r->{content};
	$cat{ $c->[1] } = $r->{json}{category}{id};
}
$r = api(POST => '/categories', $staff, json => { name => 'Doublon', slug => 'quartier' });
is $r->{status}, 409, 'a taken category slug: 409';
is $r->{json}{error}{field}, 'slug', '…naming slug';
$r = api(PATCH => "/categories/$cat{vide}", $staff, json => { name => 'Vide, renommée', order => 9, isVisible => JSON::PP::false });
is $r->{status}, 200, 'a category renamed, moved and hidden';
is $r->{json}{category}{name}, 'Vide, renommée', '…its new name';
is $r->{json}{category}{isVisible}, JSON::PP::false, '…hidden';
my @site_cats = @{ $s->get('/api/categories')->{json}{categories} // [] };
ok !grep({ $_->{slug} eq 'vide' } @site_cats), 'a hidden category is not on the site' if @site_cats;

# ---- articles: validation ----------------------------------------------------
my @refused = (
	[{ content => 'x' }, 'title', 'no title'],
	[{ title => 'Sans texte' }, 'content', 'no content'],
	[{ title => 'T', content => 'x', slug => 'Pas Un Slug!' }, 'slug', 'a bad slug'],
	[{ title => 'T', content => 'x', status => 'lost' }, 'status', 'an unknown status'],
	[{ title => 'T', content => 'x', status => 'scheduled' }, 'publishedAt', 'scheduled without a date'],
	[{ title => 'T', content => 'x', status => 'scheduled', publishedAt => iso(time - 3600) }, 'publishedAt', 'scheduled in the past'],
	[{ title => 'T', content => 'x', publishedAt => '2027-13-01T10:00' }, 'publishedAt', 'a month 13'],
	[{ title => 'T', content => 'x', featuredImage => 'javascript:alert(1)' }, 'featuredImage', 'a javascript: image'],
	[{ title => 'T', content => 'x', category => 'nowhere' }, 'category', 'an unknown category'],
	[{ title => 'x' x 201, content => 'x' }, 'title', 'a title of 201 characters'],
);
for my $t (@refused) {
	$r = api(POST => '/articles', $staff, json => $t->[0]);
	ok $r->{status} == 422 || $r->{status} == 400, "$t->[2]: refused ($r->{status})";
	is $r->{json}{error}{field}, $t->[1], "…naming $t->[1]";
}
is api(GET => '/articles', $staff)->{json}{pagination}{total}, $base, 'nothing written by the refused ones';

# ---- articles: create, read, update ----------------------------------------------
$r = api(POST => '/articles', $staff, json => {
	title => 'Le café, lieu de travail', content => "# Pourquoi\n\nUn **bon** café.\n\n<script>alert(1)</script>",
	excerpt => 'Résumé', category => $cat{travailler}, metaTitle => 'SEO', metaDescription => 'Desc' });
is $r->{status}, 201, 'an article created (draft)' or diag $r->{content};
my $a1 = $r->{json}{article};
is $a1->{slug}, 'le-cafe-lieu-de-travail', 'its slug from the title';
is $a1->{editorStatus}, 'draft', 'a draft by default';
is $a1->{author}, 'staff@coworkingcafe.local', 'the author is who wrote it';
is $s->get('/blog/le-cafe-lieu-de-travail')->{status}, 404, 'a draft is not on the site';
$r = api(POST => '/articles', $staff, json => { title => 'Autre', content => 'x', slug => 'le-cafe-lieu-de-travail' });
is $r->{status}, 409, 'a taken slug: 409';
is $r->{json}{error}{field}, 'slug', '…naming slug';
$r = api(PUT => "/articles/$a1->{id}", $staff, json => { status => 'published' });
is $r->{status}, 200, 'published';
is $r->{json}{article}{editorStatus}, 'published', '…published';
is $r->{json}{article}{title}, 'Le café, lieu de travail', 'an update keeps what it does not name';
$r = $s->get('/blog/le-cafe-lieu-de-travail');
is $r->{status}, 200, 'a published article is on the site';
unlike $r->{content}, qr/<script>alert/, '…without the raw script';
is api(GET => "/articles/$a1->{id}", $staff)->{json}{article}{content}, "# Pourquoi\n\nUn **bon** café.\n\n<script>alert(1)</script>",
	'the API gives the Markdown back';
is api(GET => '/articles/ffffffffffffffffffffffff', $staff)->{status}, 404, 'an unknown article: 404';
is api(GET => '/articles/nope', $staff)->{status}, 404, 'a malformed id: 404';

# ---- the preview ---------------------------------------------------------------
$r = api(POST => '/preview', $staff, json => { content => "# Titre\n\n<img src=x onerror=alert(1)> [x](javascript:alert(2)) **gras**" });
is $r->{status}, 200, 'the preview API answers';
like $r->{json}{html}, qr{<h2[^>]*>.*Titre}s, '…headings one level down, as on the site';
like $r->{json}{html}, qr{<strong>gras</strong>}, '…Markdown rendered';
unlike $r->{json}{html}, qr{onerror|javascript:}, '…sanitised';
is api(POST => '/preview', $staff, json => { content => 3 })->{json}{error}{field}, 'content', 'a preview of a number names content';

# ---- the forms -------------------------------------------------------------------
$r = form('/blog/articles', $staff, title => '', content => 'Texte gardé', action => 'save', status => 'draft');
is $r->{status}, 422, 'the form without a title: 422';
my $html = Encode::decode('UTF-8', $r->{content});
like $html, qr{<p class="field-error" id="e-title">Le titre est obligatoire\.</p>}, '…the message next to the title';
like $html, qr{aria-invalid="true" aria-describedby="e-title"}, '…the field marked';
like $html, qr{>Texte gardé</textarea>}, '…what was typed kept';
$r = form('/blog/articles', $staff, title => 'Aperçu', content => "## Sous-titre\n\n*italique*", action => 'preview', status => 'draft');
is $r->{status}, 200, '"Prévisualiser" without script: 200';
$html = Encode::decode('UTF-8', $r->{content});
like $html, qr{id="preview"[^>]*>.*<em>italique</em>}s, '…the preview rendered by the server';
is api(GET => '/articles?q=apercu', $staff)->{json}{pagination}{total}, 0, '…and nothing written';
$r = form('/blog/articles', $staff, title => 'Écrit par le formulaire', content => 'Corps', category => $cat{quartier},
	  status => 'published', action => 'save', excerpt => 'Un résumé');
is $r->{status}, 303, 'the form creates an article: 303';
my ($form_id) = ($r->{headers}{location} // '') =~ m{/blog/articles/([0-9a-f]{24})};
ok $form_id, '…to its editor';
$r = page("/blog/articles/$form_id", $staff);
is $r->{status}, 200, 'the editor of a stored article';
like $r->{content}, qr{value="Écrit par le formulaire"}, '…its title';
like $r->{content}, qr{<option value="$cat{quartier}" selected>}, '…its category';
like $r->{content}, qr{<option value="published" selected>}, '…its status';
like $r->{content}, qr{<script defer src="/static/blog-editor\.[0-9a-f]+\.js">}, '…with the live preview script';
$r = form("/blog/articles/$form_id", $staff, title => 'Écrit par le formulaire', content => 'Corps modifié',
	  category => $cat{quartier}, status => 'published', action => 'save');
is $r->{status}, 303, 'the form updates it';
is api(GET => "/articles/$form_id", $staff)->{json}{article}{content}, 'Corps modifié', '…stored';
is page('/blog/articles/ffffffffffffffffffffffff', $staff)->{status}, 404, 'the editor of an unknown article: 404 page';
for my $p ('/blog/articles', '/blog/articles/new', '/blog/categories') {
	$r = page($p, $staff);
	is $r->{status}, 200, "$p: 200";
	like $r->{content}, qr{<a href="/blog/articles" aria-current="page">Blog</a>}, "$p: the sidebar's Blog entry is current";
}

# ---- the list: dozens, filters, search, pages ---------------------------------------
for my $i (1 .. 30) {
	$r = api(POST => '/articles', $staff, json => {
		title => sprintf('Conseil n°%02d pour bien travailler en terrasse', $i), content => "Texte $i " . ($i % 2 ? 'pâté hénaurme' : 'thé'),
		category => $i % 3 ? $cat{travailler} : $cat{quartier}, status => $i % 5 ? 'published' : 'draft' });
	die "article $i: $r->{content}" unless $r->{status} == 201;
}
$r = api(GET => '/articles?limit=10', $staff);
is $r->{json}{pagination}{total}, $base + 32, 'every article listed';
my %seen;
for my $p (1 .. $r->{json}{pagination}{pages}) {
	$seen{ $_->{id} }++ for @{ api(GET => "/articles?limit=10&page=$p", $staff)->{json}{articles} };
}
is scalar keys %seen, $base + 32, 'each once over the pages';
is api(GET => '/articles?status=draft', $staff)->{json}{pagination}{total}, 6, 'filter: drafts';
is api(GET => "/articles?category=$cat{quartier}", $staff)->{json}{pagination}{total}, 11, 'filter: a category';
is api(GET => '/articles?q=PATE%20henaurme', $staff)->{json}{pagination}{total}, 15, 'search without accents finds "pâté hénaurme"';
is api(GET => '/articles?status=lost', $staff)->{json}{error}{field}, 'status', 'an unknown status filter names status';
is api(GET => '/articles?limit=101', $staff)->{json}{error}{field}, 'limit', 'limit 101 names limit';
$r = page('/blog/articles?status=draft&page=1', $staff);
my @titles = $r->{content} =~ m{<td class="wrap[^"]*"[^>]*><a href="/blog/articles/[0-9a-f]{24}">([^<]+)</a>}g;
is scalar @titles, 6, 'the page lists the drafts';
$r = page('/blog/articles', $staff);
like $r->{content}, qr{Page 1 sur 3}, 'the page has pages';
like $r->{content}, qr{href="\?page=2" rel="next"}, '…and a next link';

# ---- articleCount: concurrent publishes, moves, deletions --------------------------------
sub stored_count {
	my ($slug) = @_;
	my ($c) = grep { $_->{slug} eq $slug } @{ api(GET => '/categories', $staff)->{json}{categories} };
	return $c->{articleCount};
}
sub true_count {
	my ($slug) = @_;
	my $n = 0;
	for my $st (qw(published scheduled)) {
		$n += api(GET => "/articles?status=$st&category=$cat{$slug}", $staff)->{json}{pagination}{total};
	}
	return $n;
}
is stored_count('travailler'), true_count('travailler'), 'articleCount right after the writes one by one';
my @drafts;
for my $i (1 .. 16) {
	$r = api(POST => '/articles', $staff, json => { title => "Brouillon concurrent $i", content => 'x', category => $cat{vide} });
	push @drafts, $r->{json}{article}{id};
}
is stored_count('vide'), 0, 'drafts do not count';
my @pids;
for my $id (@drafts) {
	my $pid = fork // die "fork: $!";
	if (!$pid) {
		my $ua = HTTP::Tiny->new(timeout => 30);
		my $res = $ua->request(PUT => $s->admin_url . "/api/blog/articles/$id", {
			headers => { Cookie => $staff->{cookie}, Origin => $s->admin_url, 'Content-Type' => 'application/json' },
			content => encode_json({ status => 'published' }) });
		POSIX::_exit($res->{status} == 200 ? 0 : 1);
	}
	push @pids, $pid;
}
my $failed = 0;
waitpid($_, 0) == $_ && ($? == 0 || $failed++) for @pids;
is $failed, 0, '16 concurrent publishes in one category';
is stored_count('vide'), 16, 'articleCount 16 after them';
@pids = ();
for my $id (@drafts[0 .. 5]) {   # moved to "quartier" while others are deleted
	my $pid = fork // die;
	if (!$pid) {
		my $ua = HTTP::Tiny->new(timeout => 30);
		$ua->request(PUT => $s->admin_url . "/api/blog/articles/$id", {
			headers => { Cookie => $staff->{cookie}, Origin => $s->admin_url, 'Content-Type' => 'application/json' },
			content => encode_json({ category => $cat{quartier} }) });
		POSIX::_exit(0);
	}
	push @pids, $pid;
}
for my $id (@drafts[6 .. 9]) {
	my $pid = fork // die;
	if (!$pid) {
		my $ua = HTTP::Tiny->new(timeout => 30);
		$ua->request(DELETE => $s->admin_url . "/api/blog/articles/$id", {
			headers => { Cookie => $staff->{cookie}, Origin => $s->admin_url } });
		POSIX::_exit(0);
	}
	push @pids, $pid;
}
waitpid $_, 0 for @pids;
is stored_count('vide'), 6, 'after 6 concurrent moves and 4 deletions: 6 left';
is stored_count('quartier'), true_count('quartier'), 'the category moved to counts them';
$r = api(PUT => "/articles/$drafts[10]", $staff, json => { status => 'archived' });
is stored_count('vide'), 5, 'archiving takes one off';

# ---- a category is deleted only when empty -------------------------------------------
$r = api(DELETE => "/categories/$cat{vide}", $staff);
is $r->{status}, 409, 'a category with articles is not deleted';
is $r->{json}{error}{code}, 'category_not_empty', '…category_not_empty';
$r = form("/blog/categories/$cat{vide}/delete", $staff);
is $r->{status}, 409, 'nor by the page';
like Encode::decode('UTF-8', $r->{content}), qr{déplacez-les d’abord}, '…which says why';
$r = api(POST => '/categories', $staff, json => { name => 'Éphémère' });
is $r->{status}, 201, 'an empty category';
my $eph = $r->{json}{category}{id};
is $r->{json}{category}{slug}, 'ephemere', '…its slug from its name';
$r = form("/blog/categories/$eph", $staff, name => '', slug => 'ephemere', order => '1', visibleField => '1');
is $r->{status}, 422, 'renaming to nothing by the page: 422';
like Encode::decode('UTF-8', $r->{content}), qr{id="e-name-$eph">Le nom est obligatoire}, '…the message on that row';
$r = form("/blog/categories/$eph", $staff, name => 'Éphémère bis', slug => 'ephemere', order => '4', visibleField => '1');
is $r->{status}, 303, 'renamed by the page, hidden (box unchecked)';
my ($e) = grep { $_->{id} eq $eph } @{ api(GET => '/categories', $staff)->{json}{categories} };
is $e->{name}, 'Éphémère bis', '…renamed';
is $e->{isVisible}, JSON::PP::false, '…hidden';
is form("/blog/categories/$eph/delete", $staff)->{status}, 303, 'an empty category is deleted by the page';

# ---- scheduled: on the site by itself -------------------------------------------------
my $at = time + 3;
$r = api(POST => '/articles', $staff, json => { title => 'Programmé pour bientôt', content => 'Bientôt.',
	category => $cat{travailler}, status => 'scheduled', publishedAt => iso($at) });
is $r->{status}, 201, 'an article scheduled in 3 s' or diag $r->{content};
is $r->{json}{article}{editorStatus}, 'scheduled', '…scheduled';
ok scalar(grep { $_->{slug} eq 'programme-pour-bientot' } @{ api(GET => '/articles?status=scheduled', $staff)->{json}{articles} }),
	'…in the scheduled filter';
is $s->get('/blog/programme-pour-bientot')->{status}, 404, 'not on the site before its time';
my $deadline = time + 30;
my $status = 0;
while (time < $deadline) {
	$status = $s->get('/blog/programme-pour-bientot')->{status};
	last if $status == 200;
	select undef, undef, undef, 0.25;
}
is $status, 200, 'on the site once its time has come, by itself';

# ---- audit --------------------------------------------------------------------
my $entries = audit('articles', $a1->{id});
my %actions = map { $_->{action} => 1 } @$entries;
ok $actions{'blog.articles.create'}, 'the creation is in the audit log';
ok $actions{'blog.articles.update'}, 'the publication too';
is $entries->[0]{actor}{email}, 'staff@coworkingcafe.local', '…with its actor' if @$entries;
%actions = map { $_->{action} => 1 } @{ audit('articles', $form_id) };
ok $actions{'blog.articles.create'} && $actions{'blog.articles.update'}, 'the forms\' writes are audited as the API\'s';
%actions = map { $_->{action} => 1 } @{ audit('categories', $eph) };
ok $actions{'blog.categories.delete'}, 'a category\'s deletion is audited';
%actions = map { $_->{action} => 1 } @{ audit('articles', $drafts[6]) };
ok $actions{'blog.articles.delete'}, 'an article\'s deletion is audited';
is scalar @{ audit('categories', $cat{vide}) }, 2, 'the refused deletions left no entry (create, update only)';

$s->stop;
done_testing;
