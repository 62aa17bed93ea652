#!/usr/bin/perl
# cwc-backup on the embedded store (docs/backup.md): a store filled by the
# real apps (accounts, sessions, reset tokens, mails, chats) is dumped in
# mongodump's format, which an independent BSON reader (Debian's
# python3-bson, t/lib/dumpread.py) decodes and finds identical to
# the store; it restores into a fresh store, byte for byte, and the apps
# run on it; a restore refuses a non-empty store unless --drop, refuses a
# corrupt or truncated dump naming the file, and then changes nothing; a
# write that fails half-way is undone; --keep deletes only the oldest
# dumps; a dump that cannot be written leaves nothing that looks complete;
# a dump written by another tool (every BSON type, uncompressed, indexes
# the store has not) restores.
use strict;
use warnings;
use utf8;
use FindBin;
use lib "$FindBin::Bin/lib";
use CWC::Backup;
use CWC::Stack;
use File::Path qw(make_path remove_tree);
use Encode ();
use File::Temp qw(tempdir);
use JSON::PP;
use Test::More;
binmode $_, ':encoding(UTF-8)' for map { Test::More->builder->$_ } qw(output failure_output todo_output);

my $tmp = tempdir('cwc-backup-XXXXXX', TMPDIR => 1, CLEANUP => !$ENV{CWC_KEEP_TMP});

# The configuration of an embedded store in `dir` (no stack needed).
sub embedded {
	my ($dir) = @_;
	return { CWC_ENV_FILE => '/dev/null', CWC_DATA_DIR => $dir, MONGODB_URI => undef,
		 CWC_BACKUP_KEEP => undef, LOG_LEVEL => 'warn' };
}

sub store_of { py('store', "$_[0]/cwc.sqlite3") }

# Are the collections of two summaries (dump or store) the same documents
# (byte for byte, in the same order) and the same indexes?
sub same_content {
	my ($got, $want, $name) = @_;
	my %g = map { $_ => { count => $got->{colls}{$_}{count}, sha => $got->{colls}{$_}{sha},
			      indexes => $got->{colls}{$_}{indexes} } } keys %{ $got->{colls} };
	my %w = map { $_ => { count => $want->{colls}{$_}{count}, sha => $want->{colls}{$_}{sha},
			      indexes => $want->{colls}{$_}{indexes} } } keys %{ $want->{colls} };
	is_deeply \%g, \%w, $name;
}

sub copy_tree {
	my ($from, $to) = @_;
	system('cp', '-a', $from, $to) == 0 or die "cp $from $to failed";
}

sub slurp { open my $fh, '<:raw', $_[0] or die "$_[0]: $!"; local $/; return <$fh> }
sub spew { open my $fh, '>:raw', $_[0] or die "$_[0]: $!"; print {$fh} $_[1]; close $fh }

# ---- a store filled by the apps ------------------------------------------
my $s = CWC::Stack->start;
my $client = $s->login('client');
my $staff = $s->login('staff', undef, host => 'admin');
my $admin = $s->login('admin', undef, host => 'admin');
my $zoe = $s->new_client('zoe.backup@example.com', givenName => 'Zoé', password => 'zoe-password-42');
$s->post('/api/auth/forgot-password', json => { email => 'zoe.backup@example.com' });
$s->wait_mail('zoe.backup@example.com', qr{reset-password});

my $r = $s->post('/api/conversations', session => $client, json => {});
my $conv = $r->{json}{id} or die "no conversation: $r->{content}";
my $first = $s->post("/api/conversations/$conv/messages", session => $client,
		     json => { content => "Bonjour ! Une table près de la fenêtre demain ? ☕" })->{json}{id};
$s->post("/api/conversations/$conv/messages", session => $staff,
	 json => { content => "Oui, c'est noté 𝄞", replyTo => $first });
$s->post("/api/conversations/$conv/read", session => $client, json => {});
$s->post('/api/conversations', session => $admin,
	 json => { type => 'group', name => 'Équipe', participants => [ $staff->{user}{id} ] });
# Long messages of random letters: a collection whose dump is well over
# 64 KiB even compressed (the failed-write case below needs one).
srand 42;
for my $i (1 .. 40) {
	my $text = join '', map { ('a' .. 'z', ' ')[int rand 27] } 1 .. 5000;
	$r = $s->post("/api/conversations/$conv/messages", session => $client, json => { content => $text });
	die "message $i: $r->{status}" unless $r->{status} == 201;
}
# The mailer would still update the outbox; the apps stay up.
$s->stop_component('mailer');

