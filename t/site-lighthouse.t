#!/usr/bin/perl
# Lighthouse 12.2.3 (t/lighthouse, pinned) with Debian's Chromium, mobile
# profile (its default: a mid-range phone on a slow 4G, simulated), on the
# pages people land on: /, /espaces, /pricing and /booking. Performance,
# accessibility, best practices and SEO must each score at least 95.
# Needs `cd t/lighthouse && npm ci` once (the README says so); without it
# the file is skipped with that reason.
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use CWC::Browser;
use CWC::Stack;
use File::Temp qw(tempdir);
use JSON::PP;
use Test::More;

my $lh = "$FindBin::Bin/lighthouse/node_modules/.bin/lighthouse";
plan skip_all => 'Lighthouse is not installed: cd t/lighthouse && npm ci' unless -x $lh;
my $chromium = CWC::Browser::binary() or plan skip_all => 'chromium is not installed';

my $s = CWC::Stack->start;
$s->seed;
my $dir = tempdir('cwc-lh-XXXXXX', TMPDIR => 1, CLEANUP => 1);
my @categories = qw(performance accessibility best-practices seo);

for my $path ('/', '/espaces', '/pricing', '/booking') {
	(my $name = $path) =~ s{/}{_}g;
	my $out = "$dir/report$name.json";
	local $ENV{CHROME_PATH} = $chromium;
	local $ENV{LANGUAGE} = 'fr_FR:fr';   # in French, as CWC::Browser runs it
	system($lh, $s->site_url . $path, '--quiet', '--output=json', "--output-path=$out",
	       "--chrome-flags=--headless=new --no-sandbox --lang=fr-FR --accept-lang=fr-FR,fr --user-data-dir=$dir/profile$name",
	       '--only-categories=' . join ',', @categories);
	my $report = eval { open my $f, '<', $out or die $!; local $/; decode_json(<$f>) };
	ok $report, "$path: Lighthouse ran" or next;
	for my $c (@categories) {
		my $score = int(100 * ($report->{categories}{$c}{score} // 0) + 0.5);
		cmp_ok $score, '>=', 95, "$path: $c $score ≥ 95" or diag join "\n",
			map { "  $_->{id}: $_->{title}" }
			grep { defined $_->{score} && $_->{score} < 0.9 } values %{ $report->{audits} };
	}
}

done_testing;
