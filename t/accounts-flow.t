#!/usr/bin/perl
# A customer's whole account life through Caddy, as a browser would live
# it: register, the activation mail, activate, sign in, profile, change
# password (the other sessions die), sign out, forgot / reset password
# (single use), resend activation, honeypot, duplicate email, deletion.
# Mails are read where the file transport writes them
# ($CWC_DATA_DIR/mail/*.eml, sent by the stack's mailer).
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use CWC::Stack;
use MIME::QuotedPrint qw(decode_qp);
use Test::More;
use Time::HiRes qw(sleep time);

plan skip_all => 'bin/cwc-cron (the mailer) is not built' unless -x "$CWC::Stack::ROOT/bin/cwc-cron";

my $s = CWC::Stack->start(env => { CWC_MAIL_TRANSPORT => 'file', CWC_MAIL_POLL_MS => 100 });

# ---- helpers ------------------------------------------------------------

# A request as the site's own pages make it: Origin on state changes, the
# session cookie when given.
sub call { $s->call(@_) }

sub set_cookie {
	my ($r) = @_;
	my $sc = $r->{headers}{'set-cookie'} // return;
	for (ref $sc ? @$sc : ($sc)) {
		return $_ if /^cwc_session=/;
	}
	return;
}

sub session_of {
	my ($r) = @_;
	my $c = set_cookie($r) // return;
	return $c =~ /^cwc_session=([0-9a-f]{64});/ ? $1 : undef;
}

# The link of the newest mail to $to whose link goes to $path, waiting for
# the mailer; skips the mails already seen.
my %seen;
sub mail_link {
	my ($to, $path) = @_;
	my $deadline = time + 15;
	while (time < $deadline) {
		for my $f (sort glob($s->data_dir . '/mail/*.eml')) {
			next if $seen{$f};
			open my $fh, '<', $f or next;
			my $m = do { local $/; <$fh> };
			next unless $m =~ /^To:.*\Q$to\E/mi;
			my $text = decode_qp($m);
			if ($text =~ m{(\Q${\ $s->site_url }\E\Q$path\E\?token=([0-9a-f]{64}))}) {
				$seen{$f} = 1;
				return ($1, $2);
			}
		}
		sleep 0.1;
	}
	return;
}

sub mail_count {
	my ($to, $re) = @_;
	my $n = 0;
	for my $f (glob($s->data_dir . '/mail/*.eml')) {
		open my $fh, '<', $f or next;
		my $m = decode_qp(do { local $/; <$fh> });
		$n++ if $m =~ /^To:.*\Q$to\E/mi && $m =~ $re;
	}
	return $n;
}

# ---- register and activate ---------------------------------------------

my $email = 'Lea.Martin@Example.com';
my $r = call(POST => '/api/auth/register', json => {
	email => "  $email ", password => 'premier-mot-2026', username => 'lea',
	givenName => 'Léa', phone => '+33 6 12 34 56 78', newsletter => JSON::PP::true });
is $r->{status}, 201, 'register: 201';
is $r->{json}{user}{email}, 'lea.martin@example.com', 'the email is trimmed and lower-cased';
like $r->{json}{user}{id} // '', qr/^[0-9a-f]{24}$/, 'and the new id is an ObjectId';
$email = 'lea.martin@example.com';

$r = call(POST => '/api/auth/register', json => { email => 'LEA.martin@example.com',
	password => 'autre-mot-2026', givenName => 'Autre' });
is $r->{status}, 409, 'the same email again: 409';
is $r->{json}{error}{code}, 'email_taken', 'email_taken';

$r = call(POST => '/api/auth/login', json => { email => $email, password => 'premier-mot-2026' });
is $r->{status}, 403, 'login before activation: 403';
is $r->{json}{error}{code}, 'not_activated', 'not_activated';
ok !set_cookie($r), 'and no session cookie';

my ($link, $token) = mail_link($email, '/auth/activate-account');
ok $link, "the activation mail arrives with its link ($link)";

$r = call(POST => '/api/auth/resend-activation', json => { email => $email });
is $r->{status}, 200, 'resend-activation: 200';
my ($link2, $token2) = mail_link($email, '/auth/activate-account');
ok $token2 && $token2 ne $token, 'a new activation mail with a new token';
$r = call(POST => '/api/auth/activate-account', json => { token => $token });
is $r->{status}, 410, 'the replaced link: 410';
is $r->{json}{error}{code}, 'token_expired', 'token_expired';
like $r->{json}{error}{message}, qr/new one/i, 'pointing to a new link';

