#!/usr/bin/perl
# Our template engine (common/core/template.c, run through the sanitizer
# build of t/tools/tpl-render) renders exactly what Debian's pystache
# renders (t/lib/pystache-render.py, with our escaping), byte for byte:
#   - the cases of t/templates-cases.json, written for this project, for
#     what we implement: interpolation, sections, inverted sections,
#     comments, partials;
#   - every template of the apps and the mails, and the list page of
#     t/templates-corpus/, with realistic data: dozens of items, long
#     names, hostile strings (<script>, quotes, &amp;, unicode, {{tags}}).
use strict;
use warnings;
use FindBin;
use File::Temp qw(tempdir);
use JSON::PP;
use Test::More;

my $root = "$FindBin::Bin/..";
my $ours = "$root/build/asan/t/tools/tpl-render";
my $ref = "$root/t/lib/pystache-render.py";
my $python = '/usr/bin/python3';
plan skip_all => "$ours is not built (make -f build.mk unit)" unless -x $ours;
# Debian's python3-pystache is in the Makefile's package list: a machine
# that ran `make test` has it, so its absence is a failure, not a skip.
ok system($python, '-c', 'import pystache') == 0, 'pystache is installed (python3-pystache)'
	or BAIL_OUT('no pystache for /usr/bin/python3');

my $dir = tempdir('cwc-tpl-XXXXXX', TMPDIR => 1, CLEANUP => 1);
my $json = JSON::PP->new->utf8->canonical;

sub run_capture {
	my @cmd = @_;
	my $pid = open my $fh, '-|' // die "fork: $!";
	if (!$pid) {
		open STDERR, '>', "$dir/stderr" or die;
		exec @cmd or exit 127;
	}
	local $/;
	my $out = <$fh> // '';
	close $fh;
	my $rc = $? >> 8;
	open my $e, '<', "$dir/stderr" or die;
	my $err = <$e> // '';
	return ($rc, $out, $err);
}

sub write_json {
	my ($name, $data) = @_;
	my $path = "$dir/$name";
	open my $f, '>:raw', $path or die "$path: $!";
	print $f $json->encode($data);
	close $f;
	return $path;
}

# ---- the cases of t/templates-cases.json ------------------------------------
# Written for this project, one or more per feature we implement
# (interpolation, escaping, dotted names, sections, inverted sections,
# comments, partials, the standalone-line rules).

