#!/usr/bin/perl
# SMTP and TLS, against t/fake/smtp (with STARTTLS from a certificate made
# here with openssl, and the strictness of a real server):
#   - the fake refuses what a real server refuses: MAIL before EHLO, a bare
#     LF, over-long lines, MAIL or AUTH before STARTTLS when it requires TLS;
#   - with TLS required (CWC_SMTP_TLS=required, or a password to a remote
#     host) and a server without STARTTLS, the mailer sends nothing in
#     clear — not the password, not the mail — keeps the mail for later
#     and logs why;
#   - with a server that offers STARTTLS it upgrades (verifying the
#     certificate against CWC_SMTP_CA_FILE) and delivers over TLS, logged
#     in only after the upgrade; a certificate it cannot verify stops it,
#     it does not fall back to clear.
use strict;
use warnings;
use utf8;
use FindBin;
use lib "$FindBin::Bin/lib", "$FindBin::Bin/fake";
use Test::More;
use CWC::Cron;
use CWC::Stack;
use FakeService;
use File::Temp qw(tempdir);
use IO::Socket::INET;
use JSON::PP;

binmode $_, ':encoding(UTF-8)' for Test::More->builder->output,
	Test::More->builder->failure_output, Test::More->builder->todo_output;

my $ROOT = $CWC::Stack::ROOT;
plan skip_all => 'bin/cwc-cron is not built' unless -x "$ROOT/bin/cwc-cron";

my $dir = tempdir('cwc-mail-tls-XXXXXX', TMPDIR => 1, CLEANUP => !$ENV{CWC_KEEP_TMP});
my ($cert, $key) = ("$dir/cert.pem", "$dir/key.pem");
my $out = `openssl req -x509 -newkey rsa:2048 -nodes -keyout $key -out $cert -days 2 -subj /CN=localhost -addext subjectAltName=DNS:localhost,IP:127.0.0.1 2>&1`;
is $?, 0, 'a self-signed certificate for 127.0.0.1' or diag $out;

my $PASSWORD = 'tls-secret-' . join('', map { int rand 10 } 1 .. 8);
my @auth = ('--user', 'cafe', '--password', $PASSWORD);

# ---- the fake's strictness, on a raw connection ---------------------------------------------

# Sends @lines (raw bytes, CRLF included) one at a time; returns the replies.
sub dialogue {
	my ($port, @lines) = @_;
	my $s = IO::Socket::INET->new(PeerAddr => '127.0.0.1', PeerPort => $port, Timeout => 5)
		or die "connect: $!";
	my @replies = (scalar <$s>);
	for my $l (@lines) {
		print {$s} $l;
		my $r = '';
		while (defined(my $line = <$s>)) {
			$r .= $line;
			last if $line =~ /^\d{3} /;
		}
		push @replies, $r;
	}
	close $s;
	return @replies;
}

my $plain = FakeService->start('smtp', @auth);
my @r = dialogue($plain->port, "MAIL FROM:<a\@cafe.test>\r\n");
like $r[1], qr/^503 /, 'fake: MAIL before EHLO → 503';
@r = dialogue($plain->port, "EHLO me\n");
like $r[1], qr/^521 5\.5\.2 .*bare <LF>/, 'fake: a bare LF → 521 and the connection closed';
@r = dialogue($plain->port, 'NOOP ' . ('x' x 600) . "\r\n");
like $r[1], qr/^500 5\.5\.2 .*too long/, 'fake: a 600-octet command → 500';
@r = dialogue($plain->port, "EHLO me\r\n");
unlike $r[1], qr/STARTTLS/, 'fake without a certificate: no STARTTLS offered';
@r = dialogue($plain->port, "EHLO me\r\n", "STARTTLS\r\n");
like $r[2], qr/^502 /, '  and STARTTLS → 502';

use MIME::Base64 qw(encode_base64);
my $login = 'AUTH PLAIN ' . encode_base64("\0cafe\0$PASSWORD", '') . "\r\n";
@r = dialogue($plain->port, "EHLO me\r\n", $login, "MAIL FROM:<a\@cafe.test>\r\n",
	      "RCPT TO:<b\@example.com>\r\n", "DATA\r\n",
	      "Subject: x\r\n\r\n" . ('y' x 1000) . "\r\n.\r\n");
like $r[6], qr/^554 5\.6\.0 .*1000 octets/, 'fake: a 1002-octet line in the data → 554';
@r = dialogue($plain->port, "EHLO me\r\n", $login, "MAIL FROM:<a\@cafe.test>\r\n",
	      "RCPT TO:<b\@example.com>\r\n", "DATA\r\n", "Subject: x\r\n\r\nbody\r\n.\n");
like $r[6], qr/^521 /, 'fake: a data end with a bare LF → 521';
is scalar($plain->records), 0, '  neither message recorded';