my %env_a = ($s->app_env, MONGODB_URI => undef, CWC_BACKUP_KEEP => undef);
my $data_a = $s->data_dir;

# ---- dump ------------------------------------------------------------------
my ($rc, $out) = backup(\%env_a, 'dump');
is $rc, 0, 'dump of a running stack succeeds' or diag $out;
my ($dump) = $out =~ /^dump complete: (\S+) /m;
like $dump // '', qr{^\Q$data_a\E/backups/\d{4}-\d\d-\d\dT\d{6}Z$},
	'into $CWC_DATA_DIR/backups/<UTC time>, e.g. 2026-11-25T020000Z';
ok !glob("$data_a/backups/.tmp-*"), 'no temporary folder is left';

my $d = py('dump', $dump);
my $store_a = store_of($data_a);
is $d->{db}, 'coworking-cafe', 'the database folder of the embedded store is coworking-cafe';
is_deeply [ sort keys %{ $d->{colls} } ], [ sort keys %{ $store_a->{colls} } ],
	'every collection of the store is in the dump';
same_content($d, $store_a, 'python3-bson decodes every document: the same bytes, order and indexes as the store');
ok((grep { $d->{colls}{$_}{count} } qw(roles users sessions passwordresettokens outbox conversations messages)) == 7,
	'with data in roles, users, sessions, passwordresettokens, outbox, conversations, messages');
