#!/usr/bin/perl
# The MongoDB backend (common/store/mongo.c) passes the store conformance
# suite (t/unit/store-conformance.c, built under ASan by `make unit`) that
# the embedded store passes: against the MongoDB-compatible test server
# (FerretDB, t/mongo-server/) in every run, and against a real MongoDB
# when CWC_TEST_MONGODB_URI names one (its database is emptied: use a
# throwaway one). The suite's own results are re-emitted here, one by one.
#
# The suite learns it talks to FerretDB from CWC_TEST_STORE_PEER=ferretdb,
# and skips, with the reason, the few points where FerretDB is known to
# differ from MongoDB (docs/mongodb.md).
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use CWC::MongoServer;
use File::Temp qw(tempfile);
use TAP::Parser;
use Test::More;

my $suite = "$CWC::MongoServer::ROOT/build/asan/t/store-conformance.t";

# Runs the suite against `uri` and reports each of its results as ours.
sub run_suite {
	my ($name, $uri, $peer) = @_;
	subtest "conformance suite on $name" => sub {
		local $ENV{CWC_TEST_STORE_URI} = $uri;
		local $ENV{CWC_TEST_STORE_PEER} = $peer;
		# The suite's stderr (its log lines, a sanitizer's report) is
		# shown afterwards, without libmongoc's expected warnings.
		my (undef, $errfile) = tempfile('cwc-conformance-XXXXXX', TMPDIR => 1, UNLINK => 1);
		my $p = TAP::Parser->new({ exec => [ 'sh', '-c', 'exec "$0" 2>"$1"', $suite, $errfile ] });
		my ($tests, @comments) = (0);
		while (my $r = $p->next) {
			if ($r->is_test) {
				$tests++;
				my $desc = $r->description;
				$desc =~ s/^-\s*//;
				# The suite explains a failure in comments just before it.
				if ($r->is_actual_ok || $r->has_skip) {
					note @comments if @comments;
				} else {
					diag @comments if @comments;
				}
				@comments = ();
				if ($r->has_skip) {
					SKIP: { skip $r->explanation, 1 }
				} elsif ($r->has_todo) {
					TODO: { local $TODO = $r->explanation; ok $r->is_actual_ok, $desc }
				} else {
					ok $r->is_actual_ok, $desc;
				}
			} elsif ($r->is_comment) {
				push @comments, ($r->as_string =~ s/^#\s?//r) . "\n";
			} elsif ($r->is_bailout) {
				fail 'the suite bailed out: ' . $r->explanation;
			} elsif ($r->is_unknown && $r->as_string =~ /\S/) {
				diag $r->as_string;
			}
		}
		note @comments if @comments;
		open my $fh, '<', $errfile or die "$errfile: $!";
		my @stderr = <$fh>;
		my @shown = grep { !/"msg":"mongoc (client: Couldn't send \\"endSessions|stream: Failed to buffer)/ } @stderr;
		@shown = @stderr if $p->exit;
		diag "suite's stderr:\n", @shown if @shown;
		ok $tests > 0, "the suite ran tests ($tests)";
		is $p->tests_run, $p->tests_planned // -1, 'the suite ran as many tests as it planned';
		is $p->exit, 0, 'the suite exited with status 0 (no failure, no sanitizer report)';
		done_testing;
	};
}

# A real MongoDB's URI, with a database when it names none (never the
# application's default database).
sub with_database {
	my ($uri, $db) = @_;
	my ($head, $query) = $uri =~ /^([^?]*)(\?.*)?$/;
	$query //= '';
	my ($scheme_hosts, $path) = $head =~ m{^(mongodb(?:\+srv)?://[^/]*)(?:/(.*))?$}
		or return $uri;
	return $uri if defined $path && length $path;
	return "$scheme_hosts/$db$query";
}

ok -x $suite, 'the conformance suite is built (make unit)'
	or BAIL_OUT("$suite missing: run `make unit`");

my $why = CWC::MongoServer->unavailable;
SKIP: {
	skip $why, 1 if $why;
	my $m = CWC::MongoServer->start;
	run_suite('FerretDB (t/mongo-server)', $m->uri('cwc_conformance'), 'ferretdb');
	$m->stop;
}

SKIP: {
	skip 'CWC_TEST_MONGODB_URI is not set (a real MongoDB, see docs/mongodb.md)', 1
		unless $ENV{CWC_TEST_MONGODB_URI};
	run_suite('MongoDB (CWC_TEST_MONGODB_URI)',
		  with_database($ENV{CWC_TEST_MONGODB_URI}, 'cwc_conformance'), 'mongodb');
}

done_testing;
