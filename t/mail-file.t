#!/usr/bin/perl
# The development transport: with neither RESEND_API_KEY nor SMTP_URL, the
# sender writes each mail as an RFC 5322 .eml under $CWC_DATA_DIR/mail/ —
# a message any mail client opens: encoded headers, multipart/alternative,
# quoted-printable French text and HTML with the link. Also cwc-cron's
# usage errors and the production guard (no transport → refuses to start).
use strict;
use warnings;
use utf8;
use FindBin;
use lib "$FindBin::Bin/lib";
use Test::More;
use CWC::Cron;
use CWC::Stack;
use Encode qw(decode);
use File::Temp qw(tempdir);
use JSON::PP;
use MIME::QuotedPrint qw(decode_qp);

binmode $_, ':encoding(UTF-8)' for Test::More->builder->output,
	Test::More->builder->failure_output, Test::More->builder->todo_output;

my $ROOT = $CWC::Stack::ROOT;
plan skip_all => 'bin/cwc-cron is not built' unless -x "$ROOT/bin/cwc-cron";

my $dir = tempdir('cwc-mail-file-XXXXXX', TMPDIR => 1, CLEANUP => !$ENV{CWC_KEEP_TMP});
my $errlog = "$dir/stderr.log";
my %env = (
	CWC_ENV_FILE => '/dev/null',
	CWC_DATA_DIR => "$dir/var",
	NEXTAUTH_URL => 'https://cafe.test',
	EMAIL_FROM => 'CoworKing Café <contact@cafe.test>',
	CONTACT_EMAIL => 'bonjour@cafe.test',
	RESEND_API_KEY => '',
	SMTP_URL => '',
	MONGODB_URI => undef,
	CWC_ENV => undef,
	NODE_ENV => undef,
	LOG_LEVEL => 'info',
);

