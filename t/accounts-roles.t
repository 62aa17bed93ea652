#!/usr/bin/perl
# Roles and the back office's door: the admin app admits staff, admin and
# dev only (a client is refused by every admin route, even with a valid
# session), roles are re-read at every request, and bin/cwc-ctl manages
# accounts: seed, create-admin, set-role, reset-password, and
# import-admins of the original's bcrypt accounts, upgraded to Argon2id at
# their first login.
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use CWC::Stack;
use JSON::PP;
use POSIX ();
use Test::More;

my $s = CWC::Stack->start;
my $ROOT = $CWC::Stack::ROOT;

sub call { $s->call(@_) }

sub session_of {
	my ($r) = @_;
	my $sc = $r->{headers}{'set-cookie'} // return;
	for (ref $sc ? @$sc : ($sc)) {
		return $1 if /^cwc_session=([0-9a-f]{64});/;
	}
	return;
}

sub login {
	my ($host, $email, $password) = @_;
	my $r = call(POST => '/api/auth/login', host => $host,
		     json => { email => $email, password => $password });
	return wantarray ? ($r, session_of($r)) : $r;
}

sub slurp {
	my ($f) = @_;
	open my $fh, '<', $f or return '';
	local $/;
	return scalar(<$fh>) // '';
}

# bin/cwc-ctl with the stack's configuration; $stdin fed to it.
sub ctl {
	my ($stdin, @args) = @_;
	my $d = $s->dir;
	open my $fh, '>', "$d/ctl-in" or die;
	print $fh $stdin // '';
	close $fh;
	my %env = $s->app_env;
	my $pid = fork // die;
	if (!$pid) {
		@ENV{ keys %env } = values %env;
		open STDIN, '<', "$d/ctl-in";
		open STDOUT, '>', "$d/ctl-out";
		open STDERR, '>', "$d/ctl-err";
		exec CWC::Stack::program("cwc-ctl"), @args or POSIX::_exit(127);
	}
	waitpid $pid, 0;
	return ($? >> 8, slurp("$d/ctl-out"), slurp("$d/ctl-err"));
}

sub show_user {
	my ($email) = @_;
	my ($rc, $out) = ctl(undef, 'show-user', $email);
	return $rc == 0 ? eval { decode_json($out) } : undef;
}

# ---- seed -------------------------------------------------------------------

my ($rc, $out, $err) = ctl(undef, 'seed');
is $rc, 0, 'cwc-ctl seed: exit 0' or diag $err;
like $out, qr/created admin\@coworkingcafe\.local/, 'creates the demo admin';
like $out, qr/created staff\@coworkingcafe\.local/, 'the demo staff';
like $out, qr/created client\@coworkingcafe\.local/, 'the demo client';
($rc, $out) = ctl(undef, 'seed');
is $rc, 0, 'seed again: exit 0';
is scalar(() = $out =~ /^exists\s+\S+\@\S+ \(left as it is\)$/mg), 3, 'and leaves the three accounts as they are'
	or diag $out;

my ($r, $client) = login(site => 'client@coworkingcafe.local', 'cafe-client-2026');
is $r->{status}, 200, 'the demo client signs in on the site';
is $r->{json}{user}{role}, 'client', 'as client';
my $staff;
($r, $staff) = login(admin => 'staff@coworkingcafe.local', 'cafe-staff-2026');
is $r->{status}, 200, 'the demo staff signs in on admin';
is $r->{json}{user}{role}, 'staff', 'as staff';
my $admin;
($r, $admin) = login(admin => 'admin@coworkingcafe.local', 'cafe-admin-2026');
is $r->{status}, 200, 'the demo admin signs in on admin';
is $r->{json}{user}{role}, 'admin', 'as admin';

# ---- the admin app's door ---------------------------------------------------

$r = login(admin => 'client@coworkingcafe.local', 'cafe-client-2026');
is $r->{status}, 403, "a client's correct password on admin: 403";
is $r->{json}{error}{code}, 'forbidden', 'forbidden';
ok !session_of($r), 'and no session';
$r = login(admin => 'client@coworkingcafe.local', 'wrong-password');
is $r->{status}, 401, 'a wrong password on admin: 401 (the role is not revealed)';

my @admin_routes = (['GET', '/api/auth/session'], ['GET', '/api/dashboard']);
for my $rt (@admin_routes) {
	my ($m, $p) = @$rt;
	is call($m, $p, host => 'admin')->{status}, 401, "admin $m $p without session: 401";
	$r = call($m, $p, host => 'admin', cookie => $client);
	is $r->{status}, 403, "admin $m $p with a client session: 403";
	is $r->{json}{error}{code}, 'forbidden', 'forbidden';
	is call($m, $p, host => 'admin', cookie => $staff)->{status}, 200, "admin $m $p with staff: 200";
	is call($m, $p, host => 'admin', cookie => $admin)->{status}, 200, "admin $m $p with admin: 200";
}
is call(GET => '/api/dashboard', host => 'admin', cookie => $staff)->{json}{role}, 'staff',
	'the dashboard knows the role';
$r = call(GET => '/api/auth/session', cookie => $staff);
is $r->{status}, 200, 'a session opened on admin works on the site (one session store)';
is $r->{json}{user}{role}, 'staff', 'with its role';

# ---- roles are read at every request ---------------------------------------------

