#!/usr/bin/perl
# The outbox as the stack runs it: the mailer daemon (`cwc-cron outbox
# --follow`) delivers queued mails to Resend's API (a local fake that
# checks requests as Resend does). A provider outage delays mail and loses
# none: 5xx and 429 are retried with backoff and each mail is delivered
# exactly once; a 422 fails the mail at once without a retry storm; a
# sender killed mid-delivery loses nothing (the claim expires, another
# pass delivers it, and the Idempotency-Key keeps it from arriving twice);
# SIGTERM lets the mail in progress finish; the API key is never logged.
use strict;
use warnings;
use utf8;
use FindBin;
use lib "$FindBin::Bin/lib", "$FindBin::Bin/fake";
use Test::More;
use POSIX ();
use CWC::Cron;
use CWC::Stack;
use Encode ();
use FakeService;
use JSON::PP;
use POSIX qw(:sys_wait_h);
use Time::HiRes qw(sleep time);

binmode $_, ':encoding(UTF-8)' for Test::More->builder->output,
	Test::More->builder->failure_output, Test::More->builder->todo_output;

my $ROOT = $CWC::Stack::ROOT;
plan skip_all => 'bin/cwc-cron is not built' unless -x "$ROOT/bin/cwc-cron";

my $KEY = 're_test_' . join('', map { ('a' .. 'z', 0 .. 9)[rand 36] } 1 .. 24);
my $resend = FakeService->start('resend', '--key', $KEY);
my $s = CWC::Stack->start(env => {
	RESEND_API_KEY => $KEY,
	RESEND_API_BASE => $resend->url,
	EMAIL_FROM => Encode::encode('UTF-8', 'CoworKing Café <contact@cafe.test>'),
	CWC_MAIL_BACKOFF_SECONDS => 1,
	CWC_MAIL_LOCK_SECONDS => 3,
	CWC_MAIL_POLL_MS => 200,
});
ok CWC::Stack::proc_alive($s->pid('mailer')), 'the stack runs the mailer';

sub cron {
	my (@args) = @_;
	my %env = $s->app_env;                 # bytes: run_cron encodes text
	$_ = Encode::decode('UTF-8', $_) for values %env;
	return run_cron(\%env, $s->dir . '/logs/cwc-cron.log', @args);
}

sub mail_to {
	my ($to) = @_;
	my (undef, $out) = cron('outbox-list');
	my @m = grep { $_->{to} eq $to } map { decode_json($_) } grep { /\S/ } split /\n/, $out;
	return $m[-1];
}

sub wait_for {
	my ($timeout, $cond) = @_;
	my $deadline = time + $timeout;
	while (time < $deadline) {
		my $v = $cond->();
		return $v if $v;
		sleep 0.1;
	}
	return;
}

sub wait_status {
	my ($to, $status, $timeout) = @_;
	return wait_for($timeout // 15, sub {
		my $m = mail_to($to);
		$m && $m->{status} eq $status ? $m : undef;
	}) // mail_to($to);
}

sub requests_for {
	my ($to, $outcome) = @_;
	return grep {
		ref $_->{body} eq 'HASH' && ref $_->{body}{to} eq 'ARRAY' &&
		$_->{body}{to}[0] eq $to && (!$outcome || $_->{outcome} eq $outcome)
	} $resend->records;
}

sub enqueue {
	my ($to, @rest) = @_;
	my ($rc, $out) = cron('mail-test', $to, @rest);
	is $rc, 0, "mail queued for $to" or diag $out;
}

# ---- delivered, with the key and the JSON Resend expects -----------------
enqueue('zoe@example.com');
my $m = wait_status('zoe@example.com', 'sent');
is $m->{status}, 'sent', 'the mailer delivered the mail';
my @req = requests_for('zoe@example.com');
is scalar(@req), 1, 'one request reached Resend';
my $r = $req[0];
is $r->{outcome}, 'accepted', '… accepted as well-formed';
is $r->{authorization}, "Bearer $KEY", '… with the API key as bearer';
is $r->{body}{from}, 'CoworKing Café <contact@cafe.test>', '… from: EMAIL_FROM';
is_deeply $r->{body}{to}, ['zoe@example.com'], '… to: a list of one address';
is $r->{body}{subject}, 'Test d’envoi — CoworKing Café', '… the French subject';
like $r->{body}{html}, qr/<html lang="fr">.*CoworKing Café/s, '… an HTML body';
like $r->{body}{text}, qr/l’envoi des\s+e-mails fonctionne/, '… a text body';
is $r->{idempotencyKey}, "outbox-$m->{_id}{'$oid'}", '… the outbox id as Idempotency-Key';
is $m->{providerId}, $r->{id}, 'Resend\'s id is kept as providerId';
is $m->{attempts}, 1, 'one attempt';
ok $m->{sentAt}, 'sentAt set';

# ---- the accounts' activation mail, when registration exists -------------
SKIP: {
	my $reg = $s->post('/api/auth/register', headers => { Origin => $s->site_url }, json => {
		email => 'nina@example.com', password => 'un mot de passe 42', username => 'nina',
		givenName => 'Nina', phone => '0600000000', newsletter => JSON::PP::false });
	skip "POST /api/auth/register answers $reg->{status}", 5 unless $reg->{status} == 201;
	my $a = wait_status('nina@example.com', 'sent');
	is $a->{status}, 'sent', 'registering sends the activation mail';
	is $a->{template}, 'activation', '… the activation template';
	my ($ar) = requests_for('nina@example.com', 'accepted');
	is $ar->{body}{subject}, 'Activez votre compte CoworKing Café', '… its French subject';
	my $site = $s->site_url;
	like $ar->{body}{text}, qr{^\Q$site\E/\S*activate-account\?token=[0-9a-f]+$}m, '… the activation link';
	like $ar->{body}{html}, qr/Bonjour Nina,/, '… greeting the new customer';
}

