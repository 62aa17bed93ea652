#!/usr/bin/perl
# A mailed link works once, even when it is used many times at the same
# moment (a double click, a mail scanner and the user, an attacker racing
# the owner): PARALLEL requests with the same activation token, then with
# the same password-reset token, released together against a site of
# WORKERS processes. Exactly one succeeds; every other one gets the
# documented 410 token_expired, and the account ends in the state of the
# one that succeeded.
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use CWC::Stack;
use HTTP::Tiny;
use JSON::PP;
use POSIX ();
use Test::More;

my $PARALLEL = 10;
my $WORKERS = 8;   # enough processes for the requests to meet in the store
my $s = CWC::Stack->start(workers => $WORKERS, env => {
	CWC_THROTTLE_FORGOT => '1000/3600',
});

# Sends $PARALLEL POSTs of $bodies[i] to $path at once: each from its own
# process, all waiting on one pipe that the parent closes to start them.
# Returns the answers [status, decoded body] in order.
sub race {
	my ($path, @bodies) = @_;
	pipe(my $go_r, my $go_w) or die "pipe: $!";
	my (@kids, @outs);
	for my $i (0 .. $#bodies) {
		pipe(my $res_r, my $res_w) or die "pipe: $!";
		my $pid = fork // die "fork: $!";
		if ($pid == 0) {
			close $go_w;
			close $res_r;
			my $ua = HTTP::Tiny->new(timeout => 30);
			my $url = $s->site_url . $path;
			sysread($go_r, my $x, 1);   # returns at EOF: the start
			my $r = $ua->post($url, { content => encode_json($bodies[$i]),
				headers => { 'Content-Type' => 'application/json' } });
			print {$res_w} "$r->{status}\n$r->{content}";
			close $res_w;
			POSIX::_exit(0);
		}
		close $res_w;
		push @kids, $pid;
		push @outs, $res_r;
	}
	close $go_r;
	select undef, undef, undef, 0.3;   # every child is connected and waiting
	close $go_w;
	my @answers;
	for my $fh (@outs) {
		local $/;
		my ($status, $body) = split /\n/, <$fh> // "0\n", 2;
		push @answers, [ $status, eval { decode_json($body // '') } ];
	}
	waitpid $_, 0 for @kids;
	return @answers;
}

sub tally {
	my (@answers) = @_;
	my %n;
	$n{ $_->[0] . ($_->[1] && $_->[1]{error} ? " $_->[1]{error}{code}" : '') }++ for @answers;
	return \%n;
}

# ---- activation ------------------------------------------------------------------------

my $email = 'race.activation@example.com';
my $r = $s->post('/api/auth/register', json => { email => $email, password => 'first-password-1',
						 givenName => 'Rachel' });
is $r->{status}, 201, 'registered';
my ($token) = $s->wait_mail($email, qr/activate-account\?token=([0-9a-f]{64})/)
	=~ /activate-account\?token=([0-9a-f]{64})/;
ok $token, 'the activation link';

my @answers = race('/api/auth/activate-account', ({ token => $token }) x $PARALLEL);
is_deeply tally(@answers), { 200 => 1, '410 token_expired' => $PARALLEL - 1 },
	"$PARALLEL activations at once with one token: one 200, " . ($PARALLEL - 1) . ' x 410 token_expired';
is $s->post('/api/auth/login', json => { email => $email, password => 'first-password-1' })->{status},
	200, 'the account is active';

# ---- password reset ----------------------------------------------------------------------

is $s->post('/api/auth/forgot-password', json => { email => $email })->{status}, 200, 'forgot-password';
($token) = $s->wait_mail($email, qr/reset-password\?token=([0-9a-f]{64})/)
	=~ /reset-password\?token=([0-9a-f]{64})/;
ok $token, 'the reset link';

# each racer sets its own password: the one that wins must be the one in force
my @passwords = map { "racer-password-$_" } 1 .. $PARALLEL;
@answers = race('/api/auth/reset-password', map { { token => $token, password => $_ } } @passwords);
is_deeply tally(@answers), { 200 => 1, '410 token_expired' => $PARALLEL - 1 },
	"$PARALLEL resets at once with one token: one 200, " . ($PARALLEL - 1) . ' x 410 token_expired';
my ($winner) = grep { $answers[$_][0] == 200 } 0 .. $#answers;
my @works = grep {
	$s->post('/api/auth/login', json => { email => $email, password => $_ })->{status} == 200
} $passwords[$winner // 0], 'first-password-1';
is_deeply \@works, [ $passwords[$winner // 0] ], "the winner's password is in force, the old one is not";
my @losers = grep { $_ != ($winner // 0) } 0 .. $#passwords;
is $s->post('/api/auth/login', json => { email => $email, password => $passwords[$losers[0]] })->{status},
	401, "a loser's password is not";
unlike $s->log_text('site'), qr/AddressSanitizer|segfault/i, 'no crash in the logs';

done_testing;