($rc) = ctl(undef, 'set-role', 'client@coworkingcafe.local', 'staff');
is $rc, 0, 'set-role client → staff';
$r = call(GET => '/api/dashboard', host => 'admin', cookie => $client);
is $r->{status}, 200, 'the same session is now admitted';
is $r->{json}{role}, 'staff', 'as staff';
($rc) = ctl(undef, 'set-role', 'client@coworkingcafe.local', 'client');
is call(GET => '/api/dashboard', host => 'admin', cookie => $client)->{status}, 403,
	'and refused again once back to client';
($rc, undef, $err) = ctl(undef, 'set-role', 'client@coworkingcafe.local', 'wizard');
is $rc, 2, 'set-role with an unknown role: exit 2';
like $err, qr/unknown role/, 'saying so';
($rc, undef, $err) = ctl(undef, 'set-role', 'ghost@example.com', 'staff');
is $rc, 1, 'set-role for an unknown email: exit 1';
like $err, qr/no account/, 'saying so';

# ---- create-admin, reset-password ----------------------------------------------------

($rc, $out, $err) = ctl("patron-mot-2026\n", 'create-admin', 'Patron@Example.com', '--name', 'Patron');
is $rc, 0, 'create-admin (password on stdin): exit 0' or diag $err;
$r = login(admin => 'patron@example.com', 'patron-mot-2026');
is $r->{status}, 200, 'the new admin signs in at once (active)';
is $r->{json}{user}{role}, 'admin', 'as admin';
is $r->{json}{user}{givenName}, 'Patron', 'with its name';
($rc, undef, $err) = ctl("patron-mot-2026\n", 'create-admin', 'patron@example.com');
is $rc, 1, 'create-admin for an existing email: exit 1';
like $err, qr/already exists/, 'saying so';
($rc, undef, $err) = ctl("court\n", 'create-admin', 'other@example.com');
is $rc, 1, 'create-admin with a short password: exit 1';
($rc) = ctl(undef, 'create-admin');
is $rc, 2, 'create-admin without an email: exit 2';
($rc, undef, $err) = ctl(undef, 'frobnicate');
is $rc, 2, 'an unknown command: exit 2';

($rc, undef, $err) = ctl("equipe-neuf-2026\n", 'reset-password', 'staff@coworkingcafe.local');
is $rc, 0, 'reset-password: exit 0' or diag $err;
is call(GET => '/api/dashboard', host => 'admin', cookie => $staff)->{status}, 401,
	"the staff member's session is ended";
is login(admin => 'staff@coworkingcafe.local', 'cafe-staff-2026')->{status}, 401, 'the old password fails';
is login(admin => 'staff@coworkingcafe.local', 'equipe-neuf-2026')->{status}, 200, 'the new one works';

# ---- import-admins: the original's bcrypt accounts -------------------------------------

# bcrypt cost 10 of "secret", as the original's bcryptjs stored them.
my $bcrypt = '$2b$10$Zk435EM2VxeVCLpsmD4lOesBHTncmgIEAtrwsC5uQO7O6wA1wOG..';
my $id1 = join '', map { sprintf '%02x', int rand 256 } 1 .. 12;
my $id2 = join '', map { sprintf '%02x', int rand 256 } 1 .. 12;
my $file = $s->dir . '/admins.json';
open my $fh, '>', $file or die;
print $fh encode_json({ _id => { '$oid' => $id1 }, email => 'Chef@Example.com', password => $bcrypt,
			dashboardPin => $bcrypt, role => 'admin', givenName => 'Chef',
			createdAt => { '$date' => '2024-03-01T10:00:00Z' } }), "\n";
print $fh encode_json({ _id => { '$oid' => $id2 }, email => 'dev@example.com', password => $bcrypt,
			role => 'dev', givenName => 'Dev' }), "\n";
print $fh encode_json({ email => 'noid@example.com', password => $bcrypt, role => 'staff' }), "\n";
close $fh;

($rc, $out, $err) = ctl(undef, 'import-admins', '--file', $file);
is $rc, 0, 'import-admins --file: exit 0' or diag $err;
like $out, qr/imported 2, already there 0, skipped \(invalid\) 1/, 'two imported, one without _id skipped';
($rc, $out) = ctl(undef, 'import-admins', '--file', $file);
like $out, qr/imported 0, already there 2/, 'a second run leaves them as they are';

my $u = show_user('chef@example.com');
is $u->{id}, $id1, 'the imported admin keeps its _id';
is $u->{role}, 'admin', 'its role, by slug';
is $u->{passwordScheme}, 'bcrypt', 'and its bcrypt hash';
ok $u->{hasDashboardPin}, 'and its dashboard PIN';
unlike encode_json($u), qr/\$2b\$/, 'show-user prints no hash';

is login(admin => 'chef@example.com', 'not-the-secret')->{status}, 401, 'a wrong password fails against bcrypt';
is show_user('chef@example.com')->{passwordScheme}, 'bcrypt', 'and upgrades nothing';
($r, my $chef) = login(admin => 'chef@example.com', 'secret');
is $r->{status}, 200, 'the bcrypt password signs in on admin';
is $r->{json}{user}{id}, $id1, 'as the same _id';
is show_user('chef@example.com')->{passwordScheme}, 'argon2id', 'and is now stored as Argon2id';
is login(admin => 'chef@example.com', 'secret')->{status}, 200, 'and still signs in';
is login(site => 'dev@example.com', 'secret')->{json}{user}{role}, 'dev', 'an imported dev is dev';

($rc) = ctl(undef, 'ensure-indexes');
is $rc, 0, 'ensure-indexes: exit 0';

done_testing;
