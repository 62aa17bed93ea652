#!/usr/bin/perl
# Resend with a wrong API key, against t/fake/resend (which answers like
# Resend: 403 invalid_api_key for another key, 401 missing_api_key without
# one, 403 "error code: 1010" without a User-Agent, 422 for a body of the
# wrong content type or field types). A refused key fails each mail at
# once — one request per mail, no retries that would be refused the same
# way — with the reason in lastError and an error in the log that names
# RESEND_API_KEY but never the key; once the key is fixed,
# `cwc-cron outbox-retry` sends them all.
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
use HTTP::Tiny;
use JSON::PP;
use Time::HiRes qw(sleep);

binmode $_, ':encoding(UTF-8)' for Test::More->builder->output,
	Test::More->builder->failure_output, Test::More->builder->todo_output;

my $ROOT = $CWC::Stack::ROOT;
plan skip_all => 'bin/cwc-cron is not built' unless -x "$ROOT/bin/cwc-cron";

my $KEY = 're_good_' . join('', map { ('a' .. 'z', 0 .. 9)[rand 36] } 1 .. 24);
my $WRONG = 're_wrong_' . join('', map { ('a' .. 'z', 0 .. 9)[rand 36] } 1 .. 24);
my $resend = FakeService->start('resend', '--key', $KEY);

# ---- the fake is as strict as Resend ----------------------------------------------------

my %mail = (from => 'Café <contact@cafe.test>', to => ['zoe@example.com'],
	    subject => 'Bonjour', text => 'Bonjour Zoé');
sub raw_post {
	my (%o) = @_;
	my $ua = HTTP::Tiny->new(timeout => 5, agent => $o{agent} // 'cwc-test/1');
	my %h = (exists $o{auth} ? (defined $o{auth} ? (Authorization => $o{auth}) : ())
				 : (Authorization => "Bearer $KEY"),
		 'Content-Type' => $o{ctype} // 'application/json');
	my $r = $ua->post($resend->url . '/emails', { headers => \%h,
		content => $o{raw} // encode_json($o{body} // \%mail) });
	$r->{json} = eval { decode_json($r->{content}) };
	return $r;
}
my $r = raw_post(auth => undef);
is_deeply [ $r->{status}, $r->{json}{name} ], [ 401, 'missing_api_key' ], 'fake: no key → 401 missing_api_key';
$r = raw_post(auth => "Bearer $WRONG");
is_deeply [ $r->{status}, $r->{json}{name}, $r->{json}{statusCode} ], [ 403, 'invalid_api_key', 403 ],
	'fake: another key → 403 invalid_api_key, in Resend\'s error shape';
$r = raw_post(agent => '');
is_deeply [ $r->{status}, $r->{content} ], [ 403, 'error code: 1010' ], 'fake: no User-Agent → 403 1010';
$r = raw_post(ctype => 'text/plain');
is_deeply [ $r->{status}, $r->{json}{name} ], [ 422, 'validation_error' ], 'fake: not application/json → 422';
for my $bad ([ subject => 42 ], [ text => ['x'] ], [ to => [ 42 ] ], [ to => [ ('a@b.fr') x 51 ] ],
	     [ headers => { 'X-A' => 1 } ], [ cc => { x => 1 } ], [ subject => undef ]) {
	$r = raw_post(body => { %mail, $bad->[0] => $bad->[1] });
	is $r->{status}, 422, "fake: $bad->[0] of the wrong type or size → 422";
	like $r->{json}{message} // '', qr/`\Q$bad->[0]\E`/, '  naming the field';
}
is raw_post()->{status}, 200, 'fake: a well-formed request → 200';

# ---- the product with a wrong key -------------------------------------------------------

my $dir = tempdir('cwc-mail-key-XXXXXX', TMPDIR => 1, CLEANUP => !$ENV{CWC_KEEP_TMP});
my $errlog = "$dir/stderr.log";
my %env = (
	CWC_ENV_FILE => '/dev/null',
	CWC_DATA_DIR => "$dir/var",
	NEXTAUTH_URL => 'https://cafe.test',
	EMAIL_FROM => 'CoworKing Café <contact@cafe.test>',
	RESEND_API_KEY => $WRONG,
	RESEND_API_BASE => $resend->url,
	SMTP_URL => undef,
	CWC_MAIL_TRANSPORT => undef,
	CWC_MAIL_BACKOFF_SECONDS => 1,
	MONGODB_URI => undef,
	CWC_ENV => undef,
	NODE_ENV => undef,
	LOG_LEVEL => 'info',
);
sub cron { my ($extra, @args) = @_; return run_cron({ %env, %{ $extra // {} } }, $errlog, @args) }
sub outbox { my (undef, $out) = cron({}, 'outbox-list'); return map { decode_json($_) } grep { /\S/ } split /\n/, $out }
sub product_requests {
	grep { ref $_->{body} eq 'HASH' && ref $_->{body}{to} eq 'ARRAY' &&
	       ($_->{body}{to}[0] // '') =~ /^client\d\@/ } $resend->records;
}
sub slurp { open my $fh, '<', $_[0] or return ''; local $/; <$fh> }

my @to = map { "client$_\@example.com" } 1 .. 3;
is((cron({}, 'mail-test', $_))[0], 0, "mail queued for $_") for @to;
my ($rc) = cron({}, 'outbox');
is $rc, 0, 'a pass of the sender with a wrong key';
my @req = product_requests();
is scalar(@req), 3, 'one request per mail';
is_deeply [ map { "$_->{status} $_->{outcome}" } @req ], [ ('403 unauthorized') x 3 ], 'each refused with 403';
ok !(grep { !$_->{userAgent} || $_->{contentType} !~ m{^application/json} } @req),
	'the product sends a User-Agent and Content-Type: application/json';
my @m = outbox();
is_deeply [ map { "$_->{status} $_->{attempts}" } @m ], [ ('failed 1') x 3 ], 'every mail failed after one attempt';
like $m[0]{lastError} // '', qr/HTTP 403 invalid_api_key: API key is invalid.*RESEND_API_KEY/,
	'lastError: the refusal and what to check';

# With CWC_MAIL_BACKOFF_SECONDS=1 a retried mail would be due again after
# 1 s, 2 s, 4 s: two more passes after 1.2 s and 2.2 s would send them.
sleep 1.2;
cron({}, 'outbox');
sleep 2.2;
cron({}, 'outbox');
is scalar(product_requests()), 3, 'later passes send nothing more (no retry storm)';
my $log = slurp($errlog);
like $log, qr/resend refused the API key \(HTTP 403 invalid_api_key\): check RESEND_API_KEY/,
	'the log says the key was refused';
unlike $log, qr/\Q$WRONG\E|\Q$KEY\E/, 'and never shows a key';

# ---- fixed ---------------------------------------------------------------------------------

$env{RESEND_API_KEY} = $KEY;
(undef, my $out) = cron({}, 'outbox-retry');
like $out, qr/3/, 'outbox-retry puts the three back';
cron({}, 'outbox');
is_deeply [ map { $_->{status} } outbox() ], [ ('sent') x 3 ], 'with the right key they are sent';
is scalar(grep { $_->{outcome} eq 'accepted' } product_requests()), 3, 'three accepted by the fake';

done_testing;