# Runs bin/cwc-cron with %env (+ %$extra); returns (exit status, stdout).
sub cron {
	my ($extra, @args) = @_;
	return run_cron({ %env, %{ $extra // {} } }, $errlog, @args);
}

sub outbox {
	my ($rc, $out) = cron({}, 'outbox-list');
	return map { decode_json($_) } grep { /\S/ } split /\n/, $out;
}

sub eml_files { sort glob("$dir/var/mail/*.eml") }

sub slurp { open my $fh, '<:raw', $_[0] or die "$_[0]: $!"; local $/; <$fh> }

# Headers (unfolded) and body of an RFC 5322 message.
sub parse_message {
	my ($raw) = @_;
	my ($head, $body) = split /\r\n\r\n/, $raw, 2;
	$head =~ s/\r\n[ \t]+/ /g;
	my %h;
	for (split /\r\n/, $head) {
		my ($k, $v) = /^([!-9;-~]+):[ \t]*(.*)$/ or return;
		$h{lc $k} = $v;
	}
	return (\%h, $body);
}

# ---- usage ----------------------------------------------------------------
my ($rc) = cron({}, 'no-such-job');
is $rc, 2, 'an unknown job: usage, exit 2';
($rc) = cron({});
is $rc, 2, 'no job: usage, exit 2';
($rc) = cron({}, 'mail-test');
is $rc, 2, 'mail-test without a recipient: exit 2';
($rc) = cron({}, 'mail-test', 'not-an-address');
is $rc, 2, 'mail-test to an unusable address is refused';
($rc) = cron({}, 'mail-test', 'zoe@example.com', 'no_such_template');
is $rc, 2, 'mail-test with an unknown template is refused';
is scalar(outbox()), 0, 'refused mails leave nothing in the outbox';
my $out;
($rc, $out) = cron({}, 'mail-test', '--list');
like $out, qr/^activation\s+Activez votre compte/m, 'mail-test --list shows the templates';

# ---- one activation mail, written as a file ------------------------------
my $link = 'https://cafe.test/activer-mon-compte?token=4f9c&from=mail';
($rc, $out) = cron({}, 'mail-test', 'zoe@example.com', 'activation',
		   'givenName=Zoé <b>', "link=$link");
is $rc, 0, 'an activation mail is queued' or diag $out;
my @mails = outbox();
is scalar(@mails), 1, 'one outbox document';
is $mails[0]{status}, 'pending', '… pending';
is $mails[0]{attempts}, 0, '… no attempt yet';
is $mails[0]{template}, 'activation', '… with its template name';

($rc) = cron({}, 'outbox');
is $rc, 0, 'one pass of the sender';
my @files = eml_files();
is scalar(@files), 1, 'one .eml written';
my ($name) = $files[0] =~ m{([^/]+)$};
like $name, qr/^\d{13}-[0-9a-f]{24}\.eml$/, 'named <unix-ms>-<outbox id>.eml';
is_deeply [ glob("$dir/var/mail/.*.tmp") ], [], 'no temporary file left';

@mails = outbox();
is $mails[0]{status}, 'sent', 'the mail is marked sent';
is $mails[0]{attempts}, 1, '… after one attempt';
is $mails[0]{providerId}, $name, '… the file name as providerId';
ok $mails[0]{sentAt}, '… with sentAt';
ok !exists $mails[0]{lockedUntil}, '… and no lock left';
like $name, qr/\Q$mails[0]{_id}{'$oid'}\E/, 'the file carries the outbox id';

my $raw = slurp($files[0]);
ok $raw !~ /(?<!\r)\n/, 'every line ends in CRLF';
ok !(grep { length > 998 } split /\r\n/, $raw), 'no line longer than 998 characters';
my ($h, $body) = parse_message($raw);
ok $h, 'the headers parse';
is decode('MIME-Header', $h->{subject}), 'Activez votre compte CoworKing Café',
	'Subject: RFC 2047, decodes to the French subject';
is decode('MIME-Header', $h->{from}), 'CoworKing Café <contact@cafe.test>', 'From: EMAIL_FROM';
is $h->{to}, 'zoe@example.com', 'To';
like $h->{date}, qr/^(Mon|Tue|Wed|Thu|Fri|Sat|Sun), \d\d (Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) \d{4} \d\d:\d\d:\d\d \+0000$/,
	'Date in RFC 5322 form';
like $h->{'message-id'}, qr/^<[0-9a-f]{24}\.\d+\@cafe\.test>$/, 'Message-ID at the sender\'s domain';
is $h->{'mime-version'}, '1.0', 'MIME-Version';
my ($boundary) = ($h->{'content-type'} // '') =~ m{^multipart/alternative; boundary="([^"]+)"$};
ok $boundary, 'multipart/alternative with a boundary';

my %part;
for my $p (split /\r\n--\Q$boundary\E(?:--)?\r\n/, "\r\n$body") {
	my ($ph, $pb) = parse_message($p) or next;
	next unless $ph && $ph->{'content-type'};
	is $ph->{'content-transfer-encoding'}, 'quoted-printable', "$ph->{'content-type'}: quoted-printable";
	$part{ $ph->{'content-type'} } = decode('UTF-8', decode_qp($pb));
}
my $text = $part{'text/plain; charset=UTF-8'};
my $html = $part{'text/html; charset=UTF-8'};
ok defined $text && defined $html, 'a text part and an HTML part';
like $text, qr/^Bonjour Zoé <b>,/m, 'text: the greeting with the name as is';
like $text, qr/^\Q$link\E$/m, 'text: the activation link on its own line';
like $text, qr/48 heures/, 'text: the link is valid 48 hours';
like $text, qr/^-- \nCoworKing Café\nhttps:\/\/cafe\.test\n/m, 'text: the café\'s signature';
my $link_html = $link =~ s/&/&amp;/gr;
like $html, qr/href="\Q$link_html\E"/, 'html: the activation link';
like $html, qr/Bonjour Zoé &lt;b&gt;,/, 'html: the name, escaped';
unlike $html, qr/<b>,/, 'html: no markup from a value';
like $html, qr/<html lang="fr">/, 'html: a French document';

# ---- the newest file is the newest mail ------------------------------------
cron({}, 'mail-test', 'marc@example.com', 'password_changed', 'givenName=Marc');
cron({}, 'outbox');
@files = eml_files();
is scalar(@files), 2, 'a second mail, a second file';
($h) = parse_message(slurp($files[-1]));
is $h->{to}, 'marc@example.com', 'the newest file sorts last';
is decode('MIME-Header', $h->{subject}), 'Votre mot de passe a été modifié', 'password_changed subject';

($rc) = cron({}, 'outbox');
@files = eml_files();
is scalar(@files), 2, 'a pass with nothing due writes nothing';

# ---- production: the file transport must be asked for -----------------------
my %prod = (CWC_ENV => 'production', NEXTAUTH_SECRET => 'n' x 40, JWT_SECRET => 'j' x 40);
unlink $errlog;
($rc) = cron(\%prod, 'outbox');
is $rc, 1, 'production without RESEND_API_KEY or SMTP_URL: the sender refuses to start';
like slurp($errlog), qr/RESEND_API_KEY or SMTP_URL/, '… naming the variables';
($rc) = cron({ %prod, CWC_MAIL_TRANSPORT => 'file' }, 'outbox');
is $rc, 0, '… unless CWC_MAIL_TRANSPORT=file';
($rc) = cron({ CWC_MAIL_TRANSPORT => 'pigeon' }, 'outbox');
is $rc, 1, 'an unknown CWC_MAIL_TRANSPORT is a start-up error';
($rc) = cron({ CWC_MAIL_MAX_ATTEMPTS => 'many' }, 'outbox');
is $rc, 1, 'a malformed CWC_MAIL_MAX_ATTEMPTS is a start-up error';

done_testing;
