#!/usr/bin/perl
# No Docker engine runs here, so the compose file is checked statically:
# it parses, it has every service of SPEC §10 (several instances of site,
# admin and the relay), and what it names exists: each service's command
# is a program `make` builds into bin/ (or the service is an image of its
# own), each variable it gives our programs is documented in
# etc/cwc.env.example, each named volume is declared and each mounted
# path exists, each app instance has a healthcheck asking that instance
# (`cwc-ctl health`), Caddy's upstream lists name every instance and
# nothing else, and docker/rolling-update is a valid shell script.
use strict;
use warnings;
use FindBin;
use JSON::PP;
use Test::More;

my $root = "$FindBin::Bin/..";
my $json = `/usr/bin/python3 -c 'import json,sys,yaml; print(json.dumps(yaml.safe_load(open(sys.argv[1]))))' $root/docker/compose.yaml 2>&1`;
my $c = eval { decode_json($json) };
ok $c, 'docker/compose.yaml parses' or BAIL_OUT($json);
my $svc = $c->{services} // {};
for my $name (qw(caddy mongodb redis site-1 site-2 admin-1 admin-2 relay-1 relay-2 mailer cron)) {
	ok $svc->{$name}, "service $name";
}
like $svc->{mongodb}{image} // '', qr/^mongo:7/, 'MongoDB 7';
like $svc->{redis}{image} // '', qr/^redis:7/, 'Redis 7';
like $svc->{caddy}{image} // '', qr/^caddy:2/, 'Caddy 2';
is $svc->{'site-1'}{environment}{MONGODB_URI}, 'mongodb://mongodb:27017/coworking-cafe', 'site uses MongoDB';

# ---- commands: ours are built by make ------------------------------------------------
my @ours = grep { ($svc->{$_}{image} // '') =~ /^coworking-cafe:/ } sort keys %$svc;
is_deeply \@ours, [qw(admin-1 admin-2 cron mailer relay-1 relay-2 site-1 site-2)], 'our image runs the app services';
for my $name (sort keys %$svc) {
	my $cmd = $svc->{$name}{command};
	if (grep { $_ eq $name } @ours) {
		my $prog = ref $cmd ? $cmd->[0] : undef;
		if (($svc->{$name}{entrypoint} // [])->[0] // '' eq '/bin/sh') {
			my $script = ref $cmd ? join("\n", @$cmd) : $cmd;
			my @progs = $script =~ /\b(cwc-[a-z]+)\b/g;
			ok @progs, "$name runs our tools from a shell loop";
			ok -x "$root/bin/$_", "$name: bin/$_ is built by make" for @progs;
			like $script, qr/cwc-cron purge-expired/, "$name runs purge-expired (etc/crontab)";
			next;
		}
		ok $prog && -x "$root/bin/$prog", "$name: bin/" . ($prog // '?') . ' is built by make';
	} else {
		ok $svc->{$name}{image}, "$name is an image of its own";
	}
}

# ---- variables given to our programs are documented --------------------------------------
open my $fh, '<', "$root/etc/cwc.env.example" or die;
my $example = do { local $/; <$fh> };
my %seen;
for my $name (@ours) {
	for my $var (sort keys %{ $svc->{$name}{environment} // {} }) {
		next if $seen{$var}++;
		like $example, qr/^#?\s*\Q$var\E=/m, "$var (given to $name) is documented in etc/cwc.env.example";
	}
}
ok $svc->{'site-1'}{env_file}, 'secrets come from an env file';

# ---- volumes ---------------------------------------------------------------------------
for my $name (sort keys %$svc) {
	for my $v (@{ $svc->{$name}{volumes} // [] }) {
		my ($src) = split /:/, $v;
		if ($src =~ m{^[./]}) {
			ok -e "$root/docker/$src" || $src =~ m{^\.\./build/}, "$name mounts $src, which exists (or is built by make)";
		} else {
			ok exists $c->{volumes}{$src}, "${name}'s volume $src is declared";
		}
	}
}

# ---- instances: sockets, healthchecks, Caddy's lists ------------------------------------
my %upstreams = map { $_ => [ split ' ', $svc->{caddy}{environment}{$_} // '' ] }
	qw(CWC_SITE_UPSTREAMS CWC_ADMIN_UPSTREAMS CWC_RELAY_UPSTREAMS);
for my $name (grep { /^(site|admin)-\d+$/ } @ours) {
	my ($app) = $name =~ /^(\w+)-/;
	my $sock = "/run/cwc/$name.sock";
	is_deeply $svc->{$name}{command}, [ $app, '-l', $sock ], "$name listens on its own socket";
	is_deeply $svc->{$name}{healthcheck}{test}, [ 'CMD', 'cwc-ctl', 'health', $sock ], "${name}'s healthcheck asks it";
	ok grep({ $_ eq "unix/$sock" } @{ $upstreams{ 'CWC_' . uc($app) . '_UPSTREAMS' } }), "Caddy lists $name";
}
for my $name (grep { /^relay-\d+$/ } @ours) {
	my ($port) = ($svc->{$name}{environment}{CWC_RELAY_LISTEN} // '') =~ /:(\d+)$/;
	ok $port, "$name listens on a port";
	is_deeply $svc->{$name}{healthcheck}{test}, [ 'CMD', 'cwc-ctl', 'health', "http://127.0.0.1:$port/health" ],
		"${name}'s healthcheck asks it";
	ok grep({ $_ eq "$name:$port" } @{ $upstreams{CWC_RELAY_UPSTREAMS} }), "Caddy lists $name";
}
is scalar(map { @$_ } values %upstreams), scalar(grep { /^(site|admin|relay)-\d+$/ } @ours),
	"Caddy's lists name nothing else";
for my $app (qw(SITE ADMIN RELAY)) {
	cmp_ok scalar(@{ $upstreams{"CWC_${app}_UPSTREAMS"} }), '>=', 2,
		"two instances of \L$app\E at least (docker/rolling-update takes one out at a time)";
}

open $fh, '<', "$root/etc/Caddyfile" or die;
my $caddy = do { local $/; <$fh> };
open $fh, '<', "$root/etc/caddy/common.caddy" or die;
$caddy .= do { local $/; <$fh> };
for my $var (sort keys %{{ map { $_ => 1 } $caddy =~ /\{\$(\w+)\}/g }}) {
	ok exists $svc->{caddy}{environment}{$var}, "Caddy's $var is set by the compose file";
}

system('sh', '-n', "$root/docker/rolling-update");
is $?, 0, 'docker/rolling-update is a valid shell script';
ok -x "$root/docker/rolling-update", 'and executable';
done_testing;
