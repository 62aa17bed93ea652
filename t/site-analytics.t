#!/usr/bin/perl
# Analytics and sharing tags: with PLAUSIBLE_DOMAIN set, every public page
# carries Plausible's cookie-less snippet for that domain (and no page
# sets a cookie for it, so no banner); the back office never does; every
# page has Twitter card tags and a default Open Graph image of 1200×630
# that Caddy serves. Without PLAUSIBLE_DOMAIN (t/site-pages.t's stack,
# checked there too) there is no snippet at all.
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use CWC::Stack;
use Test::More;

for my $domain ('coworkingcafe.fr', '') {
	my $s = CWC::Stack->start(env => { PLAUSIBLE_DOMAIN => $domain });
	$s->seed;
	my $base = $s->site_url;
	for my $p ('/', '/concept', '/boissons', '/contact', '/privatization/devis', '/newsletter', '/no-such-page') {
		my $r = $s->get($p);
		my $html = $r->{content};
		if ($domain) {
			like $html, qr{<script defer data-domain="coworkingcafe\.fr" src="https://plausible\.io/js/script\.js"></script>},
				"$p: Plausible's snippet for PLAUSIBLE_DOMAIN";
			ok !$r->{headers}{'set-cookie'}, "$p: no cookie";
		} else {
			unlike $html, qr{plausible}i, "$p: no analytics without PLAUSIBLE_DOMAIN";
		}
		next if $p eq '/no-such-page';
		like $html, qr{<meta name="twitter:card" content="summary_large_image">}, "$p: a Twitter card";
		like $html, qr{<meta name="twitter:title" content="[^"]+">}, "$p: its title";
		like $html, qr{<meta property="og:image" content="\Q$base\E(/static/og-image\.[0-9a-f]+\.png)">}, "$p: the default Open Graph image, absolute";
		like $html, qr{<meta property="og:image:width" content="1200">\s*<meta property="og:image:height" content="630">}, "$p: 1200×630";
	}
	my $admin = $s->login('staff', undef, host => 'admin');
	unlike $s->get('/', session => $admin)->{content}, qr{plausible}i, 'the back office: never';
	if ($domain) {
		my ($img) = $s->get('/')->{content} =~ m{<meta property="og:image" content="\Q$base\E([^"]+)">};
		my $r = $s->get($img);
		is $r->{status}, 200, 'the image is served';
		like $r->{headers}{'content-type'}, qr{^image/png}, 'as a PNG';
		my ($w, $h) = unpack 'NN', substr($r->{content}, 16, 8);
		is "${w}x$h", '1200x630', 'of 1200×630';
		like $r->{headers}{'cache-control'} // '', qr/immutable/, 'cached for good (fingerprinted)';
	}
}

done_testing;
