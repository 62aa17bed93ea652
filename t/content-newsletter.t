#!/usr/bin/perl
# The newsletter through Caddy: the footer's form on every page (plain
# HTTP, no JavaScript), double opt-in (a confirmation mail, the link
# confirms once; the token is stored hashed), the same answer for a known
# and an unknown address, users.newsletter kept in step (the link, the
# one-click unsubscribe, the dashboard's toggle), RFC 8058's one-click
# unsubscribe without a session (a GET only asks), List-Unsubscribe and
# List-Unsubscribe-Post in the delivered mails as the fake Resend and the
# fake SMTP server see them, the honeypot, the per-address limit, and the
# admins' list and CSV export (audited, refused to staff).
use strict;
use warnings;
use utf8;
use FindBin;
use lib "$FindBin::Bin/lib", "$FindBin::Bin/fake";
use CWC::Cron;
use CWC::Stack;
use Encode qw(decode encode_utf8 decode_utf8);
use FakeService;
use JSON::PP;
use MIME::QuotedPrint qw(decode_qp);
use Test::More;
use Time::HiRes qw(sleep time);
binmode $_, ':encoding(UTF-8)' for map { Test::More->builder->$_ } qw(output failure_output todo_output);

my $KEY = 're_test_' . join('', map { ('a' .. 'z', 0 .. 9)[rand 36] } 1 .. 24);
my $resend = FakeService->start('resend', '--key', $KEY);
my $s = CWC::Stack->start(env => {
	CWC_MAIL_TRANSPORT => 'resend', RESEND_API_KEY => $KEY, RESEND_API_BASE => $resend->url,
	CWC_THROTTLE_NEWSLETTER => '12/600', CONTACT_EMAIL => 'cafe@example.com',
	CWC_MAIL_POLL_MS => 100 });
$s->seed;
my $base = $s->site_url;

