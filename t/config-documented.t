#!/usr/bin/perl
# Every variable of SPEC §2 is documented in etc/cwc.env.example, and the
# production files name only variables the programs read.
use strict;
use warnings;
use FindBin;
use Test::More;

my $root = "$FindBin::Bin/..";
my $spec_file = "$root/../shared/SPEC.md";
plan skip_all => "no ../shared/SPEC.md beside the checkout" unless -r $spec_file;

open my $fh, '<', $spec_file or die;
my $spec = do { local $/; <$fh> };
my ($section) = $spec =~ /^## 2\. Configuration\n(.*?)^## 3\./ms or die 'no §2 in SPEC.md';
my @vars = sort { $a cmp $b } keys %{{ map { $_ => 1 } $section =~ /`([A-Z][A-Z0-9_]+)`/g }};
ok @vars >= 20, scalar(@vars) . ' variables in SPEC §2';

open $fh, '<', "$root/etc/cwc.env.example" or die;
my $example = do { local $/; <$fh> };
for my $v (@vars) {
	like $example, qr/\b\Q$v\E\b/, "$v is documented in etc/cwc.env.example";
}

open $fh, '<', "$root/common/core/config.c" or die;
my $config = do { local $/; <$fh> };
for my $v (@vars) {
	like $config, qr/"\Q$v\E"/, "$v is read by common/core/config.c";
}

done_testing;
