#!/usr/bin/perl
# The public pages as search engines and visitors meet them: every page
# answers 200 with its own title and description, its canonical URL (the
# public base URL, never the request's Host), one <h1>, JSON-LD that
# parses (BreadcrumbList below the home, one CoworkingSpace entity on the
# home with the store's hours); prices and hours come from the store (a
# closure added shows on /horaires, in the banner of every page and on the
# home page); robots.txt and sitemap.xml; a crawler from / finds no broken
# internal link and every page it finds is in the sitemap; odd paths are a
# 404 (or the page), never a 5xx.
use strict;
use warnings;
use utf8;
use FindBin;
use lib "$FindBin::Bin/lib";
use CWC::Stack;
use CWC::Bookings qw(add_days);
use Encode qw(decode_utf8);
use HTTP::Tiny;
use JSON::PP;
use Test::More;
binmode $_, ':encoding(UTF-8)' for map { Test::More->builder->$_ } qw(output failure_output todo_output);

my $s = CWC::Stack->start;
$s->seed;
my $base = $s->site_url;
my $b = CWC::Bookings->new($s);

# Links to pages other work builds (the booking funnel, the menu, events,
# the blog): reported, not failed, until they exist.
my %ELSEWHERE = map { $_ => 1 } qw(/booking /events /blog /dashboard/reservations);

my @PAGES = qw(/ /concept /take-away /history /manifest /partners /espaces /pricing
	       /members-program /student-offers /privatization /compagny-pass /horaires
	       /cgu /mentions-legales /confidentiality);