sub enc {
	my %f = @_;
	return join '&', map {
		my $v = encode_utf8($f{$_});
		$v =~ s/([^A-Za-z0-9\-._~])/sprintf('%%%02X', ord $1)/ge;
		"$_=$v";
	} sort keys %f;
}
sub form {
	my ($path, %f) = @_;
	return $s->request('POST', $path, headers => {
		'Content-Type' => 'application/x-www-form-urlencoded', Origin => $base }, body => enc(%f));
}
# The mails Resend received for `to` whose text matches `re` (waits for one).
sub resend_mails {
	my ($to, $re, $secs) = @_;
	my $deadline = time + ($secs // 15);
	while (time < $deadline) {
		my @m = grep { my $b = $_->{body} // {}; ($_->{outcome} // '') eq 'accepted' &&
			       (ref $b->{to} ? "@{$b->{to}}" : $b->{to} // '') =~ /\Q$to\E/ &&
			       ($b->{text} // '') =~ $re } $resend->records;
		return map { $_->{body} } @m if @m;
		sleep 0.1;
	}
	return ();
}
sub count_to { my $to = shift; scalar grep { my $b = $_->{body} // {}; (ref $b->{to} ? "@{$b->{to}}" : '') =~ /\Q$to\E/ } $resend->records }

# ---- the footer's form, on every page ------------------------------------------
for my $p ('/', '/concept', '/contact', '/boissons') {
	my $r = $s->get($p);
	like $r->{content}, qr{<form method="post" action="/newsletter" class="footer-newsletter-form">.*?name="email".*?name="website".*?</form>}s,
		"$p: the footer's newsletter form, with its honeypot";
}

# ---- errors next to the field, what was typed kept --------------------------------
my $r = form('/newsletter', email => 'pas-une-<adresse>');
is $r->{status}, 422, 'a bad address: 422';
like decode_utf8($r->{content}), qr{aria-invalid="true" aria-describedby="n-email-err"}, 'the field marked invalid';
like decode_utf8($r->{content}), qr{<span class="field-error" id="n-email-err">Indiquez une adresse}, 'its error next to it';
like $r->{content}, qr{value="pas-une-&lt;adresse&gt;"}, 'what was typed kept, escaped';

# ---- double opt-in ----------------------------------------------------------------
$r = form('/newsletter', email => 'Zoe.Lettre@Example.org');
is $r->{status}, 303, 'subscribing: 303';
is $r->{headers}{location}, '/newsletter/merci', '… to the check-your-mail page';
like decode_utf8($s->get('/newsletter/merci')->{content}), qr{<h1>Vérifiez votre boîte mail</h1>}, 'which says so';
my ($confirm) = resend_mails('zoe.lettre@example.org', qr/Confirmer|confirmer/);
ok $confirm, 'a confirmation mail through Resend';
my ($token) = ($confirm->{text} // '') =~ m{/api/newsletter/confirm\?token=([0-9a-f]{64})};
ok $token, 'with its link';
my $h = $confirm->{headers} // {};
like $h->{'List-Unsubscribe'} // '', qr{^<mailto:cafe\@example\.com\?subject=unsubscribe>, <\Q$base\E/api/newsletter/unsubscribe\?email=zoe\.lettre%40example\.org&token=[0-9a-f]{64}>$},
	'List-Unsubscribe: mailto and https, in Resend\'s headers';
is $h->{'List-Unsubscribe-Post'}, 'List-Unsubscribe=One-Click', 'List-Unsubscribe-Post (RFC 8058)';
{
	# the token is stored hashed: the subscriber's document holds its
	# SHA-256, never the link's token (read from the embedded store's file)
	require Digest::SHA;
	my ($db) = grep { -s } glob($s->data_dir . '/*.sqlite3');
	my ($tid) = `sqlite3 '$db' "select tid from store_collections where name = 'newsletters'"` =~ /(\d+)/;
	my $hex = `sqlite3 '$db' "select hex(doc) from c$tid"`;
	my $raw = pack 'H*', join '', $hex =~ /([0-9A-F]+)/g;
	ok length($raw) > 0 && index($raw, $token) < 0, 'the raw token is not in the subscriber\'s document';
	ok index($raw, Digest::SHA::sha256_hex($token)) >= 0, 'its SHA-256 is';
}

# not subscribed yet: the admins see it pending
my $admin = $s->login('admin', undef, host => 'admin');
$r = $s->get('/newsletter?status=pending', session => $admin);
is $r->{status}, 200, 'admin: the subscribers';
like $r->{content}, qr{zoe\.lettre\@example\.org}, 'pending before the link is followed';

$r = $s->get("/api/newsletter/confirm?token=$token");
is $r->{status}, 200, 'the link: 200';
like decode_utf8($r->{content}), qr{<h1>Inscription confirmée</h1>}, 'a confirmation page';
$r = $s->get("/api/newsletter/confirm?token=$token");
is $r->{status}, 410, 'the link a second time: 410';
like decode_utf8($r->{content}), qr{<h1>Lien non valable</h1>}, '… as a page';
is $s->get('/api/newsletter/confirm?token=' . ('0' x 64))->{status}, 410, 'an unknown token: 410';
is $s->get('/api/newsletter/confirm?token=<script>')->{status}, 410, 'garbage: 410';
my ($welcome) = resend_mails('zoe.lettre@example.org', qr/inscription est confirm/);
ok $welcome, 'a welcome mail';
is $welcome->{headers}{'List-Unsubscribe-Post'}, 'List-Unsubscribe=One-Click', 'it carries List-Unsubscribe-Post';
my ($unsub) = ($welcome->{headers}{'List-Unsubscribe'} // '') =~ m{<(https?://[^>]+)>};
ok $unsub, 'and the https unsubscribe link';
$r = $s->get('/newsletter?status=confirmed', session => $admin);
like $r->{content}, qr{zoe\.lettre\@example\.org}, 'admin: confirmed now';

# ---- the same answer, known or not ---------------------------------------------
my $before = count_to('zoe.lettre@example.org');
my $known = $s->request('POST', '/api/newsletter/subscribe', json => { email => 'zoe.lettre@example.org' });
my $unknown = $s->request('POST', '/api/newsletter/subscribe', json => { email => 'nouveau.lecteur@example.org' });
is $known->{status}, 200, 'a confirmed address: 200';
is $unknown->{status}, $known->{status}, 'an unknown one: the same status';
is $unknown->{content}, $known->{content}, '… and the same body';
ok resend_mails('nouveau.lecteur@example.org', qr/confirm/), 'the unknown one gets its confirmation';
sleep 1;
is count_to('zoe.lettre@example.org'), $before, 'the confirmed one gets nothing more';
$r = $s->request('POST', '/api/newsletter/subscribe', json => { email => 'x' });
is $r->{status}, 400, 'API: a bad address 400';
is $r->{json}{error}{field}, 'email', '… naming the field';

# ---- one-click unsubscribe, no session ---------------------------------------------
(my $path = $unsub) =~ s{^\Q$base\E}{};
$r = $s->get($path);
is $r->{status}, 200, 'GET of the unsubscribe link: a page';
like decode_utf8($r->{content}), qr{<form method="post" action="/api/newsletter/unsubscribe\?email=zoe\.lettre%40example\.org&amp;token=[0-9a-f]{64}">}, 'that asks to confirm with a form';
$r = $s->get('/newsletter?status=confirmed', session => $admin);
like $r->{content}, qr{zoe\.lettre\@example\.org}, 'a GET unsubscribes nobody';
(my $bad = $path) =~ s/token=[0-9a-f]/token=g/;
is $s->request('POST', $bad, headers => { 'Content-Type' => 'application/x-www-form-urlencoded' },
	       body => 'List-Unsubscribe=One-Click')->{status}, 400, 'a wrong token: 400';
# as a mail provider does it: no cookie, no Origin
$r = $s->request('POST', $path, headers => { 'Content-Type' => 'application/x-www-form-urlencoded' },
		 body => 'List-Unsubscribe=One-Click');
is $r->{status}, 200, 'one-click POST without a session: 200';
$r = $s->get('/newsletter?status=unsubscribed', session => $admin);
like $r->{content}, qr{zoe\.lettre\@example\.org}, 'unsubscribed';
is $s->request('POST', $path, headers => { 'Content-Type' => 'application/x-www-form-urlencoded' },
	       body => 'List-Unsubscribe=One-Click')->{status}, 200, 'again: still 200';

# ---- users.newsletter in step -------------------------------------------------------
my $client = $s->login('client');
my $profile = sub { $s->get('/api/user/profile', session => $client)->{json} };
my $p0 = $profile->();
ok !($p0->{newsletter} // $p0->{user}{newsletter}), 'the demo client: no newsletter';
form('/newsletter', email => 'client@coworkingcafe.local');
my ($cm) = resend_mails('client@coworkingcafe.local', qr/confirm/);
my ($ct) = ($cm->{text} // '') =~ /token=([0-9a-f]{64})/;
$s->get("/api/newsletter/confirm?token=$ct");
my $p1 = $profile->();
ok $p1->{newsletter} // $p1->{user}{newsletter}, 'confirming sets users.newsletter';
my ($cu) = (($cm->{headers} // {})->{'List-Unsubscribe'} // '') =~ m{<\Q$base\E(/api/[^>]+)>};
$s->request('POST', $cu, headers => { 'Content-Type' => 'application/x-www-form-urlencoded' }, body => 'List-Unsubscribe=One-Click');
my $p2 = $profile->();
ok !($p2->{newsletter} // $p2->{user}{newsletter}), 'unsubscribing clears it';
# the dashboard's toggle
$r = $s->request('POST', '/dashboard/settings', session => $client,
		 headers => { 'Content-Type' => 'application/x-www-form-urlencoded' }, body => 'newsletter=1');
is $r->{status}, 303, 'dashboard: newsletter on';
$r = $s->get('/newsletter?status=confirmed&q=CLIENT@', session => $admin);
like $r->{content}, qr{client\@coworkingcafe\.local}, 'the toggle confirms the subscriber (and the search folds case)';
$r = $s->request('POST', '/dashboard/settings', session => $client,
		 headers => { 'Content-Type' => 'application/x-www-form-urlencoded' }, body => '');
$r = $s->get('/newsletter?status=unsubscribed&q=client', session => $admin);
like $r->{content}, qr{client\@coworkingcafe\.local}, 'and off unsubscribes it';

# ---- register with the newsletter box ticked ------------------------------------------
# The account's activation link proves the address: the subscriber waits,
# pending, without a confirmation mail of its own, and activating confirms
# it (API and no-JS page alike); without the box, no subscriber.
sub listed {
	my ($status, $q) = @_;
	return $s->get("/newsletter?status=$status&q=" . ($q =~ s/\@/%40/r), session => $admin)->{content} =~ m{<td class="wrap[^"]*"[^>]*>\Q$q\E</td>};
}
sub activation_token {
	my ($to) = @_;
	my ($m) = resend_mails($to, qr{/auth/activate-account\?token=});
	return (($m // {})->{text} // '') =~ m{/auth/activate-account\?token=([0-9a-f]{64})} ? $1 : undef;
}
$r = $s->request('POST', '/api/auth/register', json => { email => 'Ines.Abonnee@Example.org',
	password => 'lettre-du-cafe-26', givenName => 'Inès', newsletter => JSON::PP::true });
is $r->{status}, 201, 'register with newsletter=true: 201';
ok listed('pending', 'ines.abonnee@example.org'), '… a pending subscriber of that address';
ok !listed('confirmed', 'ines.abonnee@example.org'), '… not confirmed before the activation';
my $itok = activation_token('ines.abonnee@example.org');
ok $itok, '… the activation mail is on its way';
is scalar(grep { my $b = $_->{body} // {}; (ref $b->{to} ? "@{$b->{to}}" : '') =~ /ines\.abonnee/ &&
		 ($b->{text} // '') =~ m{/api/newsletter/confirm} } $resend->records), 0,
	'… and no second confirmation mail for the newsletter';
is $s->request('POST', '/api/auth/activate-account', json => { token => $itok })->{status}, 200, 'activation: 200';
ok listed('confirmed', 'ines.abonnee@example.org'), 'the activation confirms the subscriber';
ok scalar(resend_mails('ines.abonnee@example.org', qr/inscription est confirm/)), '… and the welcome mail is sent';
$r = $s->get('/api/user/profile', session => $s->login('ines.abonnee@example.org', 'lettre-du-cafe-26'));
ok $r->{json}{newsletter} // $r->{json}{user}{newsletter}, '… users.newsletter in step';

# the no-JS register page, then the activation page's button
$r = form('/auth/register', email => 'paul.papier@example.org', password => 'lettre-du-cafe-27',
	  givenName => 'Paul', newsletter => '1');
is $r->{status}, 303, 'the register page with the box ticked: 303';
ok listed('pending', 'paul.papier@example.org'), '… a pending subscriber';
my $ptok = activation_token('paul.papier@example.org');
is form('/auth/activate-account', token => $ptok)->{status}, 303, 'the activation page: 303';
ok listed('confirmed', 'paul.papier@example.org'), '… confirms it';

# without the box: nothing
is $s->request('POST', '/api/auth/register', json => { email => 'sans.lettre@example.org',
	password => 'lettre-du-cafe-28', givenName => 'Sans', newsletter => JSON::PP::false })->{status}, 201,
	'register with newsletter=false: 201';
is form('/auth/activate-account', token => activation_token('sans.lettre@example.org'))->{status}, 303, '… activated';
unlike $s->get('/newsletter?q=sans.lettre', session => $admin)->{content}, qr{sans\.lettre\@example}, '… and no subscriber';

# ---- the admins' list and CSV ---------------------------------------------------------
my $staff = $s->login('staff', undef, host => 'admin');
is $s->get('/newsletter', session => $staff)->{status}, 403, 'staff: 403';
like $s->get('/newsletter?q=nouveau.lecteur', session => $admin)->{content},
	qr{<span class="badge badge-warn">En attente</span>}, 'a pending subscriber is amber, as every waiting status (docs/design.md)';
$r = $s->get('/newsletter?format=csv', session => $admin);
is $r->{status}, 200, 'CSV: 200';
like $r->{headers}{'content-type'}, qr{^text/csv}, 'CSV: text/csv';
like $r->{headers}{'content-disposition'} // '', qr{attachment; filename="abonnes-newsletter\.csv"}, 'CSV: a download';
like $r->{content}, qr{^\xEF\xBB\xBFE-mail;Statut;Source}, 'CSV: BOM and ";"';
like $r->{content}, qr{\r\nnouveau\.lecteur\@example\.org;En attente;api;}, 'CSV: a pending subscriber';
like $r->{content}, qr{\r\nzoe\.lettre\@example\.org;D\xC3\xA9sinscrit;footer;}, 'CSV: an unsubscribed one';
$r = $s->get('/newsletter?format=csv&status=confirmed', session => $admin);
unlike $r->{content}, qr{nouveau\.lecteur}, 'CSV: the filter applies';
$r = $s->get('/api/audit-log?action=newsletter.export', session => $admin);
is $r->{json}{pagination}{total} // scalar(@{ $r->{json}{entries} // [] }), 2, 'each export is in the audit log';

# ---- the same headers over SMTP ---------------------------------------------------------
my $smtp = FakeService->start('smtp', '--user', 'cafe', '--password', 'secret-pw');
$s->stop_component('mailer');
form('/newsletter', email => 'smtp.reader@example.org');
my %env = ($s->app_env, RESEND_API_KEY => '', RESEND_API_BASE => undef, CWC_MAIL_TRANSPORT => 'smtp',
	   SMTP_URL => 'smtp://cafe:secret-pw@127.0.0.1:' . $smtp->port);
my ($rc) = run_cron(\%env, $s->dir . '/logs/cron-smtp.log', 'outbox');
is $rc, 0, 'a pass of the sender over SMTP';
my ($m) = grep { "@{$_->{rcpt} // []}" =~ /smtp\.reader/ } $smtp->records;

my ($head) = split /\r\n\r\n/, $m->{data} // '', 2;
$head =~ s/\r\n[ \t]+/ /g;
$head =~ s/\r//g;
like $head, qr{^List-Unsubscribe: <mailto:cafe\@example\.com\?subject=unsubscribe>, <\Q$base\E/api/newsletter/unsubscribe\?email=smtp\.reader%40example\.org&token=[0-9a-f]{64}>$}m,
	'SMTP: List-Unsubscribe in the message';
like $head, qr{^List-Unsubscribe-Post: List-Unsubscribe=One-Click$}m, 'SMTP: List-Unsubscribe-Post';

# ---- honeypot and limit -----------------------------------------------------------
$r = form('/newsletter', email => 'robot@example.org', website => 'http://spam.example');
is $r->{status}, 303, 'honeypot: looks like a success';
unlike $s->get('/newsletter?q=robot', session => $admin)->{content}, qr{robot\@example}, 'honeypot: no subscriber';
my @st = map { form('/newsletter', email => "limite$_\@example.org")->{status} } 1 .. 12;
ok((grep { $_ == 429 } @st), 'past the limit: 429 (' . join(',', @st) . ')');
$r = form('/newsletter', email => 'encore@example.org');
is $r->{status}, 429, 'still 429';
like $r->{headers}{'retry-after'} // '', qr/^\d+$/, 'with Retry-After';

done_testing;