$r = call(POST => '/api/auth/activate-account', json => { token => $token2 });
is $r->{status}, 200, 'activation: 200';
$r = call(POST => '/api/auth/activate-account', json => { token => $token2 });
is $r->{status}, 410, 'the same link twice: 410';

# ---- login, session, profile -------------------------------------------

$r = call(POST => '/api/auth/login', json => { email => 'LEA.MARTIN@example.com', password => 'premier-mot-2026' });
is $r->{status}, 200, 'login: 200 (email in any case)';
my $s1 = session_of($r);
ok $s1, 'with a session cookie';
my $c = set_cookie($r);
like $c, qr/;\s*Path=\/(;|$)/, 'cookie Path=/';
like $c, qr/;\s*HttpOnly/i, 'cookie HttpOnly';
like $c, qr/;\s*SameSite=Lax/i, 'cookie SameSite=Lax';
like $c, qr/;\s*Max-Age=2592000/, 'cookie lives 30 days';
unlike $c, qr/Secure/i, 'not Secure in development';
is_deeply [ sort keys %{ $r->{json}{user} } ], [qw(email givenName id role username)], 'the user of the answer';
is $r->{json}{user}{role}, 'client', 'role client';
is $r->{json}{user}{givenName}, 'Léa', 'UTF-8 names come back intact';

$r = call(GET => '/api/auth/session', cookie => $s1);
is $r->{status}, 200, 'session: 200';
is $r->{json}{user}{email}, $email, 'names the user';
$r = call(GET => '/api/auth/session');
is $r->{status}, 401, 'session without cookie: 401';
is $r->{json}{error}{code}, 'unauthorized', 'unauthorized';

$r = call(POST => '/api/auth/login', json => { email => $email, password => 'premier-mot-2026' });
my $s2 = session_of($r);
ok $s2 && $s2 ne $s1, 'a second login (another browser) gets another token';

$r = call(GET => '/api/user/profile', cookie => $s1);
is $r->{status}, 200, 'profile: 200';
is $r->{json}{user}{phone}, '+33 6 12 34 56 78', 'with the phone';
ok $r->{json}{user}{newsletter}, 'and the newsletter opt-in';
like $r->{json}{user}{emailVerifiedAt} // '', qr/^\d{4}-\d\d-\d\dT/, 'and the activation date';

$r = call(PUT => '/api/user/profile', cookie => $s1, json => {
	givenName => '  Léa-Rose ', companyName => 'Atelier Rose', phone => '', newsletter => JSON::PP::false });
is $r->{status}, 200, 'profile update: 200';
is $r->{json}{user}{givenName}, 'Léa-Rose', 'the name is updated and trimmed';
is $r->{json}{user}{companyName}, 'Atelier Rose', 'the company is set';
ok !defined $r->{json}{user}{phone}, 'an empty phone clears it';
ok !$r->{json}{user}{newsletter}, 'newsletter off';
$r = call(GET => '/api/user/profile', cookie => $s2);
is $r->{json}{user}{companyName}, 'Atelier Rose', 'the other session sees the update';
$r = call(PUT => '/api/user/profile', cookie => $s1, json => { givenName => '' });
is $r->{status}, 422, 'an empty givenName: 422';
is $r->{json}{error}{field}, 'givenName', 'naming givenName';

# ---- password change ----------------------------------------------------

$r = call(PUT => '/api/user/password', cookie => $s1, json => {
	currentPassword => 'pas-le-bon-mot', newPassword => 'deuxieme-mot-2026' });
is $r->{status}, 401, 'a wrong current password: 401';
is $r->{json}{error}{code}, 'bad_credentials', 'bad_credentials';
$r = call(PUT => '/api/user/password', cookie => $s1, json => {
	currentPassword => 'premier-mot-2026', newPassword => 'court' });
is $r->{status}, 422, 'a short new password: 422';
is $r->{json}{error}{field}, 'newPassword', 'naming newPassword';
$r = call(PUT => '/api/user/password', cookie => $s1, json => {
	currentPassword => 'premier-mot-2026', newPassword => 'deuxieme-mot-2026' });
is $r->{status}, 200, 'password change: 200';
is call(GET => '/api/auth/session', cookie => $s2)->{status}, 401, 'the other session is ended';
is call(GET => '/api/auth/session', cookie => $s1)->{status}, 200, 'this one goes on';
is call(POST => '/api/auth/login', json => { email => $email, password => 'premier-mot-2026' })->{status},
	401, 'the old password no longer works';
