#!/usr/bin/perl
# The customers of the back office through Caddy (SPEC §9 customers, §4
# deletion): staff read, admins write; create (the activation mail lets
# the customer choose a password), search by name, e-mail, phone and
# company, pages capped at 100, sorts and filters on declared fields only
# (400 naming the field), ids that are not ObjectIds (404); edit,
# deactivate (no sign-in) and reactivate; the GDPR export holds all of one
# person's data and nothing of another's; the erasure keeps the bookings
# for accounting with the personal fields cleared; the CSV export (BOM,
# ";", formulas neutralised) is audited; every write is in the audit log.
use strict;
use warnings;
use utf8;
use FindBin;
use lib "$FindBin::Bin/lib";
use CWC::Stack;
use CWC::Bookings;
use CWC::Seed qw(date oid);
use Encode ();
use JSON::PP ();
use Test::More;
binmode $_, ':encoding(UTF-8)' for map { Test::More->builder->$_ } qw(output failure_output todo_output);

my $s = CWC::Stack->start(env => { CWC_THROTTLE_GUEST_BOOKING => '100000/3600' });
my $b = CWC::Bookings->new($s);
my $staff = $s->login('staff', undef, host => 'admin');
my $admin = $s->login('admin', undef, host => 'admin');

sub api {
	my ($method, $path, $who, %o) = @_;
	return $s->request($method, "/api$path", session => $who, host => 'admin', %o);
}
sub audit_actions {
	my $r = $s->get('/api/audit-log?limit=100&collection=users', session => $admin, host => 'admin');
	die "audit-log: $r->{status}" unless $r->{status} == 200;
	return map { $_->{action} } @{ $r->{json}{entries} };
}

# --- create: admins only; the activation mail; the customer chooses a password
my $long = 'Marie-Charlotte de La Tour d\'Auvergne-Lauraguais';
is api(POST => '/users', $staff, json => { email => 'x@example.com', givenName => 'X' })->{status}, 403,
	'staff cannot create a customer';
is api(POST => '/users', undef, json => { email => 'x@example.com', givenName => 'X' })->{status}, 401,
	'signed out: 401';
my $r = api(POST => '/users', $admin, json => { email => 'Alice.Durand@Example.com', givenName => 'Alice Durand',
	phone => '+33 6 11 22 33 44', companyName => 'Durand & Fils SARL', newsletter => JSON::PP::true() });
is $r->{status}, 201, 'an admin creates a customer' or diag $r->{content};
my $alice = $r->{json}{user};
is $alice->{email}, 'alice.durand@example.com', 'the e-mail is normalised';
is $alice->{status}, 'pending', 'the new account waits for its activation';
is api(POST => '/users', $admin, json => { email => 'alice.durand@example.com', givenName => 'A' })->{status}, 409,
	'the same e-mail twice: 409';
my $mail = $s->wait_mail('alice.durand@example.com', qr/token=([0-9a-f]{64})/);
my ($token) = $mail =~ /token=([0-9a-f]{64})/;
$r = $s->post('/api/auth/activate-account', json => { token => $token });
is $r->{status}, 422, 'activation asks a staff-created account for a password';
is $r->{json}{error}{field}, 'password', '... naming the field';
$r = $s->post('/api/auth/activate-account', json => { token => $token, password => 'alice-password-1' });
is $r->{status}, 200, 'activation with a password' or diag $r->{content};
my $alice_s = $s->login('alice.durand@example.com', 'alice-password-1');
ok $alice_s, 'the customer signs in with the password she chose';

# dozens of customers, for the search and the pages
my @names = map { sprintf '%s n°%02d', $_ % 2 ? $long : 'Jean Dupont', $_ } 1 .. 30;
for my $i (1 .. 30) {
	$r = api(POST => '/users', $admin, json => { email => sprintf('client%02d@example.org', $i),
		givenName => $names[$i - 1], phone => sprintf('06 00 00 00 %02d', $i),
		companyName => $i % 3 ? undef : "Société $i" });
	is $r->{status}, 201, "customer $i" or diag $r->{content};
}
$r = api(POST => '/users', $admin, json => { email => 'formula@example.org', givenName => '=HYPERLINK("http://evil")',
	companyName => '-SUM(1,2)', phone => '+33 1 02 03 04 05' });
