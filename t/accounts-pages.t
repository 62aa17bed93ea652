#!/usr/bin/perl
# The account pages work without JavaScript: plain form posts as a browser
# sends them (application/x-www-form-urlencoded, an Origin), answered by a
# 303 to the next step, or by the form again with the error next to its
# field (aria-invalid + aria-describedby), what was typed kept except the
# password, and nothing written. Same rules and throttles as the API:
# register (honeypot, duplicate), activation by the mail's link, sign-in
# (next, wrong password, throttled together with the API), forgotten
# password and reset (single use).
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use CWC::Stack;
use Test::More;
use Time::HiRes qw(sleep time);

plan skip_all => 'bin/cwc-cron (the mailer) is not built' unless -x "$CWC::Stack::ROOT/bin/cwc-cron";

my $s = CWC::Stack->start(env => { CWC_MAIL_TRANSPORT => 'file', CWC_MAIL_POLL_MS => 100,
				   CWC_THROTTLE_LOGIN => '4/900', CWC_THROTTLE_LOGIN_IP => '100/900',
				   CWC_THROTTLE_FORGOT_IP => '100/3600' });

sub enc { my $v = shift // ''; $v =~ s/([^A-Za-z0-9\-._~])/sprintf '%%%02X', ord $1/ge; $v }

# A form post as a browser makes it.
sub form {
	my ($path, @kv) = @_;
	my @pairs;
	while (my ($k, $v) = splice @kv, 0, 2) { push @pairs, enc($k) . '=' . enc($v) }
	return $s->request(POST => $path, body => join('&', @pairs),
			   headers => { 'Content-Type' => 'application/x-www-form-urlencoded',
					Origin => $s->site_url });
}

sub h1_count { my @h = $_[0] =~ /<h1[\s>]/g; scalar @h }

sub field_error_ok {
	my ($r, $field, $re, $what) = @_;
	like $r->{content}, qr{<input[^>]*id="\Q$field\E"[^>]*aria-invalid="true"[^>]*aria-describedby="[^"]*\Q$field\E-error|<input[^>]*id="\Q$field\E"[^>]*aria-describedby="[^"]*\Q$field\E-error[^"]*"[^>]*aria-invalid="true"},
		"$what: $field marked invalid, bound to its message";
	like $r->{content}, qr{<p id="\Q$field\E-error" class="field-error">[^<]*$re}, "$what: the message next to $field";
}

sub mail_token {
	my ($to, $path) = @_;
	my $text = $s->wait_mail($to, qr{\Q$path\E\?token=[0-9a-f]{64}});
	my @t = $text =~ m{\Q$path\E\?token=([0-9a-f]{64})}g;
	return $t[-1];
}

sub mails_to { my $to = shift; scalar grep { open my $f, '<', $_; local $/; <$f> =~ /^To:.*\Q$to\E/mi } $s->mails }

# ---- every page answers, with one h1 ------------------------------------
for my $p (qw(/auth/login /auth/register /auth/activate-account /auth/forgot-password /auth/reset-password)) {
	my $r = $s->get($p);
	is $r->{status}, 200, "$p: 200";
	is h1_count($r->{content}), 1, "$p: one h1";
	unlike $r->{content}, qr{<script}, "$p: no script needed";
}

# ---- register: errors, honeypot, success ----------------------------------
my $email = 'camille.dupont@example.com';
my $long = 'Société ' . ('très longue ' x 20);
my $r = form('/auth/register', givenName => '', username => 'Dupont', email => 'camille@',
	     password => 'secret-1234', phone => '06 12 34 56 78', companyName => 'Atelier <b>&</b>',
	     newsletter => '1');
is $r->{status}, 422, 'register with a bad email: 422';
field_error_ok($r, 'email', qr/adresse e-mail valide/, 'register');
like $r->{content}, qr{<input type="email" name="email" id="email" value="camille@"}, 'register: the email typed is kept';
like $r->{content}, qr{id="companyName" value="Atelier &lt;b&gt;&amp;&lt;/b&gt;"}, 'register: the company kept, escaped';
like $r->{content}, qr{id="newsletter" value="1" checked}, 'register: the newsletter box stays ticked';
unlike $r->{content}, qr{secret-1234}, 'register: the password is not sent back';

$r = form('/auth/register', givenName => '  ', email => $email, password => 'secret-1234');
is $r->{status}, 422, 'register with a blank given name: 422';
field_error_ok($r, 'givenName', qr/Saisissez votre prénom/, 'register');