$r = call(POST => '/api/auth/login', json => { email => $email, password => 'deuxieme-mot-2026' });
is $r->{status}, 200, 'the new one does';
my $s3 = session_of($r);

# ---- logout ----------------------------------------------------------------

$r = call(POST => '/api/auth/logout', cookie => $s1);
is $r->{status}, 204, 'logout: 204';
like set_cookie($r) // '', qr/^cwc_session=;.*Max-Age=0/, 'the cookie is cleared';
is call(GET => '/api/auth/session', cookie => $s1)->{status}, 401, 'the session is gone';
is call(GET => '/api/auth/session', cookie => $s3)->{status}, 200, 'another browser stays signed in';

# ---- forgot / reset ----------------------------------------------------------

my $same = call(POST => '/api/auth/forgot-password', json => { email => 'nobody@example.com' });
$r = call(POST => '/api/auth/forgot-password', json => { email => $email });
is $r->{status}, 200, 'forgot-password: 200';
is $same->{status}, 200, 'forgot-password for an unknown email: 200 too';
is $r->{content}, $same->{content}, 'with the same body';
my ($rlink, $rtoken) = mail_link($email, '/auth/reset-password');
ok $rlink, "the reset mail has its link ($rlink)";
is mail_count('nobody@example.com', qr/reset-password/), 0, 'no mail to an unknown address';

$r = call(POST => '/api/auth/reset-password', json => { token => $rtoken, password => 'court' });
is $r->{status}, 422, 'reset with a short password: 422';
$r = call(POST => '/api/auth/reset-password', json => { token => $rtoken, password => 'troisieme-mot-2026' });
is $r->{status}, 200, 'reset: 200';
$r = call(POST => '/api/auth/reset-password', json => { token => $rtoken, password => 'quatrieme-mot-2026' });
is $r->{status}, 410, 'the same reset link twice: 410';
is $r->{json}{error}{code}, 'token_expired', 'token_expired';
$r = call(POST => '/api/auth/reset-password', json => { token => 'ab' x 32, password => 'quatrieme-mot-2026' });
is $r->{status}, 410, 'an unknown token: 410';
is call(GET => '/api/auth/session', cookie => $s3)->{status}, 401, 'a reset ends every session';
is call(POST => '/api/auth/login', json => { email => $email, password => 'deuxieme-mot-2026' })->{status},
	401, 'the previous password no longer works';
$r = call(POST => '/api/auth/login', json => { email => $email, password => 'troisieme-mot-2026' });
is $r->{status}, 200, 'the reset one does';
my $s4 = session_of($r);

{
	my $deadline = time + 10;
	sleep 0.2 while time < $deadline && mail_count($email, qr/^Subject:.*\S/m) < 5;
	ok mail_count($email, qr/^Subject:.*\S/m) >= 5,
		'mails to the user: 2 activation, 1 reset, 2 password-changed notices';
}

# ---- honeypot -----------------------------------------------------------------

$r = call(POST => '/api/auth/register', json => { email => 'bot@example.com',
	password => 'robot-robot-1', givenName => 'Bot', website => 'http://spam.example' });
is $r->{status}, 201, 'a filled honeypot gets a 201';
$r = call(POST => '/api/auth/register', json => { email => 'bot@example.com',
	password => 'robot-robot-1', givenName => 'Bot' });
is $r->{status}, 201, 'but nothing was created (the same email registers again)';

# ---- deletion -------------------------------------------------------------------

$r = call(DELETE => '/api/user/delete', cookie => $s4);
is $r->{status}, 200, 'delete the account: 200';
like set_cookie($r) // '', qr/Max-Age=0/, 'the cookie is cleared';
is call(GET => '/api/auth/session', cookie => $s4)->{status}, 401, 'the session is ended';
is call(POST => '/api/auth/login', json => { email => $email, password => 'troisieme-mot-2026' })->{status},
	401, 'the account cannot sign in';
$r = call(POST => '/api/auth/register', json => { email => $email, password => 'nouveau-depart-1',
	givenName => 'Léa' });
is $r->{status}, 201, 'its email is free again (the old account is anonymised)';

unlike $s->log_text('site'), qr/premier-mot|deuxieme-mot|troisieme-mot/, 'no password in the logs';

done_testing;
