#!/usr/bin/perl
# The production files of a plain Debian host are checked, not just
# shipped: the systemd units pass `systemd-analyze verify` (offline, on
# the unit files, with the programs `make` built) and carry the hardening
# docs/operations.md promises; the production Caddyfile passes
# `caddy validate` with etc/caddy.env.example's values; the crontab runs
# programs that exist; and etc/cwc-rolling-update, run against stand-ins
# for systemctl and cwc-ctl, starts each new instance before Caddy is
# moved to it and stops the old one after, and stops at an instance that
# is not healthy with caddy.env untouched from there.
use strict;
use warnings;
use FindBin;
use File::Copy qw(copy);
use File::Path qw(make_path);
use File::Temp qw(tempdir);
use Test::More;

my $root = "$FindBin::Bin/..";
my $tmp = tempdir(CLEANUP => 1);

sub slurp { open my $fh, '<', $_[0] or return ''; local $/; <$fh> // '' }

# ---- systemd units ------------------------------------------------------------------------
my @units = map { m{([^/]+)$} } glob "$root/etc/systemd/*.service";
is_deeply \@units, [qw(cwc-admin@.service cwc-mailer.service cwc-relay@.service cwc-site@.service)],
	'units: an instance template for site, admin and the relay, one mailer';
my $sd = "$tmp/systemd";
make_path($sd);
for my $u (@units) {
	(my $text = slurp("$root/etc/systemd/$u")) =~ s{/usr/local/bin/}{$root/bin/}g;
	open my $fh, '>', "$sd/$u" or die;
	print $fh $text;
	close $fh;
}
my @instances = ('cwc-site@1.service', 'cwc-site@2b.service', 'cwc-admin@1.service', 'cwc-relay@8090.service');
for my $i (@instances) {
	(my $template = $i) =~ s/@[^.]+/@/;
	symlink $template, "$sd/$i" or die;
}
my $analyze = `sh -c 'command -v systemd-analyze'`;
ok $analyze, 'systemd-analyze is installed (Debian package systemd, in the Makefile)';
my $out = `cd $sd && systemd-analyze verify --man=no @{[ map { "./$_" } @instances, 'cwc-mailer.service' ]} 2>&1`;
is $? >> 8, 0, 'systemd-analyze verify accepts every unit';
is $out, '', 'without a warning' or diag $out;
copy('/lib/systemd/system/caddy.service', "$sd/caddy.service");
make_path("$sd/caddy.service.d");
copy("$root/etc/systemd/caddy.service.d/cwc.conf", "$sd/caddy.service.d/cwc.conf");
$out = `cd $sd && systemd-analyze verify --man=no ./caddy.service 2>&1`;
is $out, '', "Debian's caddy.service with our drop-in verifies" or diag $out;
like slurp("$root/etc/systemd/caddy.service.d/cwc.conf"), qr{^EnvironmentFile=/etc/cwc/caddy\.env$}m,
	'the drop-in gives Caddy /etc/cwc/caddy.env';

for my $u (@units) {
	my $text = slurp("$root/etc/systemd/$u");
	my %set;
	for my $line (split /\n/, $text) {
		$set{$1} = $2 if $line =~ /^(\w+)=(.*)$/;
	}
	is $set{User}, 'cwc', "$u runs as the dedicated user cwc";
	is $set{$_}, 'yes', "$u: $_=yes" for qw(NoNewPrivileges PrivateTmp ProtectHome PrivateDevices);
	is $set{ProtectSystem}, 'strict', "$u: ProtectSystem=strict";
	is $set{ReadWritePaths}, '/var/lib/cwc', "$u may write to the data dir only";
	is $set{CapabilityBoundingSet}, '', "$u has no capabilities";
	like $set{ExecStart} // '', qr{^/usr/local/bin/(site|admin|ws-relay|cwc-cron)\b}, "$u runs one of our programs";
	if ($u =~ /^cwc-(site|admin)@/) {
		is $set{RuntimeDirectoryPreserve}, 'yes', "$u: one instance stopping leaves the others' sockets";
		is $set{KillMode}, 'mixed', "$u: SIGTERM goes to the master, which drains its workers";
		like $set{ExecStart}, qr{ -l /run/cwc/$1-%i\.sock$}, "$u: one socket per instance";
	}
}

# ---- Caddy ---------------------------------------------------------------------------------
my %caddy_env;
for my $line (split /\n/, slurp("$root/etc/caddy.env.example")) {
	my ($k, $v) = $line =~ /^(\w+)=(.*)$/ or next;
	$caddy_env{$k} = $v =~ s/^"|"$//gr;
}
ok $caddy_env{CWC_SITE_UPSTREAMS} =~ /site-1\.sock .*site-2\.sock/, 'etc/caddy.env.example lists two site instances';
{
	local @ENV{ keys %caddy_env } = values %caddy_env;
	local @ENV{qw(XDG_DATA_HOME XDG_CONFIG_HOME HOME)} = ("$tmp/caddy") x 3;
	$out = `caddy validate --config $root/etc/Caddyfile --adapter caddyfile 2>&1`;
	is $? >> 8, 0, 'caddy validate accepts etc/Caddyfile with etc/caddy.env.example' or diag $out;
	$out = `caddy adapt --config $root/etc/Caddyfile --adapter caddyfile 2>&1`;
	like $out, qr{"upstreams":\[\{"dial":"unix//run/cwc/site-1.sock"\},\{"dial":"unix//run/cwc/site-2.sock"\}\]},
		"every listed site instance is one of Caddy's upstreams";
}
my @caddy_vars = sort keys %{{ map { $_ => 1 } (slurp("$root/etc/Caddyfile") . slurp("$root/etc/caddy/common.caddy")) =~ /\{\$(\w+)\}/g }};
ok exists $caddy_env{$_}, "$_ is in etc/caddy.env.example" for @caddy_vars;

# ---- crontab ---------------------------------------------------------------------------------
my $crontab = slurp("$root/etc/crontab");
like $crontab, qr{^\S+\s+\*\s+\*\s+\*\s+\*\s+cwc\s+/usr/local/bin/cwc-cron purge-expired$}m, 'cron runs purge-expired hourly';
for my $prog ($crontab =~ m{/usr/local/bin/(\S+)}g) {
	ok -x "$root/bin/$prog", "crontab: bin/$prog is built by make";
}

# ---- etc/cwc-rolling-update, with stand-ins -----------------------------------------------------
my $fake = "$tmp/fake";
make_path($fake);
open my $fh, '>', "$fake/systemctl" or die;
print $fh "#!/bin/sh\necho \"systemctl \$*\" >> $tmp/calls\n";
close $fh;
# healthy unless the address is named in $tmp/unhealthy
open $fh, '>', "$fake/cwc-ctl" or die;
print $fh "#!/bin/sh\necho \"health \$2\" >> $tmp/calls\ngrep -qxF \"\$2\" $tmp/unhealthy 2>/dev/null && exit 1\nexit 0\n";
close $fh;
chmod 0755, "$fake/systemctl", "$fake/cwc-ctl";

sub run_update {
	my ($env_text, $unhealthy) = @_;
	open my $e, '>', "$tmp/caddy.env" or die;
	print $e $env_text;
	close $e;
	open my $u, '>', "$tmp/unhealthy" or die;
	print $u map { "$_\n" } @$unhealthy;
	close $u;
	unlink "$tmp/calls";
	local @ENV{qw(CWC_CADDY_ENV CWC_RUN_DIR CWC_CTL SYSTEMCTL CWC_HEALTH_TIMEOUT)} =
		("$tmp/caddy.env", '/run/cwc', "$fake/cwc-ctl", "$fake/systemctl", 2);
	my $o = `sh $root/etc/cwc-rolling-update 2>&1`;
	return ($? >> 8, $o, slurp("$tmp/calls"), slurp("$tmp/caddy.env"));
}

my $env = qq{CWC_DOMAIN=example.com\nCWC_SITE_UPSTREAMS="unix//run/cwc/site-1.sock unix//run/cwc/site-2b.sock"\n}
	. qq{CWC_ADMIN_UPSTREAMS="unix//run/cwc/admin-1.sock"\nCWC_RELAY_UPSTREAMS="127.0.0.1:8090 127.0.0.1:8191"\n};
my ($rc, $o, $calls, $after) = run_update($env, []);
is $rc, 0, 'cwc-rolling-update replaces every instance' or diag $o;
like $after, qr{^CWC_SITE_UPSTREAMS="unix//run/cwc/site-1b.sock unix//run/cwc/site-2.sock"$}m, 'caddy.env names the new sites';
like $after, qr{^CWC_ADMIN_UPSTREAMS="unix//run/cwc/admin-1b.sock"$}m, 'the new admin';
like $after, qr{^CWC_RELAY_UPSTREAMS="127.0.0.1:8190 127.0.0.1:8091"$}m, 'and the relays on their new ports';
like $after, qr{^CWC_DOMAIN=example.com$}m, 'and keeps the rest';
my @steps = split /\n/, $calls;
my @site1 = grep { /cwc-site\@1b?\b|site-1b?\.sock|reload caddy/ } @steps;
is_deeply [ @site1[0 .. 3] ], [ 'systemctl start cwc-site@1b', 'health /run/cwc/site-1b.sock',
	'systemctl reload caddy', 'systemctl stop cwc-site@1' ], 'new instance started and healthy, then Caddy, then the old one stops';
ok grep({ $_ eq 'systemctl enable cwc-site@1b' } @steps) && grep({ $_ eq 'systemctl disable cwc-site@1' } @steps),
	'the new one starts at boot instead of the old' or diag $calls;
ok grep({ $_ eq 'health http://127.0.0.1:8190/health' } @steps), "a relay's health is asked over HTTP";

($rc, $o, $calls, $after) = run_update($env, ['/run/cwc/site-2.sock']);
is $rc, 1, 'an instance that is not healthy stops the update';
like $o, qr/cwc-site\@2 is not healthy after 2 s: stopping it; cwc-site\@2b and the rest keep serving/, 'saying so';
like $after, qr{^CWC_SITE_UPSTREAMS="unix//run/cwc/site-1b.sock unix//run/cwc/site-2b.sock"$}m,
	'Caddy keeps the old instance';
like $after, qr{^CWC_ADMIN_UPSTREAMS="unix//run/cwc/admin-1.sock"$}m, 'and nothing after it was touched';
ok $calls =~ /systemctl stop cwc-site\@2\n/ && $calls !~ /stop cwc-site\@2b/, 'the new one is stopped, the old one not';

done_testing;