$r = form('/auth/register', givenName => 'Camille', email => $email, password => 'court');
is $r->{status}, 422, 'register with a short password: 422';
field_error_ok($r, 'password', qr/au moins 8 caractères/, 'register');

$r = form('/auth/register', givenName => 'Camille', email => $email, password => 'secret-1234',
	  companyName => $long x 2);
is $r->{status}, 422, 'register with a company name too long: 422';
field_error_ok($r, 'companyName', qr/150 caractères/, 'register');

$r = form('/auth/register', givenName => 'Bot', email => $email, password => 'secret-1234',
	  website => 'http://spam.example');
is $r->{status}, 303, 'honeypot: the answer of a success';
is $r->{headers}{location}, '/auth/register?sent=1', 'honeypot: to the same next step';

sleep 0.5;   # the mailer polls every 100 ms: a mail would be out by now
is mails_to($email), 0, 'no mail was sent by the refused forms nor the honeypot';

$r = form('/auth/register', givenName => 'Camille', username => 'Dupont', email => "  \U$email ",
	  password => 'secret-1234', phone => '06 12 34 56 78', newsletter => '1');
is $r->{status}, 303, 'register: 303 (nothing was created before: the address is free)';
is $r->{headers}{location}, '/auth/register?sent=1', 'register: to the confirmation';
$r = $s->get('/auth/register?sent=1');
like $r->{content}, qr{alert-success[^>]*>C’est presque fini}, 'the confirmation tells to read the mail';

$r = form('/auth/register', givenName => 'Camille', email => $email, password => 'secret-1234');
is $r->{status}, 409, 'register the same address again: 409';
field_error_ok($r, 'email', qr/Un compte existe déjà/, 'duplicate');

# ---- activation ------------------------------------------------------------
my $token = mail_token($email, '/auth/activate-account');
ok $token, 'the activation mail links the activation page';
$r = form('/auth/login', email => $email, password => 'secret-1234');
is $r->{status}, 422, 'sign in before activation: refused';
like $r->{content}, qr{role="alert">Ce compte n’est pas encore activé}, 'sign in before activation: says why';