is $r->{status}, 201, 'a customer whose name is a formula' or diag $r->{content};

# --- list and search
$r = api(GET => '/users', $staff);
is $r->{status}, 200, 'staff read the list';
is $r->{json}{pagination}{total}, 33, 'every customer (the demo client, Alice, 30, the formula)' or diag explain $r->{json}{pagination};
ok !(grep { $_->{email} =~ /coworkingcafe\.local$/ && $_->{email} !~ /^client@/ } @{ $r->{json}{users} }),
	'no staff in the customers';
$r = api(GET => '/users?limit=500', $staff);
is $r->{json}{pagination}{limit}, 100, 'a page of 500 is capped at 100';
is scalar @{ $r->{json}{users} }, 33, '... and holds them all';
$r = api(GET => '/users?limit=10&page=2&sort=email', $staff);
is scalar @{ $r->{json}{users} }, 10, 'a page of 10';
is $r->{json}{users}[0]{email}, 'client10@example.org', 'sorted by e-mail, second page' or diag explain [ map { $_->{email} } @{ $r->{json}{users} } ];
is api(GET => '/users?q=durand', $staff)->{json}{pagination}{total}, 1, 'search by name (case and accents folded)';
is api(GET => '/users?q=CLIENT07', $staff)->{json}{users}[0]{email}, 'client07@example.org', 'search by e-mail';
is api(GET => '/users?q=0600000012', $staff)->{json}{users}[0]{email}, 'client12@example.org', 'search by phone without spaces';
is api(GET => '/users?q=soci%C3%A9t%C3%A9%2012', $staff)->{json}{users}[0]{email}, 'client12@example.org', 'search by company';
is api(GET => '/users?q=tour%20d%27auvergne', $staff)->{json}{pagination}{total}, 15, 'a search finds every match';
is api(GET => '/users?q=jean%20n%C2%B004', $staff)->{json}{users}[0]{email} // '', 'client04@example.org',
	'each word of a search is looked for on its own ("jean n°04" finds Jean Dupont n°04)';
is api(GET => '/users?q=dupont%20%20soci%C3%A9t%C3%A9', $staff)->{json}{pagination}{total}, 5,
	'…all of them ("dupont société": the Duponts with a company)';
$r = api(GET => '/users?sort=password', $staff);
is $r->{status}, 400, 'an undeclared sort: 400';
is $r->{json}{error}{field}, 'sort', '... naming the field';
like $r->{json}{error}{message}, qr/password/, '... and the sort asked';
$r = api(GET => '/users?passwordHash=x', $staff);
is $r->{status}, 400, 'an undeclared filter: 400';
is $r->{json}{error}{field}, 'passwordHash', '... naming it';
is api(GET => '/users?status=bogus', $staff)->{status}, 400, 'an unknown status: 400';
is api(GET => '/users/not-an-id', $staff)->{status}, 404, 'an id that is not an ObjectId: 404';
is api(GET => '/users/ffffffffffffffffffffffff', $staff)->{status}, 404, 'an unknown id: 404';
is api(GET => '/users/12345', $admin)->{status}, 404, 'a short id: 404';
my $c = $s->login('client');
is $s->get('/api/users', session => $c, host => 'admin')->{status}, 403, 'a customer cannot list the customers';

# --- edit
is api(PATCH => "/users/$alice->{id}", $staff, json => { givenName => 'Z' })->{status}, 403, 'staff cannot edit';
$r = api(PATCH => "/users/$alice->{id}", $admin, json => { givenName => 'Alice Durand-Martin', phone => '+33 7 00 00 00 01' });
is $r->{status}, 200, 'an admin edits a customer' or diag $r->{content};
is $r->{json}{user}{givenName}, 'Alice Durand-Martin', '... the name changed';
$r = api(PATCH => "/users/$alice->{id}", $admin, json => { email => 'other@example.com' });
is $r->{status}, 400, 'a field that is not editable here: 400';
is $r->{json}{error}{field}, 'email', '... naming it';

