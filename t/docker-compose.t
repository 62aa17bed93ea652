#!/usr/bin/perl
# No Docker engine runs here, so the compose file is checked statically:
# it parses, it has every service of SPEC §10, and the commands, ports and
# variables it names are the ones our programs and etc/ use.
use strict;
use warnings;
use FindBin;
use JSON::PP;
use Test::More;

my $root = "$FindBin::Bin/..";
my $json = `/usr/bin/python3 -c 'import json,sys,yaml; print(json.dumps(yaml.safe_load(open(sys.argv[1]))))' $root/docker/compose.yaml 2>&1`;
my $c = eval { decode_json($json) };
ok $c, 'docker/compose.yaml parses' or diag $json;
my $svc = $c->{services} // {};
for my $name (qw(caddy mongodb redis site admin relay mailer cron)) {
	ok $svc->{$name}, "service $name";
}
like $svc->{mongodb}{image} // '', qr/^mongo:7/, 'MongoDB 7';
like $svc->{redis}{image} // '', qr/^redis:7/, 'Redis 7';
is $svc->{site}{environment}{MONGODB_URI}, 'mongodb://mongodb:27017/coworking-cafe', 'site uses MongoDB';
is_deeply $svc->{site}{command}, ['site', '-l', '/run/cwc/site.sock'], 'site command';
is_deeply $svc->{admin}{command}, ['admin', '-l', '/run/cwc/admin.sock'], 'admin command';
is $svc->{caddy}{environment}{CWC_SITE_UPSTREAMS}, 'unix//run/cwc/site.sock', 'Caddy reaches the site socket';
like $svc->{caddy}{environment}{CWC_RELAY_UPSTREAMS}, qr/^relay:(\d+)$/, 'Caddy reaches the relay';
my ($relay_port) = $svc->{caddy}{environment}{CWC_RELAY_UPSTREAMS} =~ /:(\d+)$/;
like $svc->{relay}{environment}{CWC_RELAY_LISTEN}, qr/:$relay_port$/, 'on the port the relay listens on';
ok -r "$root/etc/Caddyfile", 'the Caddyfile it mounts exists';

open my $fh, '<', "$root/etc/Caddyfile" or die;
my $caddy = do { local $/; <$fh> };
for my $var ($caddy =~ /\{\$(\w+)\}/g) {
	ok exists $svc->{caddy}{environment}{$var}, "Caddy's $var is set by the compose file";
}
for my $bin (map { $svc->{$_}{command}[0] } qw(site admin relay mailer)) {
	ok -e "$root/bin/$bin", "bin/$bin is built by make";
}
done_testing;