my $cases = 0;
{
	open my $f, '<:raw', "$root/t/templates-cases.json" or die "templates-cases.json: $!";
	for my $t (@{ $json->decode(do { local $/; <$f> })->{cases} }) {
		my $case = write_json('case.json', { template => $t->{template},
			partials => $t->{partials} // {}, data => $t->{data}, name => 'main.html' });
		my ($rc, $got, $err) = run_capture($ours, '--case', $case);
		my ($rrc, $want, $rerr) = run_capture($python, $ref, '--case', $case);
		is $rc, 0, "case $t->{name}: rendered" or diag $err;
		is $rrc, 0, "case $t->{name}: pystache rendered it" or diag $rerr;
		is $got, $want, "case $t->{name}: as pystache";
		$cases++;
	}
}
cmp_ok $cases, '>=', 50, "$cases cases compared";

# A missing partial is refused when templates load (template.h), where
# pystache renders nothing.
{
	my $case = write_json('case.json', { template => '[{{> text}}]', partials => {}, data => {}, name => 'main.html' });
	my ($rc, $got, $err) = run_capture($ours, '--case', $case);
	ok $rc == 1 && $err =~ /main\.html:1: no partial "text"/, "a missing partial is refused at load, naming it ($err)";
}

# ---- our templates with realistic data ------------------------------------

my @hostile = (
	q{<script>alert("x")</script>},
	q{O'Brien & "Fils" <b>gras</b>},
	q{&amp; &lt; &#39; déjà échappé},
	qq{Zoé Ünïcødé — 日本語 🍰 \x{2028}fin},
	q({{notATag}} {{{raw}}} {{#s}}x{{/s}}),
	'Marie-' . ('Hélène-Anne-Sophie ' x 12) . 'de La Tour d’Auvergne',
	q{</textarea><img src=x onerror=alert(1)>},
	'',
);
sub hostile { $hostile[ $_[0] % @hostile ] }

sub comment {
	my ($depth, $i) = @_;
	my @replies = $depth < 3 ? map { comment($depth + 1, $i * 3 + $_) } 0 .. 1 : ();
	return { author => hostile($i), text => "réponse $i " . hostile($i + 1),
		 hasReplies => @replies ? JSON::PP::true : JSON::PP::false, replies => \@replies };
}

sub data {
	my (%o) = @_;
	my $n = $o{items} // 36;
	my @bookings = map { my $i = $_; {
		id => sprintf('%024x', $_ + 1000),
		space => { slug => "salle-$_", name => hostile($_) . " (salle $_)" },
		start => sprintf('2026-12-%02dT09:00:00Z', 1 + $_ % 28),
		startLabel => sprintf('%d décembre à 9 h', 1 + $_ % 28),
		options => [ map { hostile($_ + $i) } 0 .. ($i % 4) - 1 ],
		price => $_ % 3 ? $_ * 12.5 : $_ * 10,
		paid => $_ % 2 ? JSON::PP::true : JSON::PP::false,
		cancelled => $_ % 5 == 0 ? JSON::PP::true : JSON::PP::false,
		payUrl => "/pay?booking=$_&name=" . hostile($_),
	} } 1 .. $n;
	my $title = hostile($o{seed} // 0);
	return {
		page => { title => $title, description => hostile(1), canonical => 'https://cafe.test/?a=1&b=<2>',
			  script => q{/static/chat.0123456789.js?x="'}, ($o{jsonld} ? (jsonLd => '{"@type":"CafeOrCoffeeShop","name":"O\u0027Brien \u003c/script\u003e"}') : ()) },
		site => { name => 'CoworKing Café', url => 'https://cafe.test', service => $o{staff} ? 'admin' : 'site' },
		assets => { css => '/static/site.0123456789.css' },
		signedIn => $o{signed_in} ? JSON::PP::true : JSON::PP::false,
		($o{closure} ? (closure => { message => hostile(3) . ' — fermé le 25 décembre' }) : ()),
		content => "<h1>Contenu</h1>\n<p>" . hostile(2) . "</p>\n",
		view => $o{staff} ? 'staff' : 'customer', staff => $o{staff} ? JSON::PP::true : JSON::PP::false,
		me => '65a1b2c3d4e5f60718293a4b', name => hostile(0), next => '/dashboard/messages?x="1"&y=<2>',
		forbidden => $o{forbidden} ? JSON::PP::true : JSON::PP::false, requestId => 'req-' . hostile(4),
		givenName => hostile($o{seed} // 5), link => 'https://cafe.test/auth/activate?token=ab&x=' . hostile(1),
		contactEmail => q{bonjour+"x"@cafe.test}, siteUrl => 'https://cafe.test/?a=<1>&b=2',
		subject => hostile(1), note => hostile(4),
		user => { givenName => hostile($o{seed} // 1) },
		hasBookings => @bookings ? JSON::PP::true : JSON::PP::false, bookings => \@bookings,
		notes => [ map { { html => "<em>note $_</em>" } } 1 .. ($n > 0 ? 24 : 0) ],
		thread => $n > 0 ? [ comment(0, 1), comment(0, 2) ] : [],
		jsonLd => '{"name":"\u003c/script\u003e"}',
	};
}

my @variants = (
	[ 'signed in, closure banner, dozens of items' => data(signed_in => 1, closure => 1, seed => 0, jsonld => 1) ],
	[ 'signed out, staff, no items' => data(staff => 1, items => 0, seed => 2, forbidden => 1) ],
	[ 'long names, 60 items' => data(signed_in => 1, items => 60, seed => 5) ],
	[ 'empty strings' => data(items => 3, seed => 7) ],
);

my %sets = (
	site => [ 'fcgi-apps/site/templates', 'common/account/templates', 'common/chat/templates', 'common/web/templates' ],
	admin => [ 'fcgi-apps/admin/templates', 'common/account/templates', 'common/chat/templates', 'common/web/templates' ],
	mail => [ 'common/mail/templates' ],
	corpus => [ 't/templates-corpus', 'fcgi-apps/site/templates', 'common/web/templates' ],
);
my $rendered = 0;
for my $set (sort keys %sets) {
	my $dirs = join ':', map { "$root/$_" } @{ $sets{$set} };
	# every template once: the shared ones with the site; admin's own
	# header and footer inside its layout
	my @own = $set eq 'site' || $set eq 'mail' ? @{ $sets{$set} } : $sets{$set}[0];
	my @names = sort map { m{([^/]+)$} } map { glob "$root/$_/*.html $root/$_/*.txt" } @own;
	push @names, 'layout.html' if $set eq 'admin';
	for my $v (@variants) {
		my ($label, $data) = @$v;
		my $path = write_json('data.json', $data);
		for my $name (@names) {
			my ($rc, $got, $err) = run_capture($ours, $dirs, $name, $path);
			my ($rrc, $want, $rerr) = run_capture($python, $ref, $dirs, $name, $path);
			if ($rc != 0 || $rrc != 0) {
				fail "$set/$name ($label) renders: $err$rerr";
				next;
			}
			is $got, $want, "$set/$name ($label): as pystache";
			$rendered++;
			like $got, qr{\A<!doctype html>\n<html lang="fr">}, "$set/$name ($label): a document from its first byte"
				if $name eq 'layout.html';
			if ($name =~ /\.html$/) {
				unlike $got, qr{<script>alert|<img src=x}, "$set/$name ($label): no hostile markup"
					unless $name eq 'layout.html';   # {{{content}}} is its input
			}
		}
	}
}
cmp_ok $rendered, '>=', 100, "$rendered renderings of our templates compared";

# the bookings page really has its dozens of rows and nested replies
my ($rc, $page) = run_capture($ours, join(':', map { "$root/$_" } @{ $sets{corpus} }),
	'bookings.html', write_json('data.json', data(items => 36)));
my $rows = () = $page =~ /<tr id="b-/g;
is $rows, 36, 'the list page has its 36 rows';
like $page, qr{\n      <li>\n        <strong>}, 'nested replies are indented by their standalone partial';

done_testing;
