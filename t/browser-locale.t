#!/usr/bin/perl
# The tests' Chromium (CWC::Browser) runs in French, as the café's users
# see the site: navigator.language is fr-FR, the pages are asked for in
# French first, Intl formats a date as 25/12/2026 and names the month in
# French. The same interface language makes date inputs show
# "jj/mm/aaaa" in the screenshots (design-screens.t); it needs Debian's
# chromium-l10n, without which all of this stays English. No stack needed.
use strict;
use warnings;
use utf8;
use FindBin;
use lib "$FindBin::Bin/lib";
use CWC::Browser;
use Test::More;
binmode $_, ':encoding(UTF-8)' for map { Test::More->builder->$_ } qw(output failure_output todo_output);

plan skip_all => 'chromium is not installed' unless CWC::Browser::binary();
my $b = CWC::Browser->start or BAIL_OUT('chromium did not start');
my $p = $b->page;
$p->goto('data:text/html;charset=utf-8,<!doctype html><html lang="fr"><title>t</title><input type="date" id="d">');

is $p->js('navigator.language'), 'fr-FR', 'navigator.language is fr-FR';
is $p->js('navigator.languages[0]'), 'fr-FR', '... and French comes first in the languages asked for';
like $p->js('Intl.DateTimeFormat().resolvedOptions().locale'), qr/^fr\b/, 'Intl works in French';
is $p->js(q{new Date(2026, 11, 25).toLocaleDateString()}), '25/12/2026', 'a date reads day/month/year';
is $p->js(q{new Date(2026, 11, 25).toLocaleDateString(undefined, { month: 'long' })}), 'décembre', 'months are named in French';

done_testing;