is $d->{colls}{messages}{count}, 42, 'all 42 messages';
my @files = sort keys %{ $d->{modes} };
ok !(grep { !/\.(bson|metadata\.json)\.gz$/ } @files), 'only .bson.gz and .metadata.json.gz files';
is scalar(@files), 2 * keys %{ $d->{colls} }, 'two files per collection';
my %types = map { $_->{type} // 'none' => 1 } values %{ $d->{colls} };
is_deeply \%types, { collection => 1 }, 'metadata: type "collection"';
ok !(grep { ($d->{colls}{$_}{collectionName} // '') ne $_ } keys %{ $d->{colls} }), 'metadata: collectionName';
ok !(grep { ($d->{colls}{$_}{first_index} // '') ne '_id_' } keys %{ $d->{colls} }), 'metadata: _id_ listed first';
is_deeply $d->{colls}{users}{meta_keys}, [qw(indexes collectionName type)], "metadata keys in mongodump's order";
is_deeply [ map { [ $_->{name}, $_->{unique}, $_->{ttl} ] } @{ $d->{colls}{sessions}{indexes} } ],
	[ [ 'expires_1', JSON::PP::false, 0 ], [ 'sessionToken_1', JSON::PP::true, undef ], [ 'userId_1', JSON::PP::false, undef ] ],
	'metadata: unique and TTL (expireAfterSeconds) indexes';
is $d->{colls}{users}{key_json}, '{"email":{"$numberInt":"1"}}', 'index keys in canonical Extended JSON';
is_deeply [ grep { $d->{modes}{$_} ne '0o600' } @files ], [], 'files are readable by their owner only (0600)';
is $d->{top_mode}, '0o700', 'and the dump folder too (0700)';

# ---- restore into a fresh store --------------------------------------------
my $b = "$tmp/b";
($rc, $out) = backup(embedded($b), 'restore', $dump);
is $rc, 0, 'restore into a fresh embedded store' or diag $out;
like $out, qr/^restore complete: \d+ collections, \d+ documents/m, 'and says so';
same_content(store_of($b), $d, 'the restored store holds every document and index of the dump');
($rc, $out) = backup(embedded($b), 'dump', '--out', "$tmp/b-dumps");
is $rc, 0, 'the restored store dumps' or diag $out;
my ($dump_b) = $out =~ /^dump complete: (\S+) /m;
my $db_ = py('dump', $dump_b);
is_deeply { map { $_ => [ $db_->{colls}{$_}{bson_text}, $db_->{colls}{$_}{meta_text} ] } keys %{ $db_->{colls} } },
	{ map { $_ => [ $d->{colls}{$_}{bson_text}, $d->{colls}{$_}{meta_text} ] } keys %{ $d->{colls} } },
	'dump → restore → dump: every file decompresses to the same bytes';

# The apps run on the restored store, with the restored accounts.
my $sb = CWC::Stack->start(data_dir => $b);
my $client_b = $sb->login('client');
$r = $sb->get("/api/conversations/$conv/messages?limit=50", session => $client_b);
is $r->{status}, 200, 'a customer signs in on the restored store and opens their conversation';
is scalar @{ $r->{json}{messages} // [] }, 42, 'with its 42 messages';
my $zoe_b = $sb->login('zoe.backup@example.com', 'zoe-password-42');
ok $zoe_b->{cookie}, 'an account registered before the dump signs in with its password';
$r = $sb->post('/api/conversations', session => $zoe_b, json => {});
$r = $sb->post("/api/conversations/$r->{json}{id}/messages", session => $zoe_b, json => { content => 'après la restauration' });
is $r->{status}, 201, 'and writes (the store now differs from the dump)';
$sb->stop;
undef $sb;

# ---- refusals that change nothing -------------------------------------------
my $before = store_of($b);
($rc, $out) = backup(embedded($b), 'restore', $dump);
isnt $rc, 0, 'restore into a non-empty store without --drop is refused';
like $out, qr/collection messages is not empty \(43 documents\).*--drop/, 'naming the collection and --drop';
like $out, qr/nothing was restored: the store is unchanged/, 'saying nothing was restored';
is_deeply store_of($b), $before, 'and the store is unchanged';

# Each bad dump is restored with --drop into the changed store: it must be
# refused before anything is dropped. The damaged collections sort late, so
# a restore that wrote before checking would have replaced others first.
my @bad = (
	[ 'flipped bytes in users.bson.gz', 'users.bson.gz', sub {
		my $f = shift;
		my $z = slurp($f);
		substr($z, int(length($z) / 2) + $_, 1) ^= "\xff" for 0 .. 3;
		spew($f, $z);
	  }, qr/users\.bson\.gz: (corrupt gzip data|truncated|.*document)/ ],
	[ 'a truncated messages.bson.gz', 'messages.bson.gz', sub {
		my $f = shift;
		spew($f, substr(slurp($f), 0, int((-s $f) / 2)));
	  }, qr/messages\.bson\.gz: truncated gzip data/ ],
	[ 'an uncompressed users.bson cut in a document', 'users.bson', sub {
		my $f = shift;
		system("gzip -dc '$f.gz' > '$f' && rm '$f.gz'") == 0 or die;
		spew($f, substr(slurp($f), 0, -10));
	  }, qr/users\.bson: truncated: document \d+ \(offset \d+\) is \d+ bytes, the file ends after \d+/ ],
	[ 'a document with an impossible size', 'sessions.bson.gz', sub {
		py('rewrite', shift, 'badlen');
	  }, qr/sessions\.bson\.gz: document 2 \(offset \d+\) claims \d+ bytes: not BSON/ ],
	[ 'a document that is not BSON', 'sessions.bson.gz', sub {
		py('rewrite', shift, 'badbson');
	  }, qr/sessions\.bson\.gz: document 2 \(offset \d+\) is not valid BSON/ ],
	[ 'a field the store refuses ($ref)', 'users.bson.gz', sub {
		py('rewrite', shift, 'dollar');
	  }, qr/users\.bson\.gz: document 2: field names cannot start with '\$': '\$ref'/ ],
	[ 'metadata that is not JSON', 'users.metadata.json.gz', sub {
		my $f = shift;
		system("printf '{\"indexes\": [' | gzip > '$f'") == 0 or die;
	  }, qr/users\.metadata\.json\.gz: not a metadata file/ ],
	[ 'a .bson.gz that is not gzip', 'users.bson.gz', sub {
		my $f = shift;
		system("gzip -dc '$f' > '$f.x' && mv '$f.x' '$f'") == 0 or die;
	  }, qr/users\.bson\.gz: not gzip data/ ],
);
my $bad_n = 0;
for my $case (@bad) {
	my ($what, $file, $damage, $message) = @$case;
	my $copy = "$tmp/bad-" . ++$bad_n;
	copy_tree($dump, $copy);
	$damage->("$copy/coworking-cafe/$file");
	($rc, $out) = backup(embedded($b), 'restore', $copy, '--drop');
	isnt $rc, 0, "$what: restore fails";
	like $out, $message, "$what: the message names the file and the fault" or diag $out;
	is_deeply store_of($b), $before, "$what: the store is unchanged";
}

# ---- restore --drop -----------------------------------------------------------
($rc, $out) = backup(embedded($b), 'restore', $dump, '--drop');
is $rc, 0, 'restore --drop into the non-empty store succeeds' or diag $out;
same_content(store_of($b), $d, 'it holds exactly the dump again (the later message is gone)');
($rc, $out) = backup(embedded($b), 'restore', "$dump/coworking-cafe", '--drop');
is $rc, 0, 'DUMP_DIR may also be the database folder' or diag $out;

# ---- a write that fails half-way is undone -----------------------------------
{
	my $copy = "$tmp/dup";
	copy_tree($dump, $copy);
	py('dupdoc', "$copy/coworking-cafe/users.bson.gz");   # the same _id twice
	my $c = "$tmp/c";
	($rc, $out) = backup(embedded($c), 'restore', $copy);
	isnt $rc, 0, 'a restore whose insert fails (duplicate _id) fails';
	like $out, qr/insert into users: E11000 duplicate key/, 'naming the collection and the error';
	like $out, qr/the restore did not finish; the collections it had written were dropped again: .*roles/,
		'and drops what it had written';
	is_deeply store_of($c)->{colls}, {}, 'the fresh store is empty again';
}

# ---- --keep ---------------------------------------------------------------------
{
	my $dir = "$tmp/keep";
	make_path("$dir/2020-01-01T000000Z/coworking-cafe", "$dir/notes", "$dir/.tmp-2020-01-01T000000Z-1",
		  "$dir/2020-01-01T000000Z-backup");
	spew("$dir/2019-01-01T000000Z", 'a file, not a dump');
	symlink "$dir/notes", "$dir/2018-01-01T000000Z" or die;
	my @made;
	for (1 .. 4) {
		($rc, $out) = backup(\%env_a, 'dump', '--out', $dir, '--keep', 2);
		is $rc, 0, "dump $_ with --keep 2" or diag $out;
		push @made, $out =~ m{^dump complete: \Q$dir\E/(\S+) }m;
	}
	like $out, qr/^removed old dump \Q$made[1]\E$/m, 'it says which dump it removed';
	my @left = sort grep { -d "$dir/$_" && !-l "$dir/$_" && /^\d{4}-\d\d-\d\dT\d{6}Z(-\d+)?$/ }
		map { s{.*/}{}r } glob "$dir/*";
	is_deeply \@left, [ @made[2, 3] ], '4 dumps with --keep 2 leave the 2 newest';
	ok -f "$dir/2019-01-01T000000Z" && -l "$dir/2018-01-01T000000Z" && -d "$dir/notes" &&
	   -d "$dir/.tmp-2020-01-01T000000Z-1" && -d "$dir/2020-01-01T000000Z-backup",
		'nothing else is touched (a file, a link, other folders, a temporary folder)';
	($rc, $out) = backup({ %env_a, CWC_BACKUP_KEEP => 1 }, 'dump', '--out', $dir);
	is $rc, 0, 'CWC_BACKUP_KEEP is the default of --keep';
	is scalar(grep { /^\d{4}-\d\d-\d\dT\d{6}Z(-\d+)?$/ && -d "$dir/$_" && !-l "$dir/$_" }
		  map { s{.*/}{}r } glob "$dir/*"), 1, 'CWC_BACKUP_KEEP=1 leaves 1';
	($rc, $out) = backup(\%env_a, 'list', '--out', $dir);
	is $rc, 0, 'list';
	like $out, qr/^\d{4}-\d\d-\d\dT\d{6}Z\S*\s+[\d.]+ (KiB|MiB)\s+coworking-cafe \(\d+ collections\)$/m,
		'list: each dump with its size and collections';
	like $out, qr/^1 dump in \Q$dir\E, [\d.]+ (KiB|MiB)$/m, 'list: the total';
	like $out, qr/^\.tmp-2020-01-01T000000Z-1: unfinished/m, 'list: an unfinished dump is pointed out';
}

# ---- a dump that cannot be written ------------------------------------------------
{
	my $file = "$tmp/a-file";
	spew($file, '');
	($rc, $out) = backup(\%env_a, 'dump', '--out', "$file/backups");
	isnt $rc, 0, 'dump into an unusable --out (under a file) fails';
	like $out, qr{cannot create \Q$file\E/backups: Not a directory}, 'with the reason';
	like $out, qr/dump failed: no dump was written/, 'saying no dump was written';

	# A write error half-way (the file size limit: root ignores permissions).
	my $dir = "$tmp/full";
	make_path($dir);
	{
		local %ENV = (%ENV, %env_a);
		my $cmd = join ' ', map { quotemeta } 'sh', '-c', 'trap "" XFSZ; ulimit -f 100; exec "$0" "$@"',
			backup_bin(), 'dump', '--out', $dir;
		$out = `$cmd 2>&1 </dev/null`;
		$rc = $? >> 8;
	}
	isnt $rc, 0, 'a dump that fails half-way (file too large) fails';
	like $out, qr/cannot write \S+messages\.bson\.gz: File too large/, 'naming the file and the reason' or diag $out;
	like $out, qr/^\s+conversations\s+\d+ documents/m, 'after other collections were written';
	opendir my $dh, $dir or die;
	is_deeply [ grep { !/^\.\.?$/ } readdir $dh ], [], 'and leaves nothing in --out: no dump, no temporary folder';
	if ($> != 0) {
		my $ro = "$tmp/read-only";
		make_path($ro);
		chmod 0555, $ro;
		($rc, $out) = backup(\%env_a, 'dump', '--out', $ro);
		isnt $rc, 0, 'dump into a read-only --out fails';
		like $out, qr/Permission denied/, 'with the reason';
	}
}

# ---- a dump written by another tool: every BSON type, uncompressed ----------------
{
	my $dir = "$tmp/other";
	my $want = py('mkdump', $dir);
	my $k = "$tmp/kitchen";
	($rc, $out) = backup(embedded($k), 'restore', $dir);
	is $rc, 0, "a mongodump-style dump (uncompressed .bson, another tool's metadata) restores" or diag $out;
	like $out, qr/index string_text of kitchen not restored: the store has no "text" indexes/,
		'a text index is left out, with a warning';
	like $out, qr/index stripe_1 of kitchen not restored: it is unique and sparse/,
		'so is a unique sparse index';
	like $out, qr/index t_1 of kitchen restored without "sparse"/, 'a sparse one becomes a plain index';
	($rc, $out) = backup(embedded($k), 'dump', '--out', "$k/dumps");
	my ($again) = $out =~ /^dump complete: (\S+) /m;
	my $g = py('dump', $again);
	is_deeply $g->{colls}{kitchen}{order}, $want->{kitchen},
		'every BSON type comes back byte for byte (double, -0.0, NaN, ±inf, string with NUL, '
		. 'document, array, binary, undefined, ObjectId, bool, dates, null, regex, DBPointer, '
		. 'code, symbol, code with scope, int32, timestamp, int64, decimal128, MinKey, MaxKey)';
	is_deeply [ map { [ $_->{name}, $_->{key}, $_->{unique}, $_->{ttl} ] } @{ $g->{colls}{kitchen}{indexes} } ],
		[ [ 'by_serial', [ [ 'serial', 1 ] ], JSON::PP::true, undef ],
		  [ 'expiresAt_1', [ [ 'expiresAt', 1 ] ], JSON::PP::false, 3600 ],
		  [ 'i32_1_date_-1', [ [ 'i32', 1 ], [ 'date', -1 ] ], JSON::PP::false, undef ],
		  [ 't_1', [ [ 't', 1 ] ], JSON::PP::false, undef ] ],
		'its indexes: compound, unique, TTL, given as int, long or double';
	is_deeply $g->{colls}{'cafés'}{order}, $want->{'cafés'}, 'a collection with an escaped file name (caf%C3%A9s.bson)';
	ok exists $g->{files}{'caf%C3%A9s.bson.gz'}, 'dumped under the same escaped name';
}

# ---- usage -------------------------------------------------------------------------
for my $args ([], ['frobnicate'], [qw(dump --keep 0)], [qw(dump --keep x)], [qw(dump --keep)],
	      [qw(dump --bogus)], ['restore'], [qw(restore a b)], [qw(restore a --out x)], [qw(list --drop)]) {
	($rc, $out) = backup(embedded("$tmp/u"), @$args);
	is $rc, 2, "usage error: cwc-backup @$args → exit 2";
}
($rc, $out) = backup(embedded("$tmp/u"), '--help');
is $rc, 0, '--help';
like $out, qr/^  dump \[--out DIR\] \[--keep N\]$/m, 'it lists the commands';
($rc, $out) = backup(embedded("$tmp/u"), 'restore', "$tmp/does-not-exist");
is $rc, 1, 'restore of a missing folder: exit 1';
like $out, qr/does-not-exist: No such file or directory/, 'naming it';
($rc, $out) = backup({ %{ embedded("$tmp/u") }, CWC_BACKUP_KEEP => 'many' }, 'dump');
is $rc, 1, 'a bad CWC_BACKUP_KEEP: exit 1';
like $out, qr/CWC_BACKUP_KEEP must be a number/, 'naming the variable';

done_testing;