# --- deactivate, reactivate
is api(POST => "/users/$alice->{id}/deactivate", $staff, json => {})->{status}, 403, 'staff cannot deactivate';
$r = api(POST => "/users/$alice->{id}/deactivate", $admin, json => {});
is $r->{status}, 200, 'an admin deactivates' or diag $r->{content};
is $r->{json}{user}{status}, 'deactivated', '... the status says so';
is $s->get('/api/user/profile', session => $alice_s)->{status}, 401, 'her session ended';
$r = $s->post('/api/auth/login', json => { email => 'alice.durand@example.com', password => 'alice-password-1' });
is $r->{status}, 403, 'a deactivated account cannot sign in';
is $r->{json}{error}{code}, 'account_disabled', '... account_disabled';
is api(GET => '/users?status=deactivated', $staff)->{json}{pagination}{total}, 1, 'the deactivated filter';
is api(POST => "/users/$alice->{id}/reactivate", $admin, json => {})->{json}{user}{status}, 'active', 'reactivated';
$alice_s = $s->login('alice.durand@example.com', 'alice-password-1');
my $admin_id = $s->get('/api/auth/session', session => $admin, host => 'admin')->{json}{user}{id};
is api(POST => "/users/$admin_id/deactivate", $admin, json => {})->{status}, 403, 'nobody deactivates their own account';

# --- Alice's data, and Bob's (who must not leak into hers)
my $bob = api(POST => '/users', $admin, json => { email => 'bob.martin@example.com', givenName => 'Bob Martin' })->{json}{user};
my $day = $b->open_weekday(3, 30);
my @alice_bookings;
for my $h (10, 14) {
	$r = $b->book(session => $alice_s, date => $day, startTime => "$h:00", endTime => ($h + 1) . ':00',
		      contactName => 'Alice Durand', contactEmail => 'alice.durand@example.com', contactPhone => '+33 6 11 22 33 44',
		      companyName => 'Durand & Fils SARL');
	is $r->{status}, 201, "Alice books at $h:00" or diag $r->{content};
	push @alice_bookings, $r->{json}{booking}{id};
}
$r = $b->book(date => $day, startTime => '16:00', endTime => '17:00', contactName => 'Bob Martin',
	      contactEmail => 'bob.martin@example.com', contactPhone => '+33 6 99 99 99 99');
is $r->{status}, 201, 'Bob books as a guest';
my $bob_booking = $r->{json}{booking}{id};
my $now = time * 1000;
CWC::Seed::insert($s, 'payments',
	{ _id => "booking/$alice_bookings[0]/capture/1200", kind => 'capture', booking => oid($alice_bookings[0]),
	  user => oid($alice->{id}), amount => 1200, status => 'succeeded', createdAt => date($now), updatedAt => date($now) },
	{ _id => "booking/$bob_booking/capture/900", kind => 'capture', booking => oid($bob_booking),
	  user => undef, amount => 900, status => 'succeeded', createdAt => date($now), updatedAt => date($now) });
CWC::Seed::insert($s, 'contactmails',
	{ name => 'Alice', email => 'alice.durand@example.com', subject => 'Alice asks', message => 'Une question d’Alice',
	  status => 'unread', createdAt => date($now) },
	{ name => 'Bob', email => 'bob.martin@example.com', subject => 'Bob asks', message => 'Une question de Bob',
	  status => 'unread', createdAt => date($now) });
# Alice's subscription comes from her account (newsletter ticked by the admin, confirmed by her activation)
CWC::Seed::insert($s, 'newsletters',
	{ email => 'bob.martin@example.com', status => 'confirmed', createdAt => date($now) });
CWC::Seed::insert($s, 'eventregistrations',
	{ eventId => oid('0123456789abcdef01234567'), email => 'alice.durand@example.com', name => 'Alice', createdAt => date($now) },
	{ eventId => oid('0123456789abcdef01234567'), email => 'bob.martin@example.com', name => 'Bob', createdAt => date($now) });
CWC::Seed::insert($s, 'messages',
	{ conversation => oid('0123456789abcdef01234568'), sender => oid($alice->{id}), content => 'Bonjour, c’est Alice',
	  type => 'text', createdAt => date($now) },
	{ conversation => oid('0123456789abcdef01234568'), sender => oid($bob->{id}), content => 'Bonjour, c’est Bob',
	  type => 'text', createdAt => date($now) });

