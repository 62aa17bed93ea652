#!/usr/bin/perl
# Password guessing while Redis is down, through Caddy: the throttle keeps
# limiting with each worker's own counters (common/web/throttle.c), answers
# 429 with Retry-After, warns once per outage instead of once per request,
# and goes back to the shared Redis counters when Redis returns.
#
# The site runs WORKERS processes and each one counts on its own during an
# outage, so which worker takes which request decides when the first 429
# comes: never before the limit, at the latest after WORKERS × limit
# failures (every worker blocked). The test asserts exactly that bound,
# which holds whatever the kernel's choice of worker.
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use CWC::Stack;
use JSON::PP;
use Test::More;

my $WORKERS = 2;
my $LIMIT = 3;
my $s = CWC::Stack->start(workers => $WORKERS, env => {
	CWC_THROTTLE_LOGIN => "$LIMIT/120",
	CWC_THROTTLE_LOGIN_IP => '1000/120',   # the per-account limit is the one under test
});
$s->seed;
my ($CLIENT, $STAFF) = map { "$_\@coworkingcafe.local" } qw(client staff);
my %PW = ($CLIENT => 'cafe-client-2026', $STAFF => 'cafe-staff-2026');

sub login {
	my ($email, $password) = @_;
	return $s->call(POST => '/api/auth/login', json => { email => $email, password => $password });
}

sub warnings_in_log {
	my ($re) = @_;
	return scalar(() = $s->log_text('site') =~ /$re/g);
}

is login($CLIENT, $PW{$CLIENT})->{status}, 200, 'before the outage the client signs in';

$s->stop_component('redis');
is $s->get('/api/health')->{status}, 503, 'Redis is down (the health check says so)';

# ---- guessing during the outage ----------------------------------------------------------

my $max_failures = $WORKERS * $LIMIT;
my (@codes, $first429);
for my $try (1 .. $max_failures + 1) {
	my $r = login($CLIENT, "wrong-guess-$try");
	push @codes, $r->{status};
	if ($r->{status} == 429) {
		$first429 = $r;
		last;
	}
}
my $failures = grep { $_ == 401 } @codes;
ok $first429, "a 429 within $WORKERS workers x $LIMIT + 1 = " . ($max_failures + 1) .
	' wrong passwords with Redis down (got ' . join(' ', @codes) . ')';
cmp_ok $failures, '>=', $LIMIT, "not before the limit ($LIMIT failures answered 401)";
is $first429 && $first429->{json}{error}{code}, 'too_many_requests', 'too_many_requests';
like $first429 && $first429->{headers}{'retry-after'} // '', qr/^\d+$/, 'with Retry-After';
my $ra = $first429 ? $first429->{headers}{'retry-after'} // 0 : 0;
ok $ra >= 1 && $ra <= 120, "Retry-After within the 120 s window ($ra)";

# Every worker blocks once it has counted the limit: whichever takes the
# next requests, no more than WORKERS × LIMIT guesses are ever checked.
for my $try (1 .. 12) {
	push @codes, login($CLIENT, "more-guesses-$try")->{status};
}
$failures = grep { $_ == 401 } @codes;
cmp_ok $failures, '<=', $max_failures,
	"over 12 more guesses, at most $max_failures were checked ($failures)";
is_deeply [ grep { $_ != 401 && $_ != 429 } @codes ], [], 'every other answer is 429';
is login($STAFF, $PW{$STAFF})->{status}, 200, 'another account signs in (per account)';

my $warned = warnings_in_log(qr/throttle: redis unavailable/);
cmp_ok $warned, '>=', 1, 'the outage is logged';
cmp_ok $warned, '<=', $WORKERS, "once per worker, not per request ($warned lines for "
	. scalar(@codes) . ' requests)';
my $unreachable = warnings_in_log(qr/redis 127\.0\.0\.1:\d+ unreachable/);
cmp_ok $unreachable, '<=', $WORKERS, "the connection failure too ($unreachable lines)";

# ---- Redis is back -----------------------------------------------------------------------------

$s->start_component('redis');
$s->wait_healthy;
is login($CLIENT, $PW{$CLIENT})->{status}, 200,
	'Redis back: its counters rule again (the outage counters are dropped)';
@codes = map { login($CLIENT, "wrong-again-$_")->{status} } 1 .. $LIMIT;
is_deeply \@codes, [ (401) x $LIMIT ], "$LIMIT failures";
is login($CLIENT, $PW{$CLIENT})->{status}, 429,
	'and the next attempt is refused at once, whichever worker answers (shared counter)';
like $s->log_text('site'), qr/throttle: redis is back/, 'the return is logged';
unlike $s->log_text('site'), qr/AddressSanitizer|segfault/i, 'no crash in the logs';

done_testing;