my $strict = FakeService->start('smtp', @auth, '--tls-cert', $cert, '--tls-key', $key, '--require-tls');
@r = dialogue($strict->port, "EHLO me\r\n", $login, "MAIL FROM:<a\@cafe.test>\r\n");
like $r[1], qr/^250[- ]STARTTLS/m, 'fake with a certificate: STARTTLS offered';
unlike $r[1], qr/AUTH/, '  AUTH not offered in clear when TLS is required';
like $r[2], qr/^530 5\.7\.0 Must issue a STARTTLS/, '  AUTH in clear → 530';
like $r[3], qr/^530 5\.7\.0 Must issue a STARTTLS/, '  MAIL in clear → 530';

# ---- the product ------------------------------------------------------------------------------

my $errlog = "$dir/stderr.log";
sub env_for {
	my ($fake, %extra) = @_;
	return (
		CWC_ENV_FILE => '/dev/null',
		CWC_DATA_DIR => "$dir/var-" . $fake->port,
		NEXTAUTH_URL => 'https://cafe.test',
		EMAIL_FROM => 'CoworKing Café <contact@cafe.test>',
		RESEND_API_KEY => '',
		SMTP_URL => "smtp://cafe:$PASSWORD\@127.0.0.1:" . $fake->port,
		CWC_SMTP_TLS => undef,
		CWC_SMTP_CA_FILE => undef,
		CWC_MAIL_BACKOFF_SECONDS => 30,
		MONGODB_URI => undef,
		CWC_ENV => undef,
		NODE_ENV => undef,
		LOG_LEVEL => 'info',
		%extra,
	);
}
sub send_one {
	my ($env, $to) = @_;
	my ($rc, $o) = run_cron($env, $errlog, 'mail-test', $to);
	is $rc, 0, "mail queued for $to" or diag $o;
	($rc) = run_cron($env, $errlog, 'outbox');
	(undef, $o) = run_cron($env, $errlog, 'outbox-list');
	my @m = grep { $_->{to} eq $to } map { decode_json($_) } grep { /\S/ } split /\n/, $o;
	return $m[-1] // {};
}
sub slurp { open my $fh, '<', $_[0] or return ''; local $/; <$fh> }

# TLS required, the server has no STARTTLS
my %env = env_for($plain, CWC_SMTP_TLS => 'required');
my $m = send_one(\%env, 'clear@example.com');
is $m->{status}, 'pending', 'TLS required, no STARTTLS: the mail is kept for later';
like $m->{lastError} // '', qr/TLS is required and the server offers no STARTTLS/, '  lastError says why';
is scalar($plain->records), 0, '  nothing was delivered';
my @last = ($plain->sessions)[-1];
ok !(grep { $_ eq 'AUTH' || $_ eq 'MAIL' } @{ $last[0]{verbs} // [] }),
	'  neither the password nor the envelope was sent (' . join(' ', @{ $last[0]{verbs} // [] }) . ')';
like slurp($errlog), qr/offers no STARTTLS and TLS is required/, '  and the log says so';

# STARTTLS offered, the certificate trusted through CWC_SMTP_CA_FILE
for my $mode (undef, 'required') {
	my $what = defined $mode ? 'CWC_SMTP_TLS=required' : 'TLS not required (loopback)';
	%env = env_for($strict, CWC_SMTP_CA_FILE => $cert, CWC_SMTP_TLS => $mode);
	my $to = 'tls-' . ($mode // 'auto') . '@example.com';
	$m = send_one(\%env, $to);
	is $m->{status}, 'sent', "$what, STARTTLS offered: sent";
	my ($rec) = grep { $_->{rcpt}[0] eq $to } $strict->records;
	ok $rec && $rec->{tls}, '  over TLS';
	is $rec && $rec->{user}, 'cafe', '  logged in after the upgrade';
	like $rec ? $rec->{data} : '', qr/\r\n\r\n/, '  a whole message';
	my ($sess) = grep { grep { $_ eq 'DATA' } @{ $_->{verbs} } } reverse $strict->sessions;
	is_deeply [ grep { /^(EHLO|STARTTLS|AUTH|MAIL)$/ } @{ $sess->{verbs} // [] } ],
		[qw(EHLO STARTTLS EHLO AUTH MAIL)], '  EHLO, STARTTLS, EHLO again, then AUTH and MAIL';
}

# STARTTLS offered but the certificate cannot be verified
%env = env_for($strict);
$m = send_one(\%env, 'untrusted@example.com');
is $m->{status}, 'pending', 'an unverifiable certificate: not sent, kept for later';
like $m->{lastError} // '', qr/certificate|SSL|TLS/i, '  lastError names the certificate problem';
ok !(grep { $_->{rcpt}[0] eq 'untrusted@example.com' } $strict->records), '  nothing delivered';

my ($rc, $o) = run_cron({ env_for($strict, CWC_SMTP_TLS => 'sometimes') }, $errlog, 'outbox');
isnt $rc, 0, 'CWC_SMTP_TLS=sometimes: the mailer refuses to start';
unlike slurp($errlog), qr/\Q$PASSWORD\E/, 'the password never appears in the log';

done_testing;
