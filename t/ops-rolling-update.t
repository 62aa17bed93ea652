#!/usr/bin/perl
# A rolling update loses no request (SPEC §10): with two instances of site,
# admin and the relay behind Caddy and clients sending a mix of reads and
# writes (health, home page, logins, sessions, chat messages), every
# instance is replaced by a new one, one at a time, and not one request
# fails. A new program that does not come up healthy stops the update:
# the old instances keep serving, untouched, still with no failed request.
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use CWC::Load;
use CWC::Stack;
use File::Temp qw(tempdir);
use Test::More;
use Time::HiRes qw(sleep time);

my $s = CWC::Stack->start(instances => { site => 2, admin => 2, relay => 2 }, workers => 2);
$s->seed;
my $client = $s->login('client');
my $conv = $s->post('/api/conversations', session => $client, json => {})->{json}{id};
ok $conv, 'the customer has a conversation to write in';

my @apps = ($s->instances('site'), $s->instances('admin'), $s->instances('relay'));
my %before = map { $_ => $s->listener_id($_) } @apps;
is scalar(grep { defined } values %before), 6, 'six instances listen: site ×2, admin ×2, relay ×2';

# Waits until the clients have made `n` more requests (bounded).
sub wait_requests {
	my ($load, $n) = @_;
	my $want = $load->progress + $n;
	my $deadline = time + 120;
	sleep 0.2 while $load->progress < $want && time < $deadline;
	return $load->progress >= $want;
}

my @demo = @{ $CWC::Stack::DEMO{client} };
my $load = CWC::Load->start($s, clients => 4, seconds => 300, client => \@demo, conversation => $conv);
ok wait_requests($load, 40), 'the clients are sending requests';
my @steps;
my $t0 = time;
my ($ok, $why) = $s->rolling_update(progress => sub { push @steps, $_[0] });
my $took = time - $t0;
ok wait_requests($load, 40), 'and keep going after the update';
my $r = $load->finish;
ok $ok, 'the rolling update completes' or diag "$why\n", join "\n", @steps;
diag sprintf 'rolling update of %d instances in %.1f s under load: %s', scalar(@apps), $took, CWC::Load::summary($r);
is $r->{failed}, 0, 'no request failed during the update'
	or diag explain $r->{failures};
is_deeply $r->{errors}, [], 'every client ran to the end';
cmp_ok $r->{kinds}{$_}{n} // 0, '>', 0, "$_ requests were made" for qw(login message admin_health);

my %after = map { $_ => $s->listener_id($_) } @apps;
for my $name (@apps) {
	ok defined $after{$name} && $after{$name} ne ($before{$name} // ''),
		"$name: a new process listens";
	my ($old) = split /:/, $before{$name};
	ok !CWC::Stack::proc_alive($old), "$name: the old one has exited";
}
ok !-e "$s->{dir}/site.sock", "the old site instance's socket file is gone";
is $s->get('/api/health')->{status}, 200, 'the site answers through Caddy';
is $s->post("/api/conversations/$conv/messages", session => $client,
	    json => { content => 'après la mise à jour' })->{status}, 201, 'a message is sent after the update';

# ---- a new program that fails its health check ---------------------------------

my $tmp = tempdir(CLEANUP => 1);
my $broken = "$tmp/site";
open my $fh, '>', $broken or die;
print $fh "#!/bin/sh\necho 'broken build: refusing to start' >&2\nexit 1\n";
close $fh;
chmod 0755, $broken;

%before = %after;
$load = CWC::Load->start($s, clients => 3, seconds => 300, client => \@demo, conversation => $conv);
ok wait_requests($load, 30), 'the clients are sending requests again';
($ok, $why) = $s->rolling_update(programs => { site => $broken }, timeout => 10);
ok wait_requests($load, 30), 'and keep going after the failed update';
$r = $load->finish;
ok !$ok, 'a rolling update to a program that exits at start-up stops';
like $why, qr/^site: the new instance is not healthy \(it exited with status 1\); the old instance keeps serving/,
	'saying which instance and why';
diag 'failed rolling update under load: ' . CWC::Load::summary($r);
is $r->{failed}, 0, 'no request failed' or diag explain $r->{failures};
for my $name (@apps) {
	is $s->listener_id($name), $before{$name}, "$name: still the same instance";
}
is $s->get('/api/health')->{status}, 200, 'the site still answers';

done_testing;