$r = $s->get("/auth/activate-account?token=$token");
is $r->{status}, 200, 'the link opens the activation page';
like $r->{content}, qr{<input type="hidden" name="token" value="$token">}, 'which activates only on its button';
$r = form('/auth/activate-account', token => $token);
is $r->{status}, 303, 'activate: 303';
is $r->{headers}{location}, '/auth/login?activated=1', 'activate: to the login page';
$r = $s->get('/auth/login?activated=1');
like $r->{content}, qr{alert-success" role="status">Votre compte est activé}, 'the login page says it';
$r = form('/auth/activate-account', token => $token);
is $r->{status}, 422, 'the link works once';
like $r->{content}, qr{role="alert">Ce lien a expiré ou a déjà servi}, 'and the page says so';
$r = form('/auth/activate-account', token => '../../etc/passwd');
is $r->{status}, 422, 'a token that is not one: refused the same way';

# ---- sign in ------------------------------------------------------------------
$r = form('/auth/login', email => $email, password => 'wrong-password', next => '/dashboard/messages');
is $r->{status}, 401, 'a wrong password: 401';
like $r->{content}, qr{<p id="form-error" class="alert alert-error" role="alert">Adresse e-mail ou mot de passe incorrect\.</p>}, 'says so above the form';
like $r->{content}, qr{id="email" value="\Q$email\E"[^>]*aria-describedby="form-error"}, 'the email kept, bound to the message';
unlike $r->{content}, qr{wrong-password}, 'the password is not sent back';
like $r->{content}, qr{<input type="hidden" name="next" value="/dashboard/messages">}, 'next is kept';

$r = form('/auth/login', email => $email, password => '');
is $r->{status}, 400, 'no password: 400';
field_error_ok($r, 'password', qr/Saisissez un mot de passe/, 'login');

$r = form('/auth/login', email => $email, password => 'secret-1234', next => '//evil.example/x');
is $r->{status}, 303, 'sign in: 303';
is $r->{headers}{location}, '/dashboard', 'a next to another site: the default page (the dashboard)';
my ($cookie) = join(';', map { ref $_ ? @$_ : $_ } $r->{headers}{'set-cookie'} // '') =~ /(cwc_session=[0-9a-f]{64})/;
ok $cookie, 'signed in: a session cookie';
$r = $s->get('/api/auth/session', headers => { Cookie => $cookie });
is $r->{status}, 200, 'the cookie is a session';
$r = form('/auth/login', email => $email, password => 'secret-1234', next => '/dashboard/messages?c=1');
is $r->{headers}{location}, '/dashboard/messages?c=1', 'a local next is followed';

# the same throttle as the API (the sign-in above forgave the failure
# before it): 3 failures through the API, 1 here → 4/900
$s->post('/api/auth/login', json => { email => $email, password => 'nope-nope' }) for 1 .. 3;
$r = form('/auth/login', email => $email, password => 'nope-nope');
is $r->{status}, 401, 'a fourth failure: still 401';
$r = form('/auth/login', email => $email, password => 'secret-1234');
is $r->{status}, 429, 'then even the right password waits: 429';
like $r->{headers}{'retry-after'} // '', qr/^\d+$/, 'with Retry-After';
like $r->{content}, qr{role="alert">Trop de tentatives : réessayez dans \d+ minutes?\.}, 'says when';
$r = $s->post('/api/auth/login', json => { email => $email, password => 'secret-1234' });
is $r->{status}, 429, 'and the API counts the form failures';

# ---- forgotten password and reset -------------------------------------------------
$r = form('/auth/forgot-password', email => 'pas-une-adresse');
is $r->{status}, 422, 'forgot with a bad address: 422';
field_error_ok($r, 'email', qr/adresse e-mail valide/, 'forgot');
like $r->{content}, qr{id="email" value="pas-une-adresse"}, 'forgot: kept';
$r = form('/auth/forgot-password', email => 'personne@example.com');
is $r->{status}, 303, 'forgot for an unknown address: the same 303';
$r = form('/auth/forgot-password', email => $email);
is $r->{status}, 303, 'forgot: 303';
is $r->{headers}{location}, '/auth/forgot-password?sent=1', 'forgot: to the confirmation';
$token = mail_token($email, '/auth/reset-password');
ok $token, 'the reset mail links the reset page';
$r = $s->get("/auth/reset-password?token=$token");
like $r->{content}, qr{<input type="hidden" name="token" value="$token">}, 'the reset page carries the token';
$r = form('/auth/reset-password', token => $token, password => 'court');
is $r->{status}, 422, 'a short new password: 422';
field_error_ok($r, 'password', qr/au moins 8 caractères/, 'reset');
$r = form('/auth/reset-password', token => $token, password => 'nouveau-secret-2026');
is $r->{status}, 303, 'reset: 303';
is $r->{headers}{location}, '/auth/login?reset=1', 'reset: to the login page';
$r = form('/auth/reset-password', token => $token, password => 'encore-un-autre-1');
is $r->{status}, 422, 'the reset link works once';
$r = form('/auth/login', email => $email, password => 'nouveau-secret-2026');
is $r->{status}, 303, 'the new password signs in (the reset forgave the failures)';

# forgot is throttled like the API's (5 an hour per address)
my @st = map { form('/auth/forgot-password', email => 'flood@example.com')->{status} } 1 .. 6;
is "@st", '303 303 303 303 303 429', 'forgot: the sixth request of the hour waits';

# ---- cross-site posts are refused ---------------------------------------------------
$r = $s->request(POST => '/auth/login', body => "email=$email&password=x",
		 headers => { 'Content-Type' => 'application/x-www-form-urlencoded',
			      Origin => 'https://evil.example' });
is $r->{status}, 403, 'a form posted from another site: 403';

# ---- the admin login page posts too ---------------------------------------------------
$s->seed;
$r = $s->request(POST => '/login', host => 'admin',
		 body => 'email=staff%40coworkingcafe.local&password=cafe-staff-2026&next=%2Fmessages',
		 headers => { 'Content-Type' => 'application/x-www-form-urlencoded', Origin => $s->admin_url });
is $r->{status}, 303, 'admin login form: 303';
is $r->{headers}{location}, '/messages', 'admin login form: to next';
$r = $s->request(POST => '/login', host => 'admin',
		 body => 'email=client%40coworkingcafe.local&password=cafe-client-2026',
		 headers => { 'Content-Type' => 'application/x-www-form-urlencoded', Origin => $s->admin_url });
is $r->{status}, 422, 'a client on the admin login form: refused';
like $r->{content}, qr{Ce compte ne peut pas se connecter ici}, 'and told why';

done_testing;
