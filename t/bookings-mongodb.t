#!/usr/bin/perl
# The booking rules and the no-double-booking proof (t/unit/booking-store.c,
# built under ASan by `make unit`) on the MongoDB backend: against the
# MongoDB-compatible test server (FerretDB, t/mongo-server/) in every run,
# and against a real MongoDB when CWC_TEST_MONGODB_URI names one (in a
# database of its own, dropped at the end). The embedded store runs the
# same suite as build/asan/t/booking-store.t. The suite's results are
# re-emitted here one by one.
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use CWC::MongoServer;
use File::Temp qw(tempfile);
use TAP::Parser;
use Test::More;

my $suite = "$CWC::MongoServer::ROOT/build/asan/t/booking-store.t";

sub run_suite {
	my ($name, $uri, $peer) = @_;
	subtest "booking suite on $name" => sub {
		local $ENV{CWC_TEST_STORE_URI} = $uri;
		local $ENV{CWC_TEST_STORE_PEER} = $peer;
		my (undef, $errfile) = tempfile('cwc-booking-XXXXXX', TMPDIR => 1, UNLINK => 1);
		my $p = TAP::Parser->new({ exec => [ 'sh', '-c', 'exec "$0" 2>"$1"', $suite, $errfile ] });
		my ($tests, @comments) = (0);
		while (my $r = $p->next) {
			if ($r->is_test) {
				$tests++;
				my $desc = $r->description =~ s/^-\s*//r;
				diag @comments if @comments && !$r->is_actual_ok;
				@comments = ();
				if ($r->has_skip) {
					SKIP: { skip $r->explanation, 1 }
				} else {
					ok $r->is_actual_ok, $desc;
				}
			} elsif ($r->is_comment) {
				push @comments, ($r->as_string =~ s/^#\s?//r) . "\n";
			}
		}
		open my $fh, '<', $errfile or die "$errfile: $!";
		my @stderr = grep { !/"msg":"(mongoc (client: Couldn't send \\"endSessions|stream: Failed to buffer)|booking: took over)/ } <$fh>;
		diag "suite's stderr:\n", @stderr if @stderr;
		ok $tests > 0, "the suite ran tests ($tests)";
		is $p->tests_run, $p->tests_planned // -1, 'the suite ran as many tests as it planned';
		is $p->exit, 0, 'the suite exited with status 0 (no failure, no sanitizer report)';
		done_testing;
	};
}

ok -x $suite, 'the booking suite is built (make unit)' or BAIL_OUT("$suite missing: run `make unit`");

my $why = CWC::MongoServer->unavailable;
SKIP: {
	skip $why, 1 if $why;
	my $m = CWC::MongoServer->start;
	run_suite('FerretDB (t/mongo-server)', $m->uri('cwc_bookings'), 'ferretdb');
	$m->stop;
}

SKIP: {
	skip 'CWC_TEST_MONGODB_URI is not set (a real MongoDB, see docs/mongodb.md)', 1
		unless $ENV{CWC_TEST_MONGODB_URI};
	my $uri = $ENV{CWC_TEST_MONGODB_URI};
	$uri =~ s{^(mongodb(?:\+srv)?://[^/?]*)/?[^?]*}{$1/cwc_bookings_test};
	run_suite('MongoDB (CWC_TEST_MONGODB_URI)', $uri, 'mongodb');
}

done_testing;
