#!/usr/bin/perl
# Images uploaded by the staff (SPEC §8 Images) through Caddy: the type
# read from the content (a PHP file named .jpg refused, a JPEG header on
# a script refused, a PNG announcing 10 gigapixels refused), the size
# limit, the WebP variants at three widths served by Caddy with a year's
# cache, the roles and the audit log, the article page's srcset, width,
# height and lazy loading; and, with CLOUDINARY_* set, the signature the
# admin app computes, checked by t/fake/cloudinary as Cloudinary does.
# Without script: the editors' plain multipart forms (an article's and an
# event's image), their French refusals next to the field, nothing
# half-written; with Cloudinary the page says the upload needs script.
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib", "$FindBin::Bin/fake";
use CWC::Stack;
use FakeService;
use HTTP::Tiny;
use JSON::PP;
use Test::More;

my $root = "$FindBin::Bin/..";
my $s = CWC::Stack->start;
my $staff = $s->login('staff', undef, host => 'admin');
my $admin = $s->login('admin', undef, host => 'admin');
my $client = $s->login('client');

sub image { my ($type, $w, $h) = @_; my $d = `$root/build/asan/t/tools/image-make $type $w $h`; die "image-make" if $?; $d }
sub upload {
	my ($who, $body, $ctype) = @_;
	return $s->request(POST => '/api/uploads', session => $who, host => 'admin', body => $body,
			   headers => { 'Content-Type' => $ctype // 'image/jpeg' });
}
my $dir = $s->data_dir . '/uploads/images';
sub files { opendir my $d, $dir or return (); sort grep { !/^\./ } readdir $d }

# ---- refused ------------------------------------------------------------------
my $php = "<?php system(\$_GET['c']); ?>\n";
is upload(undef, image('jpeg', 10, 10))->{status}, 401, 'signed out: 401';
my $r = upload($staff, $php, 'image/jpeg');
is $r->{status}, 415, 'a PHP file sent as image/jpeg (named .jpg): 415';
is $r->{json}{error}{code}, 'unsupported_type', '…unsupported_type';
is $r->{json}{error}{field}, 'file', '…naming the file';
$r = upload($staff, "\xFF\xD8\xFF\xE0" . $php, 'image/jpeg');
is $r->{status}, 422, 'a JPEG header on a script: 422';
is $r->{json}{error}{code}, 'invalid_image', '…invalid_image';
my $bomb = "\x89PNG\r\n\x1a\n" . pack('N', 13) . 'IHDR' . pack('NNCCCCC', 100000, 100000, 8, 2, 0, 0, 0) . pack('N', 0);
$r = upload($staff, $bomb, 'image/png');
is $r->{status}, 422, 'a PNG announcing 10 gigapixels: 422 before decoding';
$r = upload($staff, "GIF89a" . ("\0" x 100), 'image/gif');
is $r->{status}, 415, 'a GIF: 415';
$r = upload($staff, '', 'image/jpeg');
is $r->{status}, 400, 'nothing sent: 400';
$r = upload($staff, "\xFF\xD8\xFF" . ("\0" x (10 * 1024 * 1024 + 1)), 'image/jpeg');
is $r->{status}, 413, 'more than CWC_MAX_UPLOAD (10 MiB): 413';
is $r->{json}{error}{code}, 'too_large', '…too_large';
is $r->{json}{error}{message}, 'Fichier trop lourd : 10 Mo au plus.', '…saying the limit in French (the editor shows it)';
is_deeply [files()], [], 'nothing written by the refused ones';

# a phone's photo is larger than the rest of the API's bodies (CWC_MAX_BODY, 1 MiB)
$r = upload($staff, image('jpeg', 64, 48) . ("\0" x (3 * 1024 * 1024)), 'image/jpeg');
is $r->{status}, 201, 'a 3 MB photo: 201' or diag $r->{content};
like $r->{json}{upload}{url} // '', qr{^/uploads/images/64x48\.}, '…stored';
unlink map { "$dir/$_" } files();

# ---- a JPEG: three WebP widths ---------------------------------------------------
$r = upload($staff, image('jpeg', 2000, 1333), 'application/octet-stream');
is $r->{status}, 201, 'a 2000×1333 JPEG (whatever its Content-Type): 201' or diag $r->{content};
my $up = $r->{json}{upload};
is_deeply [map { $_->{width} } @{ $up->{variants} }], [480, 960, 1600], 'three widths';
is_deeply [map { $_->{height} } @{ $up->{variants} }], [320, 640, 1066], '…the heights in proportion';
is $up->{width}, 1600, 'the main URL is the widest';
like $up->{srcset}, qr{^/uploads/images/480x320\.[0-9a-f]{16}\.webp 480w, \S+ 960w, \S+ 1600w$}, 'a srcset';
for my $v (@{ $up->{variants} }) {
	my ($name) = $v->{url} =~ m{/uploads/images/(.+)$};
	open my $fh, '<:raw', "$dir/$name" or do { fail "$name exists"; next };
	read $fh, my $head, 16;
	ok substr($head, 0, 4) eq 'RIFF' && substr($head, 8, 4) eq 'WEBP', "$name is WebP";
	my $g = $s->get($v->{url});
	is $g->{status}, 200, "Caddy serves $name";
	like $g->{headers}{'content-type'}, qr{^image/webp}, '…as image/webp';
	like $g->{headers}{'cache-control'} // '', qr{max-age=31536000.*immutable}, '…cached a year';
}
is scalar(() = files()), 3, 'only the variants are kept (not the uploaded bytes)';
$r = upload($staff, image('jpeg', 2000, 1333));
is $r->{json}{upload}{url}, $up->{url}, 'the same image again: the same files';

# ---- a small PNG, a WebP ---------------------------------------------------------
$r = upload($staff, image('png', 300, 200), 'image/png');
is $r->{status}, 201, 'a 300×200 PNG: 201';
is_deeply [map { $_->{width} } @{ $r->{json}{upload}{variants} }], [300], '…one variant, never enlarged';
$r = upload($staff, image('webp', 1000, 500), 'image/webp');
is $r->{status}, 201, 'a WebP: 201';
is_deeply [map { $_->{width} } @{ $r->{json}{upload}{variants} }], [480, 960, 1000], '…480, 960 and its own 1000';

# ---- audit -------------------------------------------------------------------------
$r = $s->get('/api/audit-log?limit=100&collection=uploads', session => $admin, host => 'admin');
my @entries = @{ $r->{json}{entries} // [] };
ok scalar(grep { $_->{action} eq 'uploads.create' && $_->{documentId} eq $up->{url} } @entries),
	'an upload is in the audit log';

# ---- the pages: srcset, width, height, lazy -------------------------------------------
$r = $s->request(POST => '/api/blog/articles', session => $staff, host => 'admin', json => {
	title => 'Une photo de la terrasse', content => 'Texte.', status => 'published',
	featuredImage => $up->{url}, imgAlt => 'La terrasse au soleil' });
is $r->{status}, 201, 'an article with the image';
$r = $s->get('/blog/une-photo-de-la-terrasse');
my ($hero) = $r->{content} =~ m{(<img class="article-hero"[^>]*>)};
like $hero // '', qr{srcset="/uploads/images/480x320\.[0-9a-f]{16}\.webp 480w, [^"]+ 960w, [^"]+ 1600w"}, 'the article\'s image has its srcset';
like $hero // '', qr{width="1600" height="1066"}, '…width and height';
like $hero // '', qr{alt="La terrasse au soleil"}, '…its alt text';
like $r->{content}, qr{<meta property="og:image" content="http://[^"]+\Q$up->{url}\E">}, '…and is the og:image';
$r = $s->get('/blog');
like $r->{content}, qr{<img class="card-image" src="\Q$up->{url}\E" srcset="[^"]+" sizes="[^"]+" width="1600" height="1066" alt="" loading="lazy">},
	'the list\'s card loads it lazily';
# ---- without script: the editors' plain multipart forms ---------------------------------
sub html { $_[0]{content} // '' }   # bytes, like this file's patterns
sub form_upload {
	my ($path, $filename, $ctype, $data, %o) = @_;
	my $b = '----cwcNoJs' . int(rand 1e9);
	my $body = "--$b\r\nContent-Disposition: form-data; name=\"image\"; filename=\"$filename\"\r\n"
		. "Content-Type: $ctype\r\n\r\n$data\r\n--$b--\r\n";
	$body = $o{raw}->($b, $body) if $o{raw};
	return $s->request(POST => $path, session => $staff, host => 'admin', body => $body,
			   headers => { 'Content-Type' => "multipart/form-data; boundary=$b" });
}
$r = $s->request(POST => '/api/blog/articles', session => $staff, host => 'admin', json => {
	title => 'Sans JavaScript', content => 'Texte.', status => 'draft' });
my $aid = $r->{json}{article}{_id} // $r->{json}{_id} // '';
ok $aid =~ /^[0-9a-f]{24}$/, 'an article to illustrate' or diag $r->{content};
sub featured { $s->get("/api/blog/articles/$aid", session => $staff, host => 'admin')->{json} }
my $page = html($s->get("/blog/articles/$aid", session => $staff, host => 'admin'));
like $page, qr{<form id="a-image-form" method="post" action="/blog/articles/$aid/image" enctype="multipart/form-data">},
	'the editor has a multipart form for the image';
like $page, qr{<input id="a-upload" type="file" name="image" form="a-image-form"}, '…with a plain file input';
my @before = files();
my $doc0 = featured();
$r = form_upload("/blog/articles/$aid/image", 'photo.jpg', 'image/jpeg', $php);
is $r->{status}, 415, 'a PHP file named photo.jpg by the plain form: 415';
like html($r), qr{<p class="field-error" id="a-upload-err">Seules les images JPEG, PNG et WebP sont acceptées\.</p>},
	'…said in French next to the file field';
$r = form_upload("/blog/articles/$aid/image", 'photo.png', 'image/png', image('png', 30, 20),
		 raw => sub { my ($b, $body) = @_; $body =~ s/\r\n--\Q$b\E--\r\n$//; $body });
is $r->{status}, 400, 'a form without its final boundary: 400';
like html($r), qr{id="a-upload-err">Le formulaire d’envoi est illisible}, '…said in French next to the field';
$r = form_upload("/blog/articles/$aid/image", '', 'application/octet-stream', '');
is $r->{status}, 400, 'no file chosen: 400';
like html($r), qr{id="a-upload-err">Choisissez une image}, '…"Choisissez une image"';
$r = form_upload("/blog/articles/$aid/image", 'enorme.jpg', 'image/jpeg', "\xFF\xD8\xFF" . ("\0" x (10 * 1024 * 1024)));
is $r->{status}, 413, 'a file over 10 MiB by the plain form: 413';
like html($r), qr{id="a-upload-err">Fichier trop lourd : 10 Mo au plus\.</p>}, '…said in French next to the field';
is_deeply [files()], \@before, 'nothing written by the refused forms';
is_deeply featured(), $doc0, '…and the article unchanged';
$r = form_upload("/blog/articles/$aid/image", 'terrasse.png', 'image/png', image('png', 640, 400));
is $r->{status}, 303, 'a PNG by the plain form: 303' or diag html($r);
is $r->{headers}{location}, "/blog/articles/$aid?done=image", '…back to the editor';
my $url = featured()->{featuredImage} // featured()->{article}{featuredImage} // '';
like $url, qr{^/uploads/images/640x400\.[0-9a-f]{16}\.webp$}, 'the PNG is the article\'s featured image (WebP variant)';
like html($s->get("/blog/articles/$aid?done=image", session => $staff, host => 'admin')),
	qr{L’image est envoyée.*value="\Q$url\E"}s, 'the editor says so and shows its address';
is $s->get($url)->{status}, 200, 'Caddy serves it';
$r = $s->get("/api/audit-log?limit=100&collection=articles", session => $admin, host => 'admin');
ok scalar(grep { $_->{documentId} eq $aid && ($_->{action} // '') eq 'blog.articles.image' } @{ $r->{json}{entries} // [] }),
	'the change is in the audit log (blog.articles.image)';
is $s->request(POST => "/blog/articles/$aid/image", host => 'admin', body => 'x',
	       headers => { 'Content-Type' => 'multipart/form-data; boundary=x', Origin => $s->admin_url })->{status},
	303, 'signed out: to the sign-in page';
is $s->request(POST => "/blog/articles/$aid/image", session => $staff, host => 'admin', body => 'x',
	       headers => { 'Content-Type' => 'multipart/form-data; boundary=x', Origin => 'https://evil.example' })->{status},
	403, 'another origin: 403';

# an event's image, the same way
$r = $s->request(POST => '/events', session => $staff, host => 'admin',
	headers => { 'Content-Type' => 'application/x-www-form-urlencoded' },
	body => 'title=Atelier+photo&date=2031-05-04&startTime=18%3A30&endTime=20%3A00&location=Salle&maxParticipants=10&category=Atelier&description=Texte&shortDescription=Court');
my ($eid) = ($r->{headers}{location} // '') =~ m{^/events/([0-9a-f]{24})};
ok $eid, 'an event' or diag html($r);
like html($s->get("/events/$eid", session => $staff, host => 'admin')),
	qr{<form id="ev-image-form" method="post" action="/events/$eid/image" enctype="multipart/form-data">}, 'its form has the multipart form';
$r = form_upload("/events/$eid/image", 'x.jpg', 'image/jpeg', $php);
like html($r), qr{id="ev-upload-err">Seules les images JPEG}, 'a PHP file: refused in French next to the field';
$r = form_upload("/events/$eid/image", 'salle.jpg', 'image/jpeg', image('jpeg', 500, 300));
is $r->{headers}{location}, "/events/$eid?done=image", 'a JPEG: back to the event';
like html($s->get("/events/$eid?done=image", session => $staff, host => 'admin')),
	qr{L’image est envoyée.*id="ev-image" name="imgSrc" maxlength="1000" value="/uploads/images/500x300\.[0-9a-f]{16}\.webp"}s,
	'…it is the event\'s image';
is upload($staff, image('png', 20, 20))->{status}, 201, 'uploads still work';
$r = $s->request(POST => '/api/uploads/signature', session => $staff, host => 'admin', json => {});
is $r->{status}, 404, 'no Cloudinary configured: no signature';
$s->stop;

# ---- Cloudinary: the admin app signs, the fake checks -----------------------------------
my %cl = (cloud => 'cafe-demo', key => '123456789012345', secret => 'fake-cloudinary-secret-abc');
my $fake = FakeService->start('cloudinary', '--cloud', $cl{cloud}, '--key', $cl{key}, '--secret', $cl{secret});
$s = CWC::Stack->start(env => { CLOUDINARY_CLOUD_NAME => $cl{cloud}, CLOUDINARY_API_KEY => $cl{key},
				CLOUDINARY_API_SECRET => $cl{secret}, CLOUDINARY_API_BASE => $fake->url });
$staff = $s->login('staff', undef, host => 'admin');
is upload($staff, image('jpeg', 50, 50))->{status}, 409, 'Cloudinary configured: no local upload';
is $s->request(POST => '/api/uploads/signature', host => 'admin', json => {},
	       headers => { Origin => $s->admin_url })->{status}, 401, 'signed out: no signature';
$r = $s->request(POST => '/api/uploads/signature', session => $staff, host => 'admin', json => { folder => 'blog' });
is $r->{status}, 200, 'staff get a signature';
my $sig = $r->{json};
is $sig->{uploadUrl}, $fake->url . "/v1_1/$cl{cloud}/image/upload", '…the upload URL';
ok !grep({ /\Q$cl{secret}\E/ } values %{ $sig->{params} }), '…never the secret';
is $s->request(POST => '/api/uploads/signature', session => $staff, host => 'admin',
	       json => { folder => '../x y' })->{json}{error}{field}, 'folder', 'a bad folder names folder';

sub multipart {
	my ($url, $params, $file) = @_;
	my $b = 'cwcBoundary' . int(rand 1e9);
	my $body = '';
	$body .= "--$b\r\nContent-Disposition: form-data; name=\"$_\"\r\n\r\n$params->{$_}\r\n" for sort keys %$params;
	$body .= "--$b\r\nContent-Disposition: form-data; name=\"file\"; filename=\"photo.jpg\"\r\nContent-Type: image/jpeg\r\n\r\n$file\r\n--$b--\r\n";
	return HTTP::Tiny->new(timeout => 20)->request(POST => $url, {
		headers => { 'Content-Type' => "multipart/form-data; boundary=$b" }, content => $body });
}
my $jpeg = image('jpeg', 64, 48);
$r = multipart($sig->{uploadUrl}, $sig->{params}, $jpeg);
is $r->{status}, 200, 'the fake Cloudinary accepts the signed upload' or diag $r->{content};
my $c = eval { decode_json($r->{content}) } // {};
like $c->{secure_url} // '', qr{^https://res\.cloudinary\.com/cafe-demo/image/upload/v\d+/blog/[0-9a-f]+\.jpg$}, '…and answers its secure_url';
$r = multipart($sig->{uploadUrl}, { %{ $sig->{params} }, folder => 'elsewhere' }, $jpeg);
is $r->{status}, 401, 'a parameter changed after signing: 401';
like $r->{content}, qr{Invalid Signature}, '…Invalid Signature';
$r = multipart($sig->{uploadUrl}, { %{ $sig->{params} }, timestamp => $sig->{params}{timestamp} - 7200 }, $jpeg);
is $r->{status}, 400, 'an old timestamp: refused';
my %nosig = %{ $sig->{params} };
delete $nosig{signature};
is multipart($sig->{uploadUrl}, \%nosig, $jpeg)->{status}, 400, 'no signature: refused';

# the editor says uploads need script, and the plain form is refused
$r = $s->request(POST => '/api/blog/articles', session => $staff, host => 'admin', json => {
	title => 'Sans script chez Cloudinary', content => 'Texte.' });
my $cid = $r->{json}{article}{_id} // $r->{json}{_id} // '';
like html($s->get("/blog/articles/$cid", session => $staff, host => 'admin')),
	qr{Les images vont sur Cloudinary : leur envoi demande JavaScript}, 'Cloudinary: the editor says the upload needs script';
$r = form_upload("/blog/articles/$cid/image", 'a.png', 'image/png', image('png', 30, 20));
is $r->{status}, 409, '…and the plain form is refused (409)';

# the page shows a Cloudinary image at the right sizes
$r = $s->request(POST => '/api/blog/articles', session => $staff, host => 'admin', json => {
	title => 'Image chez Cloudinary', content => 'Texte.', status => 'published', featuredImage => $c->{secure_url} });
$r = $s->get('/blog/image-chez-cloudinary');
like $r->{content}, qr{srcset="https://res\.cloudinary\.com/cafe-demo/image/upload/f_auto,q_auto,w_480/v\d+/blog/[0-9a-f]+\.jpg 480w},
	'a Cloudinary image: f_auto,q_auto,w_… sizes';

$s->stop;
done_testing;