# ---- an outage: 500, 500, then delivered once, with backoff -------------------
$resend->control(failFirst => 2, failStatus => 500);
enqueue('retry@example.com');
$m = wait_status('retry@example.com', 'sent', 20);
is $m->{status}, 'sent', 'after two 500s the mail is delivered';
is $m->{attempts}, 3, '… on the third attempt';
like $m->{lastError} // '', qr/HTTP 500 application_error/, '… the last error is kept';
@req = requests_for('retry@example.com');
is_deeply [ map { $_->{outcome} } @req ], [qw(injected injected accepted)],
	'Resend saw two failures, then one accepted mail';
if (@req == 3) {
	cmp_ok $req[1]{time} - $req[0]{time}, '>=', 0.9, 'the first retry waited the base backoff (1 s)';
	cmp_ok $req[2]{time} - $req[1]{time}, '>=', 1.9, 'the second waited twice as long';
}

# a burst during an outage: nothing lost, nothing doubled
$resend->control(failFirst => 4, failStatus => 500);
my @burst = map { "burst$_\@example.com" } 1 .. 5;
enqueue($_) for @burst;
for my $to (@burst) {
	my $b = wait_status($to, 'sent', 25);
	is $b->{status}, 'sent', "$to delivered despite the outage";
	is scalar(requests_for($to, 'accepted')), 1, "$to accepted exactly once";
}

# ---- 429: retried after Retry-After ---------------------------------------------
$resend->control(failFirst => 1, failStatus => 429);
enqueue('busy@example.com');
$m = wait_status('busy@example.com', 'sent', 15);
is $m->{status}, 'sent', 'a 429 is retried and the mail delivered';
like $m->{lastError} // '', qr/429 rate_limit_exceeded/, '… the 429 in lastError';

# ---- 422: the mail is refused for good, no retry storm ---------------------------
$resend->control(failFirst => 1, failStatus => 422);
enqueue('invalid@example.com');
$m = wait_status('invalid@example.com', 'failed', 15);
is $m->{status}, 'failed', 'a 422 fails the mail at once';
is $m->{attempts}, 1, '… after one attempt';
like $m->{lastError} // '', qr/HTTP 422 validation_error/, '… Resend\'s error in lastError';
ok $m->{failedAt}, '… with failedAt';
sleep 3;    # three backoff periods: a retry would have happened by now
is scalar(requests_for('invalid@example.com')), 1, 'no retry after a 422';
is mail_to('invalid@example.com')->{status}, 'failed', 'still failed';

my ($rc, $out) = cron('outbox-retry', $m->{_id}{'$oid'});
like $out, qr/^1 mail back in the queue/, 'outbox-retry ID puts a failed mail back';
$m = wait_status('invalid@example.com', 'sent', 15);
is $m->{status}, 'sent', '… and it is delivered this time';

# ---- SIGKILL while a mail is claimed ---------------------------------------------
$resend->control(delayFirst => 4);
enqueue('crash@example.com');
$m = wait_status('crash@example.com', 'sending', 10);
is $m->{status}, 'sending', 'the mailer claimed the mail (Resend is slow to answer)';
ok $m->{lockedUntil}, '… and holds a lock on it';
$s->stop_component('mailer', 'KILL');
sleep 0.3;
is mail_to('crash@example.com')->{status}, 'sending', 'the mailer is killed while the mail is claimed';
$s->start_component('mailer');
$m = wait_status('crash@example.com', 'sent', 25);
is $m->{status}, 'sent', 'a new mailer takes the mail back once the lock expires and delivers it';
cmp_ok $m->{attempts}, '>=', 2, '… counting the interrupted attempt';
my @accepted = requests_for('crash@example.com', 'accepted');
is scalar(@accepted), 1, 'Resend accepted the mail exactly once (Idempotency-Key)';
is $m->{providerId}, $accepted[0]{id}, '… and the outbox holds that id';

# ---- SIGTERM: the mail in progress is finished first -------------------------------
$resend->control(delayFirst => 2);
enqueue('term@example.com');
$m = wait_status('term@example.com', 'sending', 10);
is $m->{status}, 'sending', 'a delivery is in progress';
ok $s->stop_component('mailer'), 'SIGTERM: the mailer exits by itself';
is mail_to('term@example.com')->{status}, 'sent', '… after finishing the mail in progress';
like $s->log_text('mailer'), qr/"msg":"mailer stopping/, '… and says so in its log';
$s->start_component('mailer');

# ---- the log -----------------------------------------------------------------------
my $log = $s->log_text('mailer');
my @lines = grep { /\S/ } split /\n/, $log;
ok !(grep { !eval { decode_json($_) } } @lines), 'the mailer logs JSON lines';
ok((grep { /"service":"mailer"/ && /sent via resend/ } @lines), 'with service "mailer"');
unlike $log . $s->log_text('cwc-cron'), qr/\Q$KEY\E/, 'the API key never appears in a log';
unlike $log, qr/zoe\@example\.com/, 'nor a full recipient address';

done_testing;