# --- detail
$r = api(GET => "/users/$alice->{id}", $staff);
is $r->{status}, 200, 'staff read the detail';
is $r->{json}{bookingsCount}, 2, '... her two bookings';
is $r->{json}{messagesCount}, 1, '... her message';
{
	my $page = Encode::decode('UTF-8', $s->get("/customers/$alice->{id}", session => $staff, host => 'admin')->{content});
	like $page, qr{<td[^>]*>Open-space</td><td[^>]*><span class="badge badge-warn">En attente</span></td>}, '... her bookings: space and status in French on her page';
	like $page, qr{>\w+\. \d+ \w+\.? \d{4}</a>}, '... dated in words, not ISO';
}
ok $r->{json}{newsletter}{subscription}, '... her newsletter subscription';
is $r->{json}{newsletter}{subscription}{status} // '', 'confirmed',
	'... confirmed: ticked when the admin created her account, proved by her activation' or diag explain $r->{json}{newsletter};

# --- GDPR export
is api(GET => "/users/$alice->{id}/export", $staff)->{status}, 403, 'staff cannot export';
$r = api(GET => "/users/$alice->{id}/export", $admin);
is $r->{status}, 200, 'an admin exports Alice' or diag $r->{content};
my $x = $r->{json};
my $text = Encode::decode('UTF-8', $r->{content});
is $x->{account}{email}, 'alice.durand@example.com', 'the account';
ok !exists $x->{account}{password}, '... without the password hash';
is scalar @{ $x->{collections}{bookings} }, 2, 'her bookings';
is scalar @{ $x->{collections}{payments} }, 1, 'her payment';
is scalar @{ $x->{collections}{messages} }, 1, 'her message';
is scalar @{ $x->{collections}{contactmails} }, 1, 'her contact mail';
is scalar @{ $x->{collections}{newsletters} }, 1, 'her subscription';
is scalar @{ $x->{collections}{eventregistrations} }, 1, 'her event registration';
unlike $text, qr/bob|$bob->{id}|$bob_booking/i, 'nothing of Bob';
unlike $text, qr/manageTokenHash/, 'no guest-link secret (manageTokenHash, manageTokenHashes)';

# --- erasure
is api(DELETE => "/users/$alice->{id}", $staff)->{status}, 403, 'staff cannot erase';
is api(DELETE => "/users/$admin_id", $admin)->{status}, 403, 'an admin cannot erase their own account';
$r = api(DELETE => "/users/$alice->{id}", $admin);
is $r->{status}, 200, 'an admin erases Alice' or diag $r->{content};
is $r->{json}{bookingsKept}, 2, '... her two bookings kept';
for my $id (@alice_bookings) {
	my $bk = api(GET => "/booking/reservations/$id", $admin)->{json}{booking};
	ok $bk, "booking $id kept for accounting";
	ok !defined $bk->{contactName} && !defined $bk->{contactEmail} && !defined $bk->{contactPhone}
		&& !defined $bk->{companyName}, '... without her name, e-mail, phone or company' or diag explain $bk;
	ok defined $bk->{totalPrice}, '... with its amounts';
}
ok api(GET => "/booking/reservations/$bob_booking", $admin)->{json}{booking}{contactEmail}, "Bob's booking untouched";
$r = api(GET => "/users/$alice->{id}", $admin);
is $r->{json}{user}{status}, 'deleted', 'the account is anonymised';
unlike Encode::decode('UTF-8', $r->{content}), qr/alice/i, '... nothing of her left in it';
$x = api(GET => "/users/$bob->{id}/export", $admin)->{json};
is scalar @{ $x->{collections}{newsletters} }, 1, "Bob's subscription untouched";
$r = $s->post('/api/auth/login', json => { email => 'alice.durand@example.com', password => 'alice-password-1' });
is $r->{status}, 401, 'she cannot sign in any more';
is api(GET => '/users?q=alice', $staff)->{json}{pagination}{total}, 0, 'she is gone from the list';
is api(DELETE => "/users/$alice->{id}", $admin)->{status}, 404, 'erasing twice: 404';

