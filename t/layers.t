#!/usr/bin/perl
# The layers of common/ (docs/architecture.md): a lower layer never includes
# a higher one, a domain never includes web/ except in its HTTP face
# (api.c/api.h, page.c/page.h), and the relay does not include web/.
use strict;
use warnings;
use FindBin;
use Test::More;

my $root = "$FindBin::Bin/..";

# folder => layer; domains are layer 4 and may include each other.
my %layer = (
	core => 0, store => 1, conn => 2, web => 3, mail => 3,
	account => 4, chat => 4, booking => 4, payment => 4, content => 4,
	audit => 4,
);
my %http_face = map { $_ => 1 } qw(api.c api.h page.c page.h);

sub includes {
	my ($file) = @_;
	open my $fh, '<', $file or die "$file: $!";
	my @inc;
	while (<$fh>) {
		push @inc, [$1, $.] if /^\s*#\s*include\s+"([a-z_]+)\/[^"]+"/;
	}
	return @inc;
}

# Why `$folder/$base` may not include `$target`, or undef when it may.
sub refusal {
	my ($folder, $base, $target) = @_;
	return "unknown folder common/$target/: add it to the table of t/layers.t "
	     . "and docs/architecture.md" unless exists $layer{$target};
	return undef if $folder eq $target;
	my ($from, $to) = ($layer{$folder}, $layer{$target});
	if ($target eq 'web' && $from == 4) {
		return $http_face{$base} ? undef
		     : "a domain includes web/ only in its HTTP face (api.c, page.c)";
	}
	return undef if $to < $from || ($to == 4 && $from == 4);
	return "layer $from ($folder/) includes layer $to ($target/)";
}

my @sources = sort glob("$root/common/*/*.[ch]");
cmp_ok scalar(@sources), '>', 20, 'common/ has its sources in folders';
ok !glob("$root/common/*.[ch]"), 'no source lies loose in common/';

for my $file (@sources) {
	my ($folder, $base) = $file =~ m{common/([^/]+)/([^/]+)$};
	ok exists $layer{$folder}, "common/$folder/ is a known layer"
		or next;
	my @bad;
	for my $inc (includes($file)) {
		my ($target, $line) = @$inc;
		next unless -d "$root/common/$target";
		my $why = refusal($folder, $base, $target);
		push @bad, "line $line includes $target/: $why" if $why;
	}
	ok !@bad, "common/$folder/$base keeps to its layer" or diag join "\n", @bad;
}

for my $file (sort glob("$root/ws-relay/*.[ch]")) {
	my @web = grep { $_->[0] eq 'web' } includes($file);
	ok !@web, "ws-relay/" . ($file =~ s{.*/}{}r) . " does not include web/"
		or diag join "\n", map { "line $_->[1]" } @web;
}

# The checker itself refuses what it must (so it can fail).
like refusal('core', 'buf.c', 'store'), qr/layer 0/, 'core including store is refused';
like refusal('store', 'sqlite.c', 'web'), qr/layer 1/, 'store including web is refused';
like refusal('web', 'http.c', 'mail'), qr/layer 3/, 'web including mail (a sibling) is refused';
like refusal('chat', 'conversation.c', 'web'), qr/HTTP face/, 'a domain module including web is refused';
is refusal('chat', 'api.c', 'web'), undef, 'a domain\'s api.c may include web';
like refusal('core', 'x.c', 'nowhere'), qr/unknown folder/, 'an unknown folder is refused';

done_testing;
