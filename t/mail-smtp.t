#!/usr/bin/perl
# SMTP_URL: the sender speaks SMTP (through libcurl) to a local server that
# requires a login: the envelope, the RFC 5322 message, a 550 refusal →
# failed at once, a 451 → retried later, a wrong password → retried (a
# configuration error is not the mail's fault), and the password never
# reaches a log.
use strict;
use warnings;
use utf8;
use FindBin;
use lib "$FindBin::Bin/lib", "$FindBin::Bin/fake";
use Test::More;
use CWC::Cron;
use CWC::Stack;
use Encode qw(decode);
use FakeService;
use File::Temp qw(tempdir);
use JSON::PP;
use MIME::QuotedPrint qw(decode_qp);

binmode $_, ':encoding(UTF-8)' for Test::More->builder->output,
	Test::More->builder->failure_output, Test::More->builder->todo_output;

my $ROOT = $CWC::Stack::ROOT;
plan skip_all => 'bin/cwc-cron is not built' unless -x "$ROOT/bin/cwc-cron";

my $PASSWORD = 'p@ss w0rd-' . join('', map { int rand 10 } 1 .. 8);
(my $pw_url = $PASSWORD) =~ s/([^A-Za-z0-9\-._~])/sprintf '%%%02X', ord $1/ge;
my $smtp = FakeService->start('smtp', '--user', 'cafe', '--password', $PASSWORD);

my $dir = tempdir('cwc-mail-smtp-XXXXXX', TMPDIR => 1, CLEANUP => !$ENV{CWC_KEEP_TMP});
my $errlog = "$dir/stderr.log";
my %env = (
	CWC_ENV_FILE => '/dev/null',
	CWC_DATA_DIR => "$dir/var",
	NEXTAUTH_URL => 'https://cafe.test',
	EMAIL_FROM => 'CoworKing Café <contact@cafe.test>',
	RESEND_API_KEY => '',
	SMTP_URL => "smtp://cafe:$pw_url\@127.0.0.1:" . $smtp->port,
	CWC_MAIL_BACKOFF_SECONDS => 30,
	MONGODB_URI => undef,
	CWC_ENV => undef,
	NODE_ENV => undef,
	LOG_LEVEL => 'debug',
);

sub cron {
	my ($extra, @args) = @_;
	return run_cron({ %env, %{ $extra // {} } }, $errlog, @args);
}

sub mail_to {
	my ($to) = @_;
	my (undef, $out) = cron({}, 'outbox-list');
	my @m = grep { $_->{to} eq $to } map { decode_json($_) } grep { /\S/ } split /\n/, $out;
	return $m[-1];
}

sub slurp { open my $fh, '<:raw', $_[0] or return ''; local $/; <$fh> }

for my $to ('ok@example.com', 'reject-me@example.com', 'busy-now@example.com') {
	my ($rc) = cron({}, 'mail-test', $to, 'password_reset', 'givenName=Zoé',
			'link=https://cafe.test/reinitialiser?token=7d1e');
	is $rc, 0, "mail queued for $to";
}
my ($rc) = cron({}, 'outbox');
is $rc, 0, 'one pass of the sender over SMTP';

my @got = $smtp->records;
is scalar(@got), 1, 'the SMTP server accepted one message';
my $m = $got[0] // {};
is $m->{user}, 'cafe', 'after logging in with the URL\'s user and password';
is $m->{from}, 'contact@cafe.test', 'MAIL FROM: the address of EMAIL_FROM';
is_deeply $m->{rcpt}, ['ok@example.com'], 'RCPT TO: the recipient';
my $data = $m->{data} // '';
my ($head, $body) = split /\r\n\r\n/, $data, 2;
$head =~ s/\r\n[ \t]+/ /g;
my %h = map { /^([^:]+):\s*(.*)$/ ? (lc $1 => $2) : () } split /\r\n/, $head;
is decode('MIME-Header', $h{subject} // ''), 'Réinitialisation de votre mot de passe', 'Subject decodes';
is decode('MIME-Header', $h{from} // ''), 'CoworKing Café <contact@cafe.test>', 'From';
is $h{to}, 'ok@example.com', 'To';
like $h{'content-type'} // '', qr{^multipart/alternative}, 'multipart/alternative';
my $decoded = decode('UTF-8', decode_qp($body // ''));
like $decoded, qr{https://cafe\.test/reinitialiser\?token=7d1e}, 'the reset link reaches the server';
like $decoded, qr/valable 1 heure/, 'valid 1 hour';

my $ok = mail_to('ok@example.com');
is $ok->{status}, 'sent', 'delivered: sent';
like $ok->{providerId} // '', qr/^<[0-9a-f]{24}\.\d+\@cafe\.test>$/, '… with its Message-ID as providerId';

my $rej = mail_to('reject-me@example.com');
is $rej->{status}, 'failed', '550 (user unknown): failed at once';
is $rej->{attempts}, 1, '… after one attempt';
like $rej->{lastError} // '', qr/550/, '… the reply in lastError';

my $busy = mail_to('busy-now@example.com');
is $busy->{status}, 'pending', '451 (try later): back to pending';
is $busy->{attempts}, 1, '… one attempt counted';
like $busy->{lastError} // '', qr/451/, '… the reply in lastError';
my $next = $busy->{nextAttemptAt}{'$date'} // '';
ok $next gt ($busy->{updatedAt}{'$date'} // 'z'), '… with a later nextAttemptAt';

# a wrong password is the configuration's fault, not the mail's
my %bad = (SMTP_URL => "smtp://cafe:wrong\@127.0.0.1:" . $smtp->port);
cron(\%bad, 'mail-test', 'later@example.com');
cron(\%bad, 'outbox');
my $later = mail_to('later@example.com');
is $later->{status}, 'pending', 'a refused login: the mail waits for a retry';
like $later->{lastError} // '', qr/check the user and password of SMTP_URL/, '… the error says why';
is scalar($smtp->records), 1, 'nothing more was accepted';

my $log = slurp($errlog);
like $log, qr/mail transport: smtp \(smtp:\/\/127\.0\.0\.1:\d+\)/, 'the log names the server without credentials';
unlike $log, qr/\Q$PASSWORD\E|\Q$pw_url\E|cafe:/, 'the password never reaches the log';

done_testing;
