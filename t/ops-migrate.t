#!/usr/bin/perl
# `cwc-ctl migrate DUMP_DIR` (issue 16 item 3): a synthetic mongodump of the
# original database, with every legacy form — roles with levels 4/3/2/1,
# string roles, the `admins` collection (one of them also a customer),
# bcrypt hashes, space types desk / meeting-room-glass / meeting-room-floor /
# event-space / meeting-room, prices and dates written as strings, "9:00",
# 00:00–00:00 full days, bookings without a confirmation number, and
# collections the new platform has no use for — migrated on a fresh stack:
# a dump of another shape is refused and writes nothing; the dry run
# writes nothing; the run converts or reports every document (in =
# converted + reported); a second run changes nothing; a customer logs in
# with their old password and sees their bookings; the staff logs in on
# the back office; the live bookings' slots are taken.
use strict;
use warnings;
use utf8;
use FindBin;
use lib "$FindBin::Bin/lib";
use CWC::MongoServer;
use CWC::Stack;
use File::Path qw(make_path);
use JSON::PP;
use POSIX qw(strftime);
use Test::More;
binmode $_, ':encoding(UTF-8)' for map { Test::More->builder->$_ } qw(output failure_output todo_output);

my $root = $CWC::Stack::ROOT;
my $writer = "$root/build/asan/t/tools/bson-write";
plan skip_all => "$writer is not built (make -f build.mk all)" unless -x $writer;

