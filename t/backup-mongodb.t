#!/usr/bin/perl
# cwc-backup across backends (docs/backup.md): a dump of an embedded store
# filled by the apps restores into the MongoDB backend, which dumps it back
# identical, and that dump restores into a fresh embedded store, identical
# again: how an embedded install moves to MongoDB. Against the
# MongoDB-compatible test server (FerretDB, t/mongo-server/) in every run,
# and against a real MongoDB when CWC_TEST_MONGODB_URI names one (its
# database is replaced: use a throwaway one).
#
# FerretDB has no TTL indexes (code 238, docs/ferretdb.md): restoring the
# dump as it is must fail cleanly there (undone, nothing left), so the
# round trip uses a copy of the dump without its TTL indexes. That
# difference is the test's, not the tool's.
#
# The independent dump reader (python3-bson) is t/lib/dumpread.py.
use strict;
use warnings;
use utf8;
use FindBin;
use lib "$FindBin::Bin/lib";
use CWC::MongoServer;
use CWC::Backup;
use CWC::Stack;
use Encode ();
use File::Temp qw(tempdir);
use JSON::PP;
use Test::More;
binmode $_, ':encoding(UTF-8)' for map { Test::More->builder->$_ } qw(output failure_output todo_output);

my $why = CWC::MongoServer->unavailable;
plan skip_all => $why if $why;

my $tmp = tempdir('cwc-backup-mongo-XXXXXX', TMPDIR => 1, CLEANUP => !$ENV{CWC_KEEP_TMP});

sub config {
	my ($dir, $uri) = @_;
	return { CWC_ENV_FILE => '/dev/null', CWC_DATA_DIR => $dir, MONGODB_URI => $uri,
		 CWC_BACKUP_KEEP => undef, LOG_LEVEL => 'warn' };
}

# Dumps the store of `config` into a new folder; returns the reader's summary.
my $dumps = 0;
sub dump_of {
	my ($config, $name) = @_;
	my ($rc, $out) = backup($config, 'dump', '--out', "$tmp/dumps-" . ++$dumps);
	is $rc, 0, "$name: dump" or diag $out;
	my ($dir) = $out =~ /^dump complete: (\S+) /m;
	return $dir ? py('dump', $dir) : { colls => {} };
}

# The same documents (as a multiset: the order is the server's) and indexes.
sub same_content {
	my ($got, $want, $name) = @_;
	my $pick = sub {
		my ($s) = @_;
		return { map { $_ => { count => $s->{colls}{$_}{count}, docs => $s->{colls}{$_}{docs},
				       indexes => $s->{colls}{$_}{indexes} } } keys %{ $s->{colls} } };
	};
	is_deeply $pick->($got), $pick->($want), $name;
}

# ---- an embedded store filled by the apps, and its dump ----------------------
my $s = CWC::Stack->start;
my $client = $s->login('client');
my $staff = $s->login('staff', undef, host => 'admin');
$s->new_client('zoe.mongo@example.com', givenName => 'Zoé');
$s->post('/api/auth/forgot-password', json => { email => 'zoe.mongo@example.com' });
$s->wait_mail('zoe.mongo@example.com', qr{reset-password});
my $conv = $s->post('/api/conversations', session => $client, json => {})->{json}{id};
my $first = $s->post("/api/conversations/$conv/messages", session => $client,
		     json => { content => 'Un café allongé, s’il vous plaît ☕' })->{json}{id};
$s->post("/api/conversations/$conv/messages", session => $staff,
	 json => { content => 'Tout de suite !', replyTo => $first });
$s->post("/api/conversations/$conv/read", session => $client, json => {});
$s->stop;

my $embedded = config($s->data_dir, undef);
my ($rc, $out) = backup($embedded, 'dump', '--out', "$tmp/source");
is $rc, 0, 'the embedded store dumps' or diag $out;
my ($source) = $out =~ /^dump complete: (\S+) /m;
my $src = py('dump', $source);
ok $src->{colls}{messages}{count} && $src->{colls}{sessions}{count} && $src->{colls}{passwordresettokens}{count},
	'with messages, sessions and reset tokens';
my @ttl = grep { grep { defined $_->{ttl} } @{ $src->{colls}{$_}{indexes} } } sort keys %{ $src->{colls} };
is_deeply \@ttl, [qw(passwordresettokens sessions)], 'and TTL indexes (passwordresettokens, sessions)';

# The same dump without TTL indexes, for FerretDB.
py('strip-ttl', $source, "$tmp/source-no-ttl");
my $src_no_ttl = py('dump', "$tmp/source-no-ttl");

# ---- each MongoDB server ---------------------------------------------------------
my $m = CWC::MongoServer->start;
my @targets = ([ 'FerretDB', $m->uri('cafe_backup'), 0 ]);
push @targets, [ 'MongoDB', $ENV{CWC_TEST_MONGODB_URI}, 1 ] if $ENV{CWC_TEST_MONGODB_URI};

for my $t (@targets) {
	my ($name, $uri, $has_ttl) = @$t;
	my ($db) = $uri =~ m{^mongodb(?:\+srv)?://[^/]+/([^?]+)} or die "no database in $uri";
	my $mongo = config("$tmp/$name-data", $uri);
	my ($dump, $want) = ($source, $src);

	if (!$has_ttl) {
		($rc, $out) = backup($mongo, 'restore', $source, '--drop');
		isnt $rc, 0, "$name: the dump with TTL indexes does not restore (FerretDB has none)";
		like $out, qr/create index \S+ of (passwordresettokens|sessions):/, "$name: naming the index";
		like $out, qr/the collections it had written were dropped again: .*conversations/,
			"$name: what was written before is dropped again";
		is_deeply [ sort keys %{ dump_of($mongo, "$name after the failed restore")->{colls} } ], [],
			"$name: the database is left empty";
		($dump, $want) = ("$tmp/source-no-ttl", $src_no_ttl);
	}
	($rc, $out) = backup($mongo, 'restore', $dump, '--drop');
	is $rc, 0, "$name: the embedded store's dump restores into MongoDB" or diag $out;
	like $out, qr/^restoring into the mongodb store/m, "$name: the MongoDB backend";
	my $got = dump_of($mongo, $name);
	is $got->{db}, $db, "$name: its dump's database folder is the URI's database ($db)";
	same_content($got, $want, "$name: its dump holds every document (byte for byte) and index of the source");

	($rc, $out) = backup($mongo, 'restore', $dump);
	isnt $rc, 0, "$name: a second restore without --drop is refused";
	like $out, qr/collection \w+ is not empty/, "$name: naming a non-empty collection";
	same_content(dump_of($mongo, "$name after the refusal"), $want, "$name: the database is unchanged");

	# ... and back: the MongoDB dump into a fresh embedded store.
	my $back = config("$tmp/$name-back", undef);
	($rc, $out) = backup($mongo, 'dump', '--out', "$tmp/$name-mongo-dump");
	my ($md) = $out =~ /^dump complete: (\S+) /m;
	($rc, $out) = backup($back, 'restore', $md);
	is $rc, 0, "$name: the MongoDB dump restores into a fresh embedded store" or diag $out;
	same_content(dump_of($back, "$name → embedded"), $want,
		"$name: embedded → MongoDB → embedded: identical documents and indexes");
}

done_testing;
