#!/usr/bin/perl
# Several instances side by side (SPEC §10: site 2–5, admin 1–3): three
# site masters, two admin masters and two relays behind one Caddy.
# Requests are spread over every instance; a chat message sent over HTTP
# reaches sockets on both relays. Then one instance of each is killed
# (SIGKILL: no drain, its workers leave by themselves) and no read or
# login fails: Caddy sends them again to the instances left. Once the
# killed apps are started again (what their supervisor does), chat goes
# on: a client cut from its relay reconnects through Caddy to the relay
# left and gets what it missed.
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use CWC::Stack;
use CWC::WS;
use Test::More;
use Time::HiRes qw(sleep time);

my $s = CWC::Stack->start(instances => { site => 3, admin => 2, relay => 2 }, workers => 1);
my @sites = $s->instances('site');
my @admins = $s->instances('admin');
is_deeply [ @sites, @admins ], [qw(site site2 site3 admin admin2)], 'three site and two admin instances';
for my $name (@sites, @admins, $s->instances('relay')) {
	ok $s->listener_id($name), "$name listens";
}

# The request ids each instance logged for one path.
sub served {
	my ($name, $path) = @_;
	my %ids;
	for my $line (split /\n/, $s->log_text($name)) {
		next unless $line =~ /"path":"\Q$path\E"/;
		$ids{$1} = 1 if $line =~ /"requestId":"([^"]+)"/;
	}
	return \%ids;
}

my (%site_ids, %admin_ids);
for (1 .. 30) {
	my $r = $s->get('/api/health?spread');
	$site_ids{ $r->{headers}{'x-request-id'} } = 1 if $r->{status} == 200;
	$r = $s->get('/api/health?spread', host => 'admin');
	$admin_ids{ $r->{headers}{'x-request-id'} } = 1 if $r->{status} == 200;
}
is scalar(keys %site_ids), 30, '30 site requests answered';
for my $name (@sites) {
	my $n = grep { $site_ids{$_} } keys %{ served($name, '/api/health') };
	cmp_ok $n, '>=', 5, "$name served its share of them ($n)";
}
for my $name (@admins) {
	my $n = grep { $admin_ids{$_} } keys %{ served($name, '/api/health') };
	cmp_ok $n, '>=', 5, "$name served its share of the admin ones ($n)";
}

# ---- chat across relays --------------------------------------------------------

my $client = $s->login('client');
my $staff = $s->login('staff', undef, host => 'admin');
my $conv = $s->post('/api/conversations', session => $client, json => {})->{json}{id};
# Straight to each relay, so that one socket is on each.
my ($staff_ws, $e1) = CWC::WS->connect('ws://127.0.0.1:' . $s->relay_port(1) . '/ws',
	headers => { Cookie => $staff->{cookie}, Origin => $s->admin_url });
my ($client_ws, $e2) = CWC::WS->connect('ws://127.0.0.1:' . $s->relay_port(2) . '/ws',
	headers => { Cookie => $client->{cookie}, Origin => $s->site_url });
ok $staff_ws && $client_ws, 'the staff on relay 1, the customer on relay 2' or diag $e1 // $e2;
my $r = $s->post("/api/conversations/$conv/messages", session => $client, json => { content => 'Un café allongé, svp' });
is $r->{status}, 201, 'the customer sends a message';
my $got = $staff_ws && $staff_ws->recv_json(type => 'message', timeout => 10);
is $got && $got->{message}{content}, 'Un café allongé, svp', 'the staff socket on the other relay receives it';
$got = $client_ws && $client_ws->recv_json(type => 'message', timeout => 10);
is $got && $got->{message}{content}, 'Un café allongé, svp', "and the customer's own socket too";

# ---- one instance of each killed --------------------------------------------------

my $site2_before = keys %{ served('site2', '/api/health') };
my %victim = (site => 'site2', admin => 'admin2', relay => 'relay2');
for my $name (values %victim) {
	my @workers = $s->children($name);
	my $pid = $s->pid($name);
	$s->expect_crash($name, qr/signal 9\b/);
	kill 'KILL', $pid;
	my $deadline = time + 10;
	sleep 0.05 while time < $deadline && (CWC::Stack::proc_alive($pid) || grep { CWC::Stack::proc_alive($_) } @workers);
	ok !CWC::Stack::proc_alive($pid), "$name killed (SIGKILL)";
	ok !(grep { CWC::Stack::proc_alive($_) } @workers), "$name: its workers have left by themselves"
		if @workers;
}
ok -S $s->socket_path('site2'), "site2's socket file is still there: connections to it are refused";

my ($failed, $n) = (0, 0);
my @failures;
for my $i (1 .. 30) {
	for my $host (qw(site admin)) {
		my $r = $s->get('/api/health?after-kill', host => $host);
		$n++;
		next if $r->{status} == 200;
		$failed++;
		push @failures, "GET $host: $r->{status} $r->{content}";
	}
	$r = $s->get('/', ());
	$n++;
	$failed++, push @failures, "GET /: $r->{status}" if $r->{status} != 200;
}
for my $i (1 .. 12) {
	my $host = $i % 2 ? 'site' : 'admin';
	my ($email, $password) = @{ $CWC::Stack::DEMO{ $i % 2 ? 'client' : 'staff' } };
	my $r = $s->post('/api/auth/login', host => $host, json => { email => $email, password => $password });
	$n++;
	$failed++, push @failures, "login on $host: $r->{status} $r->{content}" if $r->{status} != 200;
}
is $failed, 0, "no failed request among $n reads and logins after the kill"
	or diag join "\n", @failures[0 .. ($#failures > 9 ? 9 : $#failures)];
is scalar(keys %{ served('site2', '/api/health') }), $site2_before, 'the killed site instance served nothing more';

# A POST other than a login is not sent twice (etc/caddy/common.caddy):
# the dead app instances come back as their supervisor would start them
# (systemd, compose, make run), at the same address.
for my $name ($victim{site}, $victim{admin}) {
	ok eval { $s->start_component($name) }, "$name started again" or diag $@;
}

# The customer's relay is gone: the socket closes, a new one through Caddy
# lands on the relay left and catches up.
ok $client_ws && !defined $client_ws->recv_json(type => 'never', timeout => 3), "the customer's socket is cut";
$r = $s->post("/api/conversations/$conv/messages", session => $staff, json => { content => 'Tout de suite !' });
is $r->{status}, 201, 'the staff answer meanwhile' or diag $r->{content}, $s->log_tail('caddy', 3);
my $own = $staff_ws && $staff_ws->recv_json(type => 'message', timeout => 10);
is $own && $own->{message}{content}, 'Tout de suite !', "the staff's socket shows the answer";
my $again;
my $deadline = time + 15;
while (!$again && time < $deadline) {
	($again) = CWC::WS->connect('ws://localhost:' . $s->site_port . '/ws',
		headers => { Cookie => $client->{cookie}, Origin => $s->site_url });
	sleep 0.2 unless $again;
}
ok $again, 'the customer reconnects through Caddy';
$again->send_text(JSON::PP::encode_json({ type => 'resume', lastMessageId => $got->{message}{id} })) if $again && $got;
my $resumed = $again && $again->recv_json(type => 'message', timeout => 10);
is $resumed && $resumed->{message}{content}, 'Tout de suite !', 'and gets the answer sent while it was away';
$r = $s->post("/api/conversations/$conv/messages", session => $client, json => { content => 'Merci !' });
$got = $staff_ws && $staff_ws->recv_json(type => 'message', timeout => 10);
is $got && $got->{message}{content}, 'Merci !', 'chat keeps flowing between the relay left and the staff';

done_testing;