my $s = CWC::Stack->start;
my $dir = $s->dir;
# the meeting room booking's day: not a public holiday (the café closes)
my $hours = $s->get('/api/global-hours');
my %holiday = map { $_->{date} => 1 } @{ $hours->{json}{holidays} // [] };
my $glass_in = 14;
$glass_in++ while $holiday{ day($glass_in) };
my $n = 0;
sub oid { sprintf '64a1%020x', ++$n }
sub ref_oid { { '$oid' => $_[0] } }
sub date_ms { { '$date' => { '$numberLong' => "$_[0]" } } }
sub day { strftime('%Y-%m-%d', gmtime(time + $_[0] * 86400)) }
sub day_date {   # a BSON date at 00:00 UTC of the day in N days
	my $t = time + $_[0] * 86400;
	return date_ms(($t - $t % 86400) * 1000);
}
sub bcrypt { crypt($_[0], '$2b$10$' . 'abcdefghijklmnopqrstuv') }

# Writes DUMP/DB/COLL.bson from a list of documents (Extended JSON).
sub write_coll {
	my ($db_dir, $coll, @docs) = @_;
	make_path($db_dir);
	my $json = JSON::PP->new->canonical->utf8;
	open my $w, '|-', $writer, "$db_dir/$coll.bson" or die "$writer: $!";
	print $w $json->encode($_), "\n" for @docs;
	close $w or die "bson-write $coll failed: $?";
}

# ---- the original's dump ---------------------------------------------------
my %role = map { $_ => oid() } qw(dev admin staff client);
my $alice = oid();
my $olivia = oid();
my $bob = oid();
my $conv = oid();
my %b = map { $_ => oid() } qw(desk full past glass guest badtype baddate);
my $db = "$dir/dump/coworking_cafe";
my $level = 4;
write_coll($db, 'roles', map { { _id => ref_oid($role{$_}), name => ucfirst, slug => $_,
	level => $level--, isSystem => JSON::PP::true, permissions => [] } } qw(dev admin staff client));
write_coll($db, 'users',
	{ _id => ref_oid($alice), email => ' Alice.Martin@Example.com', password => bcrypt('ancien-mot-de-passe'),
	  givenName => 'Alice', username => 'alice', role => ref_oid($role{client}), pin => '1234',
	  emailVerifiedAt => '2024-03-01T10:00:00.000Z', newsletter => JSON::PP::false,
	  createdAt => '2024-02-28T09:12:00.000Z', updatedAt => date_ms(1709290000000) },
	{ _id => ref_oid($bob), email => 'bob@example.com', password => bcrypt('bob-password-1'),
	  givenName => 'Bob', role => 'client', emailVerifiedAt => date_ms(1709290000000) },
	{ _id => ref_oid($olivia), email => 'olivia@coworkingcafe.fr', password => bcrypt('olivia-site-1'),
	  givenName => 'Olivia', role => ref_oid($role{client}), emailVerifiedAt => date_ms(1709290000000) },
	{ _id => ref_oid(oid()), email => 'pas-une-adresse', password => bcrypt('x-x-x-x-x') });
my $dev = oid();
my $staff = oid();
write_coll($db, 'admins',
	{ _id => ref_oid($dev), email => 'Dev@CoworkingCafe.fr', password => bcrypt('dev-ancien-1'),
	  givenName => 'Dev', role => 'dev', employeeId => undef, createdAt => date_ms(1700000000000) },
	{ _id => ref_oid(oid()), email => 'olivia@coworkingcafe.fr', password => bcrypt('olivia-admin-1'),
	  dashboardPin => bcrypt('123456'), givenName => 'Olivia', role => 'admin' },
	{ _id => ref_oid($staff), email => 'staff@coworkingcafe.fr', password => bcrypt('staff-ancien-1'),
	  givenName => 'Équipe', role => 'staff' },
	{ _id => ref_oid(oid()), email => 'root@coworkingcafe.fr', password => bcrypt('r-r-r-r-r'), role => 'superuser' });
my %space = (hourly => 6, daily => 30, weekly => 120, monthly => 400);
write_coll($db, 'spaceconfigurations',
	{ _id => ref_oid(oid()), spaceType => 'open-space', name => 'Open-space', slug => 'open-space',
	  pricing => { %space, perPerson => JSON::PP::true }, availableReservationTypes => { hourly => JSON::PP::true, daily => JSON::PP::true },
	  minCapacity => 1, maxCapacity => 40, isActive => JSON::PP::true, isDeleted => JSON::PP::false },
	{ _id => ref_oid(oid()), spaceType => 'meeting-room-glass', name => 'Salle Verrière', slug => 'salle-verriere',
	  pricing => { hourly => '25,00', daily => '150', weekly => '0', monthly => '0' },
	  availableReservationTypes => { hourly => JSON::PP::true, daily => JSON::PP::true },
	  minCapacity => 1, maxCapacity => '5', isActive => JSON::PP::true, isDeleted => JSON::PP::false },
	{ _id => ref_oid(oid()), spaceType => 'salle-etage', name => "Salle de l'Étage", slug => 'salle-etage',
	  pricing => { hourly => 40, daily => 250, weekly => 0, monthly => 0 },
	  availableReservationTypes => { hourly => JSON::PP::true, daily => JSON::PP::true },
	  minCapacity => 1, maxCapacity => 15, isActive => JSON::PP::true, isDeleted => JSON::PP::false },
	{ _id => ref_oid(oid()), spaceType => 'evenementiel', name => 'Événementiel', slug => 'evenementiel',
	  pricing => { hourly => 0, daily => 0, weekly => 0, monthly => 0 }, requiresQuote => JSON::PP::true,
	  minCapacity => 1, maxCapacity => 60, isActive => JSON::PP::true, isDeleted => JSON::PP::false });
my %open = (isOpen => JSON::PP::true, openTime => '09:00', closeTime => '20:00');
write_coll($db, 'globalhoursconfigurations',
	{ _id => ref_oid(oid()), defaultHours => { map { $_ => {%open} } qw(monday tuesday wednesday thursday friday saturday sunday) },
	  exceptionalClosures => [ { date => '2030-12-25', reason => 'Noël', isFullDay => JSON::PP::true } ],
	  createdAt => '2024-01-01T00:00:00.000Z' });
write_coll($db, 'bookingsettings', { _id => ref_oid(oid()), notificationEmail => 'cafe@example.com',
	cancellationPolicyOpenSpace => [ { daysBeforeBooking => 7, chargePercentage => 0 } ] });
my $coffee = oid();
write_coll($db, 'additionalservices', { _id => ref_oid($coffee), name => 'Café à volonté', price => '3,50',
	category => 'beverage', isActive => JSON::PP::true });
write_coll($db, 'bookings',
	{ _id => ref_oid($b{desk}), user => ref_oid($alice), spaceType => 'desk', date => day(10),
	  startTime => '9:00', endTime => '12:00', numberOfPeople => '2', status => 'confirmed',
	  totalPrice => '45,50 €', basePrice => '45.5', paymentStatus => 'unpaid', contactEmail => 'Alice.Martin@Example.com' },
	{ _id => ref_oid($b{full}), user => ref_oid($alice), spaceType => 'meeting-room-floor', date => day_date(12),
	  startTime => '00:00', endTime => '00:00', reservationType => 'daily', numberOfPeople => 8,
	  status => 'confirmed', totalPrice => 250, confirmationNumber => 'bt-1700000000000-abcdefghi' },
	{ _id => ref_oid($b{past}), user => ref_oid($alice), spaceType => 'event-space',
	  date => '2024-05-10T00:00:00.000Z', numberOfPeople => 30, status => 'completed', totalPrice => '300.00',
	  completedAt => '2024-05-11T08:00:00.000Z' },
	{ _id => ref_oid($b{glass}), user => $alice, spaceType => 'meeting-room-glass', date => day_date($glass_in),
	  startTime => '14:00', endTime => '16:00', numberOfPeople => 3, status => 'pending', totalPrice => '57',
	  additionalServices => [ { service => ref_oid($coffee), name => 'Café à volonté', quantity => '2',
				    unitPrice => '3,50', totalPrice => '7' } ] },
	{ _id => ref_oid($b{guest}), user => undef, spaceType => 'meeting-room', date => day_date(16),
	  startTime => '10:00', endTime => '11:00', numberOfPeople => 2, status => 'cancelled', totalPrice => 25,
	  contactName => 'Invité', contactEmail => 'invite@example.com' },
	{ _id => ref_oid($b{badtype}), user => ref_oid($alice), spaceType => 'rooftop', date => day_date(20),
	  numberOfPeople => 1, status => 'confirmed', totalPrice => 10 },
	{ _id => ref_oid($b{baddate}), user => ref_oid($alice), spaceType => 'desk', date => 'mardi prochain',
	  numberOfPeople => 1, status => 'confirmed', totalPrice => 10 });
write_coll($db, 'categories', { _id => ref_oid(my $cat = oid()), name => 'Vie du café', slug => 'vie-du-cafe',
	isVisible => JSON::PP::true, articleCount => 1 });
write_coll($db, 'articles', { _id => ref_oid(oid()), title => 'Nos nouveaux horaires', slug => 'nos-nouveaux-horaires',
	content => "Le café ouvre **plus tôt**.", category => ref_oid($cat), status => 'published',
	publishedAt => '2024-04-02T08:00:00.000Z', isDeleted => JSON::PP::false });
write_coll($db, 'contactmails', { _id => ref_oid(oid()), name => 'Zoé', email => 'zoe@example.com',
	subject => 'Autre', message => 'Bonjour', status => 'unread', createdAt => '2024-04-03T12:00:00Z' });
write_coll($db, 'events', { _id => ref_oid(oid()), title => 'Soirée jeux', slug => 'soiree-jeux',
	date => date_ms(1735776000000), startTime => '19:00', endTime => '22:00', status => 'published',
	maxParticipants => '20', currentParticipants => 0, category => ['jeux'] });
write_coll($db, 'conversations', { _id => ref_oid($conv), type => 'direct',
	participants => [ { user => ref_oid($alice), joinedAt => '2024-04-01T10:00:00Z', unreadCount => 0 },
			  { user => ref_oid($olivia), joinedAt => '2024-04-01T10:00:00Z', unreadCount => 1 } ],
	lastMessage => 'À demain', lastMessageAt => '2024-04-01T10:05:00Z', isDeleted => JSON::PP::false });
write_coll($db, 'messages',
	{ _id => ref_oid(oid()), conversation => ref_oid($conv), sender => ref_oid($alice), content => 'Bonjour !',
	  type => 'text', status => 'read', readBy => [ { user => ref_oid($olivia), readAt => '2024-04-01T10:01:00Z' } ],
	  createdAt => '2024-04-01T10:00:00Z' },
	{ _id => ref_oid(oid()), conversation => $conv, sender => $olivia, content => 'À demain',
	  type => 'text', status => 'sent', createdAt => '2024-04-01T10:05:00Z' });
write_coll($db, 'employees', map { { _id => ref_oid(oid()), firstName => "E$_", clockingCode => "000$_" } } 1 .. 2);
write_coll($db, 'turnovers', { _id => '2024/05/10', 'vat-20' => { 'total-ht' => 100 } });

# What the dump holds, and what must be reported: the bad address, the
# unknown admin role, the unknown space type, the unreadable date, and the
# 3 documents of collections we do not migrate.
my $docs_in = 4 + 4 + 4 + 4 + 1 + 1 + 1 + 7 + 1 + 1 + 1 + 1 + 1 + 2 + 2 + 1;
my $expect_reported = 1 + 1 + 1 + 1 + 3;

sub migrate {
	my ($rc, $out) = $s->ctl('migrate', @_);
	return ($rc, $out);
}

sub total {
	my ($out) = @_;
	my ($in, $conv_n, $ins, $upd, $same, $rep) = $out =~
		/total: (\d+) documents in = (\d+) converted \((\d+) (?:inserted|to insert), (\d+) (?:updated|to update), (\d+) unchanged\) \+ (\d+) reported/
		or return;
	return { in => $in, converted => $conv_n, inserted => $ins, updated => $upd, unchanged => $same, reported => $rep };
}

sub user_exists {
	my ($email) = @_;
	my ($rc, $out) = $s->ctl('show-user', $email);
	return $rc == 0;
}

# ---- a dump of another shape: refused, nothing written ------------------------
{
	my $other = "$dir/other/shop";
	write_coll($other, 'customers', { _id => ref_oid(oid()), mail => 'x@example.com' });
	write_coll($other, 'orders', { _id => ref_oid(oid()), total => 10 });
	my ($rc, $out) = migrate("$dir/other");
	is $rc, 1, 'a dump without the original\'s collections is refused';
	like $out, qr{expected \S+/<database>/users\.bson and bookings\.bson}, '… naming what it expected';

	my $shaped = "$dir/shaped/cafe";
	write_coll($shaped, 'users', { _id => ref_oid(oid()), mail => 'x@example.com', name => 'X' });
	write_coll($shaped, 'bookings', { _id => ref_oid(oid()), spaceType => 'desk', date => day(3), user => ref_oid($alice) });
	write_coll($shaped, 'admins', { _id => ref_oid(oid()), email => 'someone@example.com', role => 'admin', password => bcrypt('s-s-s-s-s') });
	($rc, $out) = migrate("$dir/shaped");
	is $rc, 1, 'a users collection that is not the original\'s accounts is refused';
	like $out, qr/users\.bson does not hold the original's accounts: its first document \(\w+\) has no "email"/,
		'… saying which field it expected';
	like $out, qr/nothing was written/, '… and that nothing was written';
	ok !user_exists('someone@example.com'), 'its admins were not imported';
}

# ---- dry run: what it would do, nothing written ---------------------------
my ($rc, $out) = migrate("$dir/dump", '--dry-run');
is $rc, 0, 'the dry run succeeds' or diag $out;
like $out, qr/^dry run \(nothing is written\)/m, 'it says it writes nothing';
my $dry = total($out) or diag $out;
is $dry->{in}, $docs_in, "the dry run counts the $docs_in documents of the dump";
is $dry->{in}, $dry->{converted} + $dry->{reported}, 'in = converted + reported';
is $dry->{reported}, $expect_reported, "$expect_reported documents reported";
like $out, qr/would merge admins \w+ into users \w+ \(olivia\@coworkingcafe\.fr\): role admin/,
	'it would merge the owner\'s back-office account into her customer account';
ok !user_exists('alice.martin@example.com'), 'the dry run wrote no account';

# ---- the migration ------------------------------------------------------
($rc, $out) = migrate("$dir/dump");
is $rc, 0, 'the migration succeeds' or diag $out;
my $run = total($out) or diag $out;
is $run->{in}, $docs_in, 'every document of the dump is counted';
is $run->{in}, $run->{converted} + $run->{reported}, 'in = converted + reported: none lost';
is $run->{reported}, $expect_reported, 'the same documents are reported';
is $run->{inserted} + $run->{updated}, $dry->{inserted} + $dry->{updated},
	'it did what the dry run said it would (so the dry run wrote nothing)';
like $out, qr/report: users \w+: email "pas-une-adresse" is not an address/, 'report: a user without a valid address';
like $out, qr/report: admins \w+: role "superuser" is none of dev, admin, staff/, 'report: an unknown back-office role';
like $out, qr/report: bookings $b{badtype}: space type "rooftop" is unknown/, 'report: an unknown space type';
like $out, qr/report: bookings $b{baddate}: date "mardi prochain" is not a date/, 'report: a date that is none';
like $out, qr/report: turnovers "2024\/05\/10": collection turnovers is not part of the new platform/,
	'report: collections the platform does not use, document by document';
like $out, qr/claimed the slots of 3 live bookings; 0 in conflict/, 'the slots of the 3 live bookings are claimed';

# ---- a second run changes nothing -------------------------------------------
($rc, $out) = migrate("$dir/dump");
is $rc, 0, 'a second run succeeds' or diag $out;
my $again = total($out);
is_deeply [ @$again{qw(inserted updated reported)} ], [ 0, 0, $expect_reported ], 'a second run inserts and updates nothing'
	or diag $out;
is $again->{unchanged}, $run->{converted}, 'every converted document is found as it was';
like $out, qr/claimed the slots of 0 live bookings/, 'no slot claimed twice';

# ---- the same dump made with mongodump --gzip ---------------------------------
system("cp -r '$dir/dump' '$dir/dump-gz' && gzip '$dir/dump-gz/coworking_cafe/'*.bson") == 0 or die 'gzip';
($rc, $out) = migrate("$dir/dump-gz", '--dry-run');
my $gz = total($out) // {};
is_deeply [ @$gz{qw(in reported inserted updated)} ], [ $docs_in, $expect_reported, 0, 0 ],
	'a --gzip dump (.bson.gz) reads the same: nothing left to do' or diag $out;

# ---- the café keeps its customers, staff and bookings ------------------------
my (undef, $show) = $s->ctl('show-user', 'alice.martin@example.com');
like $show, qr/"passwordScheme":"bcrypt"/, 'the customer keeps her bcrypt hash';
unlike $show, qr/"pin"/, 'the plaintext PIN is gone';
my $r = $s->post('/api/auth/login', json => { email => 'Alice.Martin@example.com', password => 'ancien-mot-de-passe' });
is $r->{status}, 200, 'the migrated customer logs in with her old password' or diag $r->{content};
(undef, $show) = $s->ctl('show-user', 'alice.martin@example.com');
like $show, qr/"passwordScheme":"argon2id"/, '… and her hash is now Argon2id';
my $alice_s = $s->login('alice.martin@example.com', 'ancien-mot-de-passe');
$r = $s->get('/api/bookings?limit=50', session => $alice_s);
is $r->{status}, 200, 'she lists her bookings';
my %mine = map { $_->{id} // $_->{_id} => $_ } @{ $r->{json}{bookings} // [] };
is scalar(keys %mine), 4, 'she sees her 4 bookings (the 2 reported ones are not there)' or diag $r->{content};
my ($desk) = grep { ($_->{date} // '') =~ /^\Q@{[day(10)]}\E/ } values %mine;
ok $desk, 'the desk booking, its date read from a string';
is $desk->{spaceType}, 'open-space', 'desk became open-space';
cmp_ok abs(($desk->{totalPrice} // 0) - 45.5), '<', 0.001, '"45,50 €" became 45.50';
like $desk->{confirmationNumber} // '', qr/^CWC-[0-9A-Z]{6}$/, 'it got a confirmation number';
is $desk->{startTime}, '09:00', '"9:00" became "09:00"';
my ($full) = grep { ($_->{confirmationNumber} // '') eq 'BT-1700000000000-ABCDEFGHI' } values %mine;
ok $full, 'a number of the original is kept (upper-cased, as the original stored it)';
is $full && $full->{spaceType}, 'salle-etage', 'meeting-room-floor became salle-etage';
$r = $s->get("/api/bookings/$desk->{confirmationNumber}", session => $alice_s);
is $r->{status}, 200, 'her booking opens by its new confirmation number';

# her chat history
$r = $s->get("/api/conversations/$conv/messages", session => $alice_s);
is $r->{status}, 200, 'her conversation of the original opens';
my @texts = sort map { $_->{content} // '' } @{ $r->{json}{messages} // [] };
is_deeply \@texts, [ 'Bonjour !', 'À demain' ], '… with its 2 messages (one whose references were strings)'
	or diag $r->{content};

# the content
$r = $s->get('/blog/nos-nouveaux-horaires');
is $r->{status}, 200, 'the article (published at a date written as text) is public';
# (no event page yet: the store itself says how the date was kept)
{
	my %env = $s->app_env;
	local @ENV{ keys %env } = values %env;
	my $out = `$root/build/asan/t/tools/store-update events '{"slug": "soiree-jeux", "date": "2025-01-02"}' '{"\$set": {"slug": "soiree-jeux"}}' 2>&1`;
	like $out, qr/matched 1\b/, 'the event is there, its date (a BSON date in the dump) kept as "YYYY-MM-DD"';
}

$r = $s->post('/api/auth/login', host => 'admin', json => { email => 'staff@coworkingcafe.fr', password => 'staff-ancien-1' });
is $r->{status}, 200, 'a back-office account of `admins` logs in on the admin app' or diag $r->{content};
(undef, $show) = $s->ctl('show-user', 'olivia@coworkingcafe.fr');
like $show, qr/"role":"admin"/, 'the owner\'s customer account got her admin role';
$r = $s->post('/api/auth/login', json => { email => 'olivia@coworkingcafe.fr', password => 'olivia-site-1' });
is $r->{status}, 200, '… and keeps her customer password';
(undef, $show) = $s->ctl('show-user', 'dev@coworkingcafe.fr');
like $show, qr/"role":"dev"/, 'the dev account is there, role dev';

# a migrated slot is taken: the same room at the same hours is refused
$r = $s->post('/api/bookings', json => { spaceType => 'salle-verriere', reservationType => 'hourly',
	date => day($glass_in), startTime => '14:30', endTime => '15:30', numberOfPeople => 2,
	contactName => 'Camille Martin', contactEmail => 'camille@example.com', contactPhone => '+33 6 12 34 56 78' });
is $r->{status}, 409, 'the migrated booking holds its room: an overlapping one is refused' or diag "$r->{status} $r->{content}";

# ---- the same dump into the MongoDB backend ---------------------------------
SKIP: {
	my $why = CWC::MongoServer->unavailable;
	skip "MongoDB backend: $why", 6 if $why;
	my $m = CWC::MongoServer->start;
	my $ms = CWC::Stack->start(env => { MONGODB_URI => $m->uri('coworking-cafe') });
	my ($mrc, $mout) = $ms->ctl('migrate', "$dir/dump");
	is $mrc, 0, 'MongoDB: the migration succeeds' or diag $mout;
	my $t = total($mout) // {};
	is_deeply [ @$t{qw(in reported)} ], [ $docs_in, $expect_reported ], 'MongoDB: the same documents in and reported';
	($mrc, $mout) = $ms->ctl('migrate', "$dir/dump");
	$t = total($mout) // {};
	is_deeply [ @$t{qw(inserted updated)} ], [ 0, 0 ], 'MongoDB: a second run changes nothing' or diag $mout;
	my $lr = $ms->post('/api/auth/login', json => { email => 'alice.martin@example.com', password => 'ancien-mot-de-passe' });
	is $lr->{status}, 200, 'MongoDB: the customer logs in with her old password';
	my $ses = $ms->login('alice.martin@example.com', 'ancien-mot-de-passe');
	$lr = $ms->get('/api/bookings?limit=50', session => $ses);
	is scalar(@{ $lr->{json}{bookings} // [] }), 4, 'MongoDB: she sees her 4 bookings';
	($mrc, $mout) = $ms->ctl('show-user', 'alice.martin@example.com');
	like $mout, qr/"passwordScheme":"argon2id"/, 'MongoDB: her hash is now Argon2id';
	$ms->stop;
}

done_testing;
