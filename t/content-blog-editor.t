#!/usr/bin/perl
# The blog editor in headless Chromium (SPEC §9 blog): a staff member
# types Markdown and the preview follows without a reload, rendered by
# the server's renderer (headings a level down, no raw HTML, no
# javascript: link); choosing an image sends it and fills the featured
# image's address; the article saved from the page is on the site; the
# event form's image field sends its image the same way.
use strict;
use warnings;
use utf8;
use FindBin;
use lib "$FindBin::Bin/lib";
use CWC::Browser;
use CWC::Stack;
use File::Temp qw(tempdir);
use Test::More;
binmode $_, ':encoding(UTF-8)' for map { Test::More->builder->$_ } qw(output failure_output todo_output);

plan skip_all => 'chromium is not installed' unless CWC::Browser::binary();
my $s = CWC::Stack->start;
$s->seed;
my $b = CWC::Browser->start or BAIL_OUT('chromium did not start');
my $p = $b->page;
$p->viewport(1280, 800);
ok $p->sign_in($s->admin_url, '/login?next=/blog/articles/new', 'staff'), 'staff sign in';
ok $p->wait_for(q{location.pathname === '/blog/articles/new' && document.getElementById('a-content')}, 15),
	'the editor opens';
is $p->js(q{document.getElementById('preview').textContent.trim()}), '', 'an empty preview to start with';

# typing: the preview follows
$p->js(q{(() => {
	const t = document.getElementById('a-content');
	t.value = "# Un titre d’essai\n\nDu **gras**, un [lien](javascript:alert(1)) et <img src=x onerror=\"window.pwned=1\">.";
	t.dispatchEvent(new Event('input', { bubbles: true }));
	return true; })()});
ok $p->wait_for(q{!!document.querySelector('#preview h2') && document.querySelector('#preview h2').textContent.includes('Un titre d’essai')}, 10),
	'the preview shows the heading, one level down, without a reload';
ok $p->js(q{document.querySelector('#preview strong') && document.querySelector('#preview strong').textContent === 'gras'}),
	'…Markdown rendered';
ok $p->js(q{!document.querySelector('#preview img') && !document.querySelector('#preview a[href^="javascript"]') && !window.pwned}),
	'…no raw HTML, no javascript: link, nothing ran';
$p->js(q{(() => {
	const t = document.getElementById('a-content');
	t.value = "## Deuxième version\n\n- un\n- deux";
	t.dispatchEvent(new Event('input', { bubbles: true }));
	return true; })()});
ok $p->wait_for(q{document.querySelectorAll('#preview li').length === 2 && !document.getElementById('preview').textContent.includes('Un titre')}, 10),
	'editing again replaces the preview';

# an image: chosen, sent, its address filled
my $dir = tempdir('cwc-editor-XXXXXX', TMPDIR => 1, CLEANUP => 1);
system("$FindBin::Bin/../build/asan/t/tools/image-make jpeg 1200 800 > $dir/photo.jpg") == 0 or die 'image-make';
ok $p->js(q{!document.querySelector('.upload-field').hidden}), 'with script, the upload field shows';
my $doc = $p->cmd('DOM.getDocument', {});
my $node = $p->cmd('DOM.querySelector', { nodeId => $doc->{root}{nodeId}, selector => '#a-file' });
$p->cmd('DOM.setFileInputFiles', { nodeId => $node->{nodeId}, files => ["$dir/photo.jpg"] });
$p->js(q{document.getElementById('a-file').dispatchEvent(new Event('change')); true});
ok $p->wait_for(q{/^\/uploads\/images\/1200x800\.[0-9a-f]{16}\.webp$/.test(document.getElementById('a-image').value)}, 20),
	'the image is sent and its address filled';

# saved from the page, published, on the site
$p->js(q{
	document.getElementById('a-title').value = 'Écrit dans le navigateur';
	document.getElementById('a-status').value = 'published';
	document.querySelector('button[value="save"]').click(); true});
ok $p->wait_for(q{/^\/blog\/articles\/[0-9a-f]{24}$/.test(location.pathname) && document.querySelector('.alert-success')}, 15),
	'saved: back on its editor with a confirmation';
my $r = $s->get('/blog/ecrit-dans-le-navigateur');
is $r->{status}, 200, 'the article is on the site';
like $r->{content}, qr{<img class="article-hero" src="/uploads/images/1200x800\.[0-9a-f]{16}\.webp"}, '…with its image';

# the event form's image field: the same upload, its address filled
$p->goto($s->admin_url . '/events/new');
ok $p->wait_for(q{location.pathname === '/events/new' && !document.querySelector('.upload-field').hidden}, 15),
	'the event form: with script, its upload field shows';
$doc = $p->cmd('DOM.getDocument', {});
$node = $p->cmd('DOM.querySelector', { nodeId => $doc->{root}{nodeId}, selector => '#ev-file' });
$p->cmd('DOM.setFileInputFiles', { nodeId => $node->{nodeId}, files => ["$dir/photo.jpg"] });
$p->js(q{document.getElementById('ev-file').dispatchEvent(new Event('change')); true});
ok $p->wait_for(q{/^\/uploads\/images\/1200x800\.[0-9a-f]{16}\.webp$/.test(document.getElementById('ev-image').value)}, 20),
	'… the image is sent and the event\'s image address filled';
is_deeply [$p->problems], [], 'no console error, no failed load';

$b->stop;
$s->stop;
done_testing;
