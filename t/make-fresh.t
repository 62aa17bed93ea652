#!/usr/bin/perl
# The README's commands on a machine without the packages: the top-level
# Makefile installs them before anything reads pkg-config (it never does
# itself: the build is build.mk, read by a sub-make once `deps` has run),
# and build.mk stops with a clear message, not a compiler error, when the
# packages are missing all the same.
use strict;
use warnings;
use FindBin;
use File::Temp qw(tempdir);
use Test::More;

my $root = "$FindBin::Bin/..";
open my $fh, '<', "$root/Makefile" or die "Makefile: $!";
my $top = do { local $/; <$fh> };
$top =~ s/^\s*#.*$//mg;    # comments may mention anything

unlike $top, qr/pkg-config\s+--/, 'the top-level Makefile never runs pkg-config';
unlike $top, qr/\$\(shell/, 'nor any command while it is read';
unlike $top, qr/^include\b|^-include\b/m, 'nor includes a file that could';
for my $target (qw(all run test bench unit fuzz)) {
	like $top, qr/^\Q$target\E:[^\n]*\b(?:deps|go)\b/m, "make $target installs the packages first";
}
like $top, qr/^go:[^\n]*\bdeps\b/m, 'make go (before test and bench) installs them too';
like $top, qr/^\t\+?\@?\$\(BUILD\)/m, 'the build runs in a sub-make (build.mk)';

# build.mk on a machine where pkg-config finds none of the packages.
my $empty = tempdir(CLEANUP => 1);
my $out = `cd $root && PKG_CONFIG_LIBDIR=$empty PKG_CONFIG_PATH= make --no-print-directory -f build.mk -n all 2>&1`;
isnt $?, 0, 'build.mk refuses to build without the packages';
like $out, qr/pkg-config cannot find .*make deps/, 'and says what to run' or diag $out;
unlike $out, qr/No such file or directory/, 'instead of a compiler error about a header';

done_testing;
