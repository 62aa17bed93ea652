#!/usr/bin/perl
# Every route's door, from the route tables themselves (`site -r`,
# `admin -r`: methods, pattern, minimum role, flags): each route of both
# apps is tried as anonymous, client, staff, admin and dev.
#   - Below the route's minimum role the answer is a refusal (401/403, or
#     for a page the redirect to the login page) and never runs the
#     handler — whatever the method, through HEAD, and through the
#     trailing-slash and upper-case variants of the path (which may also
#     be 404/405, never a 2xx).
#   - At or above it, reads (GET, HEAD) are let in (no 401/403).
#   - Nothing answers 5xx, and OPTIONS never hands out data.
# Writes by allowed roles are not tried here (they would change the
# accounts this crawl uses); each domain's tests cover them.
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use CWC::Stack;
use Test::More;

my $s = CWC::Stack->start;
my @ROLES = qw(anonymous client staff admin dev);
my %LEVEL = (anonymous => 0, client => 1, staff => 2, admin => 3, dev => 4);
my $ZERO_ID = '0' x 24;

# ---- the route tables -------------------------------------------------------

sub routes_of {
	my ($app) = @_;
	my $bin = CWC::Stack::program($app);
	my @routes;
	for (`$bin -r`) {
		chomp;
		my ($methods, $pattern, $min, $flags) = split /\t/;
		push @routes, { methods => [split /,/, $methods], pattern => $pattern,
				min => $min, page => ($flags & 8) ? 1 : 0 };
	}
	die "no routes from $bin -r" unless @routes;
	return @routes;
}

sub concrete {
	my ($pattern) = @_;
	(my $p = $pattern) =~ s{:(\w+)}{
		$1 eq 'id' ? $ZERO_ID : $1 eq 'number' ? 'CWC-AAAAAA' : $1 eq 'n' ? '2'
		: $1 eq 'spaceType' ? 'open-space' : 'x'
	}ge;
	return $p;
}

# ---- one session per role on each app --------------------------------------

$s->seed;
my $dev_email = 'dev-crawler@example.com';
my $dev = $s->new_client($dev_email);
my ($rc, $out) = $s->ctl('set-role', $dev_email, 'dev');
is $rc, 0, 'a dev account for the crawl' or diag $out;

my %session;
my $client = $s->login('client');
for my $app (qw(site admin)) {
	# a client cannot sign in to the back office: its site session is
	# presented there as it is (the admin app must not take it)
	$session{$app}{client} = { %$client, host => $app };
	$session{$app}{$_} = $s->login($_, undef, host => $app) for qw(staff admin);
	$session{$app}{dev} = $s->login($dev_email, 'client-password-1', host => $app);
}

# ---- the crawl --------------------------------------------------------------

my (%seen, @problems, $requests);

sub try {
	my ($app, $role, $method, $path) = @_;
	my $sess = $session{$app}{$role};
	my %o = (host => $app);
	if ($sess) { $o{session} = $sess }
	my %h = ($method ne 'GET' && $method ne 'HEAD') ? (Origin => ($app eq 'admin' ? $s->admin_url : $s->site_url)) : ();
	$o{headers} = \%h;
	$o{json} = {} if $method =~ /^(POST|PUT|PATCH)$/;
	$requests++;
	return $s->request($method, $path, %o);
}

sub refused {
	my ($r, $route) = @_;
	return 1 if $r->{status} == 401 || $r->{status} == 403;
	return 1 if $r->{status} =~ /^30[23]$/ && ($r->{headers}{location} // '') =~ m{/(auth/)?login\b};
	return 0;
}

sub problem { push @problems, sprintf '%-6s %-5s %-9s %s → %s', @_ }

for my $app (qw(site admin)) {
	for my $route (routes_of($app)) {
		my $path = concrete($route->{pattern});
		my @methods = @{ $route->{methods} };
		push @methods, 'HEAD' if grep({ $_ eq 'GET' } @methods) && !grep({ $_ eq 'HEAD' } @methods);
		for my $role (@ROLES) {
			my $allowed = $LEVEL{$role} >= $route->{min};
			for my $method (@methods) {
				next if $allowed && $method !~ /^(GET|HEAD)$/;
				my $r = try($app, $role, $method, $path);
				if ($r->{status} >= 500) {
					problem($app, $method, $role, $path, "$r->{status}");
				} elsif (!$allowed && !refused($r, $route)) {
					problem($app, $method, $role, $path, "$r->{status}, not refused (minimum role $route->{min})");
				} elsif ($allowed && ($r->{status} == 401 || $r->{status} == 403)) {
					problem($app, $method, $role, $path, "$r->{status}, refused to an allowed role");
				}
				next if $allowed || $path eq '/';
				for my $variant ("$path/", uc $path) {
					next if $variant eq $path;
					my $v = try($app, $role, $method, $variant);
					if ($v->{status} >= 500 || ($v->{status} >= 200 && $v->{status} < 300)) {
						problem($app, $method, $role, $variant, "$v->{status} on a variant of a refused route");
					}
				}
			}
			my $o = try($app, $role, 'OPTIONS', $path);
			if ($o->{status} >= 500 || length($o->{content} // '') > 0 && $o->{status} < 300) {
				problem($app, 'OPTIONS', $role, $path, "$o->{status} with " . length($o->{content}) . " bytes");
			}
		}
		$seen{$app}++;
	}
}

ok $seen{site} > 50, "the site's routes crawled ($seen{site})";
ok $seen{admin} > 20, "the admin's routes crawled ($seen{admin})";
is scalar(@problems), 0, "every door holds ($requests requests)" or diag join "\n", @problems;

# the dev account kept its role and its sessions through the crawl
my $r = $s->request(GET => '/api/auth/session', session => $session{admin}{dev});
is $r->{status}, 200, 'the sessions used were still valid at the end';

$s->stop;
done_testing;