# --- CSV
$r = api(GET => '/users?format=csv&sort=email', $staff);
is $r->{status}, 200, 'the customers as CSV';
like $r->{headers}{'content-type'}, qr{text/csv}, '... text/csv';
my $csv = $r->{content};
like $csv, qr/^\xEF\xBB\xBF/, '... with a BOM';
$csv = Encode::decode('UTF-8', $csv);
my @lines = split /\r\n/, $csv;
is scalar @lines, 1 + 33, 'a header and 33 rows (Alice erased, Bob added)';
like $lines[0], qr/^\x{FEFF}E-mail;/, 'the header, ;-separated';
my ($formula) = grep { /formula\@example/ } @lines;
like $formula, qr/;"?'=HYPERLINK/, 'a name starting with = is neutralised';
like $formula, qr/;'-SUM/, 'a company starting with - is neutralised';
like $formula, qr/;'\+33 1 02/, 'a phone starting with + is neutralised';
$r = api(GET => '/booking/reservations?format=csv&q=' . 'bob.martin@example.com', $staff);
is $r->{status}, 200, 'the bookings as CSV, with the list filters';
@lines = split /\r\n/, Encode::decode('UTF-8', $r->{content});
is scalar @lines, 2, '... one booking matches';
like $lines[1], qr/Bob Martin/, "... Bob's";
like $lines[1], qr/;'\+33 6 99 99 99 99;/, '... his phone neutralised';

# --- the screens: CSV buttons with the filters; staff read, see no money, get no forms
my $page = $s->get('/booking/reservations?status=pending', session => $staff, host => 'admin')->{content};
like $page, qr{href="/api/booking/reservations\?format=csv&amp;status=pending"[^>]*download}, 'the bookings list has its CSV button, with the filters';
$page = Encode::decode('UTF-8', $s->get('/customers?q=dupont', session => $staff, host => 'admin')->{content});
like $page, qr{href="/api/users\?format=csv&amp;q=dupont"}, 'the customers list has its CSV button, with the search';
like $page, qr/15 client\(s\)/, '... and the search';
unlike $page, qr{method="post" action="/customers"}, '... no creation form for staff';
$page = Encode::decode('UTF-8', $s->get("/customers/$bob->{id}", session => $staff, host => 'admin')->{content});
like $page, qr/Bob Martin/, 'a customer page for staff';
unlike $page, qr/€|Effacer|Désactiver/, '... without money or admin actions';
is $s->get('/customers/nope', session => $staff, host => 'admin')->{status}, 404, 'a bad id: 404 page';
$page = Encode::decode('UTF-8', $s->get("/customers/$bob->{id}", session => $admin, host => 'admin')->{content});
like $page, qr{action="/customers/$bob->{id}/erase"}, 'the admin has the erasure form';
$r = $s->request('POST', "/customers/$bob->{id}/erase", host => 'admin', session => $admin,
		 headers => { 'Content-Type' => 'application/x-www-form-urlencoded' }, body => '');
is $r->{status}, 303, 'erasing without the confirmation box';
is api(GET => "/users/$bob->{id}", $admin)->{json}{user}{status}, 'pending', '... erases nothing';
$r = $s->request('POST', "/customers/$bob->{id}/erase", host => 'admin', session => $admin,
		 headers => { 'Content-Type' => 'application/x-www-form-urlencoded' }, body => 'confirm=on');
is $r->{status}, 303, 'erasing with it';
is api(GET => "/users/$bob->{id}", $admin)->{json}{user}{status}, 'deleted', '... erases Bob';

my %actions = map { $_ => 1 } audit_actions();
ok $actions{$_}, "audit: $_" for qw(users.create users.update users.deactivate users.reactivate users.export users.export.export users.delete);
my $log = $s->get('/api/audit-log?limit=100&collection=users&action=users.export.export', session => $admin, host => 'admin')->{json};
ok((grep { ($_->{documentId} // '') eq $alice->{id} } @{ $log->{entries} }), "the GDPR export is on record under Alice's id")
	or diag explain $log;
my $exp = $s->get('/api/audit-log?limit=100&collection=bookings', session => $admin, host => 'admin')->{json};
ok((grep { $_->{action} eq 'booking.reservations.export' } @{ $exp->{entries} }), 'audit: the bookings export')
	or diag explain [ map { $_->{action} } @{ $exp->{entries} } ];

$s->stop;
done_testing;
