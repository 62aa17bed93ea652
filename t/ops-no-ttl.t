#!/usr/bin/perl
# A MongoDB-compatible server without TTL indexes (FerretDB 1.x, the test
# server; some managed services): the stack starts on it as it is, with
# no index prepared by hand, each app logs one warning that says what to
# run, and `cwc-cron purge-expired` removes the expired sessions and
# tokens that a TTL index would have (the reset tokens a day after their
# expiry, as the TTL declares), and nothing that is still valid.
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use CWC::Cron;
use CWC::MongoServer;
use CWC::Stack;
use Test::More;
use Time::HiRes qw(time);

my $why = CWC::MongoServer->unavailable;
plan skip_all => $why if $why;

my $m = CWC::MongoServer->start;
my $uri = $m->uri('coworking-cafe');
my $s = eval { CWC::Stack->start(env => { MONGODB_URI => $uri }) };
ok $s, 'the stack starts on a server that refuses TTL indexes' or BAIL_OUT("not started: $@");
for my $host (qw(site admin)) {
	is $s->get('/api/health', host => $host)->{status}, 200, "$host is healthy";
}
for my $app (qw(site admin)) {
	my @warnings = $s->log_text($app) =~ /("level":"warn"[^\n]*no TTL indexes[^\n]*)/g;
	is scalar(@warnings), 1, "$app logs one warning about it";
	like $warnings[0] // '', qr/cwc-cron purge-expired/, 'naming the job to run';
}

my $client = $s->login('client');
is $s->get('/api/auth/session', session => $client)->{json}{user}{email}, 'client@coworkingcafe.local',
	'a live session works';

# Expired documents as the apps leave them: sessions past `expires`, reset
# tokens past `expiresAt` (one of them by less than the day they are kept).
my $now = int(time * 1000);
my $day = 86_400_000;
my @sessions = map { [ sessionToken => "expired-session-$_", userId => 'x', expires => CWC::MongoServer::date($now - $_ * 60_000) ] } 1 .. 24;
ok $m->command('coworking-cafe', insert => 'sessions', documents => CWC::MongoServer::list(@sessions)),
	'24 expired sessions in the store';
my @tokens = ((map { [ token => "old-token-$_", expiresAt => CWC::MongoServer::date($now - 2 * $day - $_ * 1000) ] } 1 .. 12),
	      (map { [ token => "recent-token-$_", expiresAt => CWC::MongoServer::date($now - 3_600_000) ] } 1 .. 5),
	      (map { [ token => "live-token-$_", expiresAt => CWC::MongoServer::date($now + 3_600_000) ] } 1 .. 3));
ok $m->command('coworking-cafe', insert => 'passwordresettokens', documents => CWC::MongoServer::list(@tokens)),
	'20 reset tokens: 12 expired two days ago, 5 an hour ago, 3 still valid';

my %env = ($s->app_env, MONGODB_URI => $uri);
my $errlog = $s->dir . '/logs/cwc-cron.log';
my ($rc, $out) = run_cron(\%env, $errlog, 'purge-expired');
is $rc, 0, 'cwc-cron purge-expired succeeds';
like $out, qr/^36 expired documents removed$/m, '24 sessions and 12 tokens removed';
($rc, $out) = run_cron(\%env, $errlog, 'purge-expired');
like $out, qr/^0 expired documents removed$/m, 'a second run finds nothing left';
is $s->get('/api/auth/session', session => $client)->{json}{user}{email}, 'client@coworkingcafe.local',
	'the live session still works';

done_testing;
