#!/usr/bin/perl
# Images uploaded by the staff (SPEC §8 Images) through Caddy: the type
# read from the content (a PHP file named .jpg refused, a JPEG header on
# a script refused, a PNG announcing 10 gigapixels refused), the size
# limit, the WebP variants at three widths served by Caddy with a year's
# cache, the roles and the audit log, the article page's srcset, width,
# height and lazy loading; and, with CLOUDINARY_* set, the signature the
# admin app computes, checked by t/fake/cloudinary as Cloudinary does.
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
$r = upload($staff, "\xFF\xD8\xFF" . ("\0" x (1024 * 1024 + 10)), 'image/jpeg');
is $r->{status}, 413, 'more than CWC_MAX_BODY: 413';
is_deeply [files()], [], 'nothing written by the refused ones';

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

# the page shows a Cloudinary image at the right sizes
$r = $s->request(POST => '/api/blog/articles', session => $staff, host => 'admin', json => {
	title => 'Image chez Cloudinary', content => 'Texte.', status => 'published', featuredImage => $c->{secure_url} });
$r = $s->get('/blog/image-chez-cloudinary');
like $r->{content}, qr{srcset="https://res\.cloudinary\.com/cafe-demo/image/upload/f_auto,q_auto,w_480/v\d+/blog/[0-9a-f]+\.jpg 480w},
	'a Cloudinary image: f_auto,q_auto,w_… sizes';

$s->stop;
done_testing;