# `other_host`: through 127.0.0.1 rather than localhost, so the request's
# Host is not the public base URL's.
sub get {
	my ($path, %o) = @_;
	my $r;
	if (delete $o{other_host}) {
		(my $url = $base . $path) =~ s{//localhost:}{//127.0.0.1:};
		$r = HTTP::Tiny->new(max_redirect => 0)->get($url);
	} else {
		$r = $s->get($path, %o);
	}
	$r->{content} = decode_utf8($r->{content}) if ($r->{headers}{'content-type'} // '') =~ /utf-8/;
	return $r;
}

sub unescape { my $v = shift; $v =~ s/&#39;/'/g; $v =~ s/&quot;/"/g; $v =~ s/&lt;/</g; $v =~ s/&gt;/>/g; $v =~ s/&amp;/&/g; $v }

my (%titles, %descriptions);
for my $p (@PAGES) {
	# a Host of someone else's: the canonical still names the public URL
	my $r = get($p, other_host => 1);
	is $r->{status}, 200, "$p: 200";
	my ($title) = $r->{content} =~ m{<title>([^<]+)</title>};
	my ($desc) = $r->{content} =~ m{<meta name="description" content="([^"]+)">};
	ok $title && !$titles{$title}++, "$p: a title of its own (" . ($title // 'none') . ')';
	ok $desc && !$descriptions{$desc}++, "$p: a description of its own";
	ok $desc && length(unescape($desc)) <= 170, "$p: a description that fits a result page";
	my ($canon) = $r->{content} =~ m{<link rel="canonical" href="([^"]+)">};
	is $canon, "$base$p", "$p: canonical from the public base URL";
	my @h1 = $r->{content} =~ m{<h1[\s>]}g;
	is scalar @h1, 1, "$p: one h1";
	like $r->{content}, qr{<meta property="og:title" content="[^"]+">}, "$p: Open Graph";
	my @ld = map { eval { JSON::PP->new->decode($_) } } $r->{content} =~ m{<script type="application/ld\+json">(.*?)</script>}gs;
	ok @ld >= 1, "$p: JSON-LD that parses";
	if ($p eq '/') {
		my @cafe = grep { ($_->{'@type'} // '') eq 'CoworkingSpace' } @ld;
		is scalar @cafe, 1, 'home: one CoworkingSpace entity';
		my $c = $cafe[0] // {};
		is $c->{'@id'}, "$base/#cafe", 'home: with its @id';
		is $c->{address}{streetAddress}, '1 rue de la Division Leclerc', 'home: the address';
		ok $c->{geo}{latitude} && $c->{geo}{longitude}, 'home: the position';
		my %h = map { $_->{dayOfWeek} => "$_->{opens}-$_->{closes}" } @{ $c->{openingHoursSpecification} // [] };
		is $h{Monday}, '09:00-20:00', 'home: Monday hours from the store';
		is $h{Sunday}, '10:00-20:00', 'home: Sunday hours from the store';
	} else {
		my ($bc) = grep { ($_->{'@type'} // '') eq 'BreadcrumbList' } @ld;
		ok $bc, "$p: BreadcrumbList";
		my @items = @{ $bc->{itemListElement} // [] };
		is $items[0]{item}, "$base/", "$p: the trail starts at the home";
		is $items[-1]{item}, "$base$p", "$p: and ends at the page";
		like $r->{content}, qr{<nav class="breadcrumb" aria-label="Fil d’Ariane">}, "$p: a visible trail";
	}
}

# ---- facts from the store ------------------------------------------------
my $r = get('/pricing');
like $r->{content}, qr{<li><strong>6\x{a0}€</strong> l’heure}, 'pricing: the open-space hourly price of the store';
like $r->{content}, qr{<li><strong>290\x{a0}€</strong> le mois}, 'pricing: the monthly price';
like $r->{content}, qr{<td[^>]*>10\x{a0}€ \(30\x{a0}€ la journée\)</td>}, 'pricing: the extras';
$r = get('/espaces');
like $r->{content}, qr{<h2>Salle Verrière</h2>.*?jusqu’à 5 personnes}s, 'espaces: the capacity of the store';
like get('/')->{content}, qr{<li><strong>24\x{a0}€</strong> l’heure</li>}, 'home: the prices of the store';
like get('/')->{content}, qr{<footer.*Lundi – vendredi : 9 h – 20 h}s, 'footer: the hours of the store';

unlike get('/concept')->{content}, qr{class="banner"}, 'no closure to come: no banner';
my $far = add_days($b->today_paris, 31);
my ($rc, $out) = $s->ctl('closure', $far, '14:00', '16:00', 'Tournage');
is $rc, 0, 'a partial closure in 31 days' or diag $out;
unlike get('/concept')->{content}, qr{class="banner"}, 'a closure beyond 30 days: no banner yet';
my $closed = add_days($b->today_paris, 6);
($rc, $out) = $s->ctl('closure', $closed, 'Inventaire & <rangement>');
is $rc, 0, 'a closure in six days' or diag $out;
for my $p ('/', '/concept', '/auth/login') {
	like get($p)->{content}, qr{<div class="banner" role="status"><p>Fermeture exceptionnelle le \w+ \d+ \w+ \d{4} : Inventaire &amp; &lt;rangement&gt;\.</p></div>},
		"$p: the banner names the closure (escaped)";
}
$r = get('/horaires');
like $r->{content}, qr{<li><strong>[^<]+</strong> : fermé toute la journée \(Inventaire &amp; &lt;rangement&gt;\)</li>\n<li><strong>[^<]+</strong> : fermé de 14 h à 16 h \(Tournage\)</li>},
	'horaires: both closures to come, soonest first';

# ---- redirects -------------------------------------------------------------
$r = $s->get('/spaces');
is $r->{status}, 301, '/spaces: 301';
is $r->{headers}{location}, '/espaces', '/spaces → /espaces';
$r = $s->get('/tarifs');
is $r->{status}, 301, '/tarifs: 301';
is $r->{headers}{location}, '/pricing', '/tarifs → /pricing';

# ---- robots.txt and sitemap.xml ----------------------------------------------
$r = get('/robots.txt', other_host => 1);
is $r->{status}, 200, 'robots.txt: 200';
like $r->{headers}{'content-type'}, qr{^text/plain}, 'robots.txt: text';
like $r->{content}, qr{^Disallow: /api/$}m, 'robots: not the API';
like $r->{content}, qr{^Disallow: /auth/$}m, 'robots: not the account pages';
like $r->{content}, qr{^Disallow: /dashboard$}m, 'robots: not the dashboard';
like $r->{content}, qr{^Disallow: /booking/$}m, 'robots: not the funnel steps';
like $r->{content}, qr{^Sitemap: \Q$base\E/sitemap\.xml$}m, 'robots: the sitemap, on the public URL';
$r = get('/sitemap.xml');
is $r->{status}, 200, 'sitemap.xml: 200';
like $r->{headers}{'content-type'}, qr{^application/xml}, 'sitemap: XML';
my %in_sitemap;
while ($r->{content} =~ m{<url><loc>\Q$base\E([^<]*)</loc>(?:<lastmod>(\d{4}-\d\d-\d\d)</lastmod>)?</url>}g) {
	$in_sitemap{$1} = $2 // '';
}
my @missing_pages = grep { !exists $in_sitemap{$_} } @PAGES, '/booking', '/contact', '/blog', '/boissons', '/privatization/devis';
is_deeply \@missing_pages, [], 'the sitemap lists every public page';
ok !(grep { !$in_sitemap{$_} } @PAGES), 'each text page with a lastmod';

# ---- a crawler from / ---------------------------------------------------------
my @queue = ('/');
my (%seen, @broken, %elsewhere, %html_pages);
while (defined(my $p = shift @queue)) {
	next if $seen{$p}++;
	my $r = get($p);
	my $st = $r->{status};
	if ($st == 301 || $st == 302 || $st == 303) {
		my $to = $r->{headers}{location} // '';
		push @queue, $to if $to =~ m{^/};
		next;
	}
	if ($st != 200) {
		if ($ELSEWHERE{$p}) { $elsewhere{$p} = $st } else { push @broken, "$p ($st)" }
		next;
	}
	next unless ($r->{headers}{'content-type'} // '') =~ m{text/html};
	$html_pages{$p} = 1;
	for my $href ($r->{content} =~ m{<a [^>]*href="(/[^"#]*)}g) {
		$href = unescape($href);
		$href =~ s/\?.*//;
		push @queue, $href unless $seen{$href};
	}
}
is_deeply \@broken, [], 'the crawler finds no broken internal link';
diag "linked, built elsewhere: " . join ', ', map { "$_ ($elsewhere{$_})" } sort keys %elsewhere if %elsewhere;
# the account pages and the blog's own listing pages (pages, search) are not for the sitemap
my @missing = grep { !exists $in_sitemap{$_} && !m{^/auth/|^/blog/(?:page|search)\b|^/contact/merci$} } sort keys %html_pages;
is_deeply \@missing, [], 'every public page the crawler finds is in the sitemap';
ok $html_pages{'/boissons'} && $html_pages{'/privatization/devis'}, 'the crawler finds the menu and the quote form';
ok scalar(keys %html_pages) >= @PAGES, 'the crawler reached every page (' . scalar(keys %html_pages) . ')';

# ---- bad paths ------------------------------------------------------------------
for my $p ('/concept/', '/concept/..', '/x/../concept', '/%2e%2e/etc/passwd', '/..%2fetc%2fpasswd',
	   '/concept%2f..%2fcgu', '/%00', '/concept%00', '/c%C3%A9', "/\xff", '/' . ('a' x 5000),
	   '/concept?' . ('x=' . ('y' x 3000)), '/espaces?a=<script>', '/pricing?%zz', '/robots.txt/..',
	   '/etc/content/concept.md', '/fcgi-apps/site/templates/home.html', '/spaces/../tarifs',
	   '//concept', '/CONCEPT', '/concept;x=1', '/%252e%252e/') {
	my $r = $s->get($p);
	(my $shown = substr $p, 0, 40) =~ s/([^\x21-\x7e])/sprintf '\\x%02x', ord $1/ge;
	ok $r->{status} < 500, "$shown: no server error ($r->{status})";
	unlike $r->{content}, qr{^---\ntitle:|\{\{}m, "$shown: no source file served";
}

done_testing;
