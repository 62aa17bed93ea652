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

# Performance is timed, and a machine busy with other work (the rest of
# `make test` on 2 cores) only ever lowers it: a page under 95 is measured
# again, up to three runs, and its best run counts. The other categories
# do not depend on time and are taken from the first run.
sub lighthouse {
	my ($path, $run) = @_;
	(my $name = $path) =~ s{/}{_}g;
	my $out = "$dir/report$name-$run.json";
	local $ENV{CHROME_PATH} = $chromium;
	local $ENV{LANGUAGE} = 'fr_FR:fr';   # in French, as CWC::Browser runs it
	system($lh, $s->site_url . $path, '--quiet', '--output=json', "--output-path=$out",
	       "--chrome-flags=--headless=new --no-sandbox --lang=fr-FR --accept-lang=fr-FR,fr --user-data-dir=$dir/profile$name-$run",
	       '--only-categories=' . join ',', @categories);
	return eval { open my $f, '<', $out or die $!; local $/; decode_json(<$f>) };
}
sub score { int(100 * ($_[0]{categories}{$_[1]}{score} // 0) + 0.5) }
sub weak { join "\n", map { "  $_->{id}: $_->{title}" } grep { defined $_->{score} && $_->{score} < 0.9 } values %{ $_[0]{audits} } }

for my $path ('/', '/espaces', '/pricing', '/booking') {
	my $report = lighthouse($path, 1);
	ok $report, "$path: Lighthouse ran" or next;
	my ($best, @runs) = ($report, score($report, 'performance'));
	for my $run (2 .. 3) {
		last if score($best, 'performance') >= 95;
		my $again = lighthouse($path, $run) or next;
		push @runs, score($again, 'performance');
		$best = $again if score($again, 'performance') > score($best, 'performance');
	}
	for my $c (@categories) {
		my $r = $c eq 'performance' ? $best : $report;
		my $score = score($r, $c);
		cmp_ok $score, '>=', 95, "$path: $c $score ≥ 95" . ($c eq 'performance' && @runs > 1 ? " (runs: @runs)" : '')
			or diag weak($r);
	}
}

done_testing;
