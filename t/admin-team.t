#!/usr/bin/perl
# The team (SPEC §9, admins; the dev role by a dev): the members and
# their roles, an invitation by mail (the new member chooses a password
# at activation), role changes in the audit log; nobody changes their own
# role (so nobody raises it), nobody gives a role above their own, a
# member who loses rights is signed out; the screens for admins only.
use strict;
use warnings;
use utf8;
use FindBin;
use lib "$FindBin::Bin/lib";
use CWC::Stack;
use Encode ();
use Test::More;
binmode $_, ':encoding(UTF-8)' for map { Test::More->builder->$_ } qw(output failure_output todo_output);

my $s = CWC::Stack->start;
$s->seed;
my ($rc, $out) = $s->ctl('create-admin', 'dev@coworkingcafe.local', '--role', 'dev', { stdin => "dev-password-2026\n" });
my $dev;
if ($rc == 0) {
	$dev = eval { $s->login('dev@coworkingcafe.local', 'dev-password-2026', host => 'admin') };
}
my $staff = $s->login('staff', undef, host => 'admin');
my $admin = $s->login('admin', undef, host => 'admin');
sub api { my ($method, $path, $who, %o) = @_; $s->request($method, "/api$path", session => $who, host => 'admin', %o) }
sub id_of { $s->get('/api/auth/session', session => $_[0], host => 'admin')->{json}{user}{id} }
my $admin_id = id_of($admin);
my $staff_id = id_of($staff);

# --- the list: staff, admins and devs, never customers
is api(GET => '/team', $staff)->{status}, 403, 'staff cannot see the team';
my $r = api(GET => '/team', $admin);
is $r->{status}, 200, 'an admin sees the team';
my %roles = map { $_->{email} => $_->{role} } @{ $r->{json}{users} };
is $roles{'admin@coworkingcafe.local'}, 'admin', 'the admin, as admin';
is $roles{'staff@coworkingcafe.local'}, 'staff', 'the staff member, as staff';
ok !exists $roles{'client@coworkingcafe.local'}, 'no customer in the team';

# --- invitation
is api(POST => '/team', $staff, json => { email => 'new@example.com', givenName => 'N', role => 'staff' })->{status}, 403,
	'staff cannot invite';
$r = api(POST => '/team', $admin, json => { email => 'nouvelle.recrue@example.com', givenName => 'Nouvelle Recrue', role => 'staff' });
is $r->{status}, 201, 'an admin invites a staff member' or diag $r->{content};
my $recruit = $r->{json}{user};
is $recruit->{role}, 'staff', '... as staff';
is $recruit->{status}, 'pending', '... waiting for the activation';
$r = api(POST => '/team', $admin, json => { email => 'x@example.com', givenName => 'X', role => 'dev' });
is $r->{status}, 403, 'an admin cannot invite a dev';
$r = api(POST => '/team', $admin, json => { email => 'x@example.com', givenName => 'X', role => 'boss' });
is $r->{status}, 422, 'an unknown role: 422';
is $r->{json}{error}{field}, 'role', '... naming the field';
my $mail = $s->wait_mail('nouvelle.recrue@example.com', qr/token=([0-9a-f]{64})/);
my ($token) = $mail =~ /token=([0-9a-f]{64})/;
$r = $s->post('/api/auth/activate-account', json => { token => $token, password => 'recrue-password-1' });
is $r->{status}, 200, 'the recruit activates the account with a password';
my $recruit_s = $s->login('nouvelle.recrue@example.com', 'recrue-password-1', host => 'admin');
ok $recruit_s, '... and signs in on the back office';

# --- roles
$r = api(PUT => "/users/$staff_id/role", $staff, json => { role => 'admin' });
is $r->{status}, 403, 'staff cannot raise their own role';
$r = api(PUT => "/users/$admin_id/role", $admin, json => { role => 'dev' });
is $r->{status}, 403, 'an admin cannot raise their own role';
$r = api(PUT => "/users/$admin_id/role", $admin, json => { role => 'staff' });
is $r->{status}, 403, '... nor change it at all';
$r = api(PUT => "/users/$recruit->{id}/role", $admin, json => { role => 'dev' });
is $r->{status}, 403, 'an admin cannot make a dev';
$r = api(PUT => "/users/$recruit->{id}/role", $admin, json => { role => 'admin' });
is $r->{status}, 200, 'an admin makes the recruit an admin' or diag $r->{content};
is $r->{json}{user}{role}, 'admin', '... the answer says so';
is api(GET => '/team', $recruit_s)->{status}, 200, '... who may now open the team';
$r = api(PUT => "/users/$recruit->{id}/role", $admin, json => { role => 'staff' });
is $r->{status}, 200, 'back to staff';
is $s->get('/api/auth/session', session => $recruit_s, host => 'admin')->{status}, 401, '... losing rights ends the sessions';
is api(PUT => '/users/nope/role', $admin, json => { role => 'staff' })->{status}, 404, 'a bad id: 404';
SKIP: {
	skip 'no dev account (cwc-ctl create-admin --role dev)', 3 unless $dev;
	my $dev_id = id_of($dev);
	is api(PUT => "/users/$dev_id/role", $admin, json => { role => 'staff' })->{status}, 403, 'an admin cannot demote a dev';
	$r = api(PUT => "/users/$recruit->{id}/role", $dev, json => { role => 'dev' });
	is $r->{status}, 200, 'a dev makes a dev';
	is api(PUT => "/users/$recruit->{id}/role", $dev, json => { role => 'staff' })->{status}, 200, '... and takes it back';
}

my $log = $s->get('/api/audit-log?limit=100&collection=users', session => $admin, host => 'admin')->{json}{entries};
my @changes = grep { $_->{action} eq 'users.role.update' } @$log;
ok @changes >= 2, 'role changes are in the audit log';
ok((grep { ($_->{after}{role} // '') ne '' && $_->{documentId} eq $recruit->{id} } @changes), '... with the role that changed')
	or diag explain \@changes;
ok((grep { $_->{action} eq 'team.create' && $_->{documentId} eq $recruit->{id} } @$log), 'the invitation too');

# --- the screens
$r = $s->get('/team', session => $staff, host => 'admin');
ok $r->{status} == 403 || $r->{status} == 303, 'staff cannot open the team page';
unlike Encode::decode('UTF-8', $s->get('/', session => $staff, host => 'admin')->{content}), qr{href="/team"},
	"the staff's sidebar has no Team entry";
my $page = Encode::decode('UTF-8', $s->get('/', session => $admin, host => 'admin')->{content});
like $page, qr{href="/team"}, "the admin's sidebar has it";
like $page, qr{href="/customers"}, '... and Customers';
$r = $s->get('/team', session => $admin, host => 'admin');
is $r->{status}, 200, 'the team page';
like Encode::decode('UTF-8', $r->{content}), qr/nouvelle\.recrue\@example\.com/, '... lists the recruit';
my ($invite_roles) = $r->{content} =~ m{<select id="t-role" name="role">(.*?)</select>}s;
ok $invite_roles && $invite_roles !~ /value="dev"/, '... an admin is not offered the dev role';
$r = $s->request('POST', '/team', host => 'admin', session => $admin,
		 headers => { 'Content-Type' => 'application/x-www-form-urlencoded' },
		 body => 'givenName=Form+Recrue&email=form.recrue%40example.com&role=staff');
is $r->{status}, 303, 'the invitation form';
$r = $s->request('POST', "/team/$admin_id/role", host => 'admin', session => $admin,
		 headers => { 'Content-Type' => 'application/x-www-form-urlencoded' }, body => 'role=dev');
is $r->{status}, 403, 'the role form refuses one\'s own role';

$s->stop;
done_testing;
