#!/usr/bin/perl
# The contact page through Caddy, as a browser without JavaScript uses it:
# the form posts, errors come back next to their field with what was
# typed (escaped), a good message is saved and answered 303 → thank-you,
# the café and the sender each get a mail through the outbox (user text
# escaped in the HTML part); the honeypot saves nothing; the per-address
# limit answers 429 with Retry-After; the JSON route names the field.
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use CWC::Stack;
use JSON::PP;
use Test::More;

my $s = CWC::Stack->start(env => { CWC_THROTTLE_CONTACT => '4/600', CONTACT_EMAIL => 'cafe@example.com' });

sub enc {
	my %f = @_;
	return join '&', map {
		my $v = $f{$_};
		$v =~ s/([^A-Za-z0-9\-._~])/sprintf('%%%02X', ord $1)/ge;
		"$_=$v";
	} sort keys %f;
}

sub post_form {
	my (%f) = @_;
	return $s->request('POST', '/contact', headers => {
		'Content-Type' => 'application/x-www-form-urlencoded', Origin => $s->site_url }, body => enc(map { $_ eq '_ip' ? () : ($_ => $f{$_}) } keys %f));
}

my $r = $s->get('/contact');
is $r->{status}, 200, '/contact: 200';
like $r->{content}, qr{<form class="card contact-form" method="post" action="/contact"}, 'a plain HTML form';
like $r->{content}, qr{<option>Événements privés</option>}, 'the subjects';
like $r->{content}, qr{1 rue de la Division Leclerc}, 'the address';
like $r->{content}, qr{name="website"}, 'the honeypot';

my %good = (name => 'Zoé <b>Martin</b>', email => 'Zoe.Martin@Example.org', phone => '06 12 34 56 78',
	    subject => 'Partenariat', message => "Bonjour,\n<script>alert(1)</script> un partenariat ?");

# ---- errors next to their field, what was typed kept -----------------------
for my $case ([name => ''], [email => 'pas-une-adresse'], [phone => 'appelez-moi'],
	      [subject => 'Autre chose'], [message => '   '], [message => 'x' x 5001]) {
	my ($field, $value) = @$case;
	$r = post_form(%good, $field => $value, _ip => '198.51.100.1');
	is $r->{status}, 422, "$field bad: 422";
	like $r->{content}, qr{aria-invalid="true" aria-describedby="c-$field-err"}, "$field: marked invalid";
	like $r->{content}, qr{<span class="field-error" id="c-$field-err">[^<]+</span>}, "$field: its error next to it";
	like $r->{content}, qr{value="Zoé &lt;b&gt;Martin&lt;/b&gt;"}, "$field: the name kept, escaped" unless $field eq 'name';
	like $r->{content}, qr{<option selected>Partenariat</option>}, "$field: the subject kept" unless $field eq 'subject';
}

# ---- a message --------------------------------------------------------------
$r = post_form(%good);
is $r->{status}, 303, 'a good message: 303';
is $r->{headers}{location}, '/contact/merci', '… to the thank-you page';
$r = $s->get('/contact/merci');
is $r->{status}, 200, 'thank-you page';
like $r->{content}, qr{<h1>Merci}, 'it thanks';
my $staff = $s->wait_mail('cafe@example.com', qr/Partenariat/);
like $staff, qr/formulaire de contact/, 'the caf\x{e9} gets the message';
like $staff, qr/Zo. &lt;b&gt;Martin&lt;\/b&gt;/, 'user text escaped in the caf\x{e9}\'s HTML';
like $staff, qr/&lt;script&gt;alert/, 'the message escaped in the HTML part';
like $staff, qr/zoe\.martin\@example\.org/, 'the sender\'s address (normalised)';
my $ack = $s->wait_mail('zoe.martin@example.org', qr/bien re/ );
like $ack, qr/Bonjour Zo./, 'the sender gets an acknowledgement';

# ---- honeypot ---------------------------------------------------------------
my $before = () = $s->mails;
$r = post_form(%good, website => 'http://spam.example', _ip => '198.51.100.9');
is $r->{status}, 303, 'honeypot: looks like a success';
sleep 2;
is scalar(() = $s->mails), $before, 'honeypot: no mail';

# ---- JSON -------------------------------------------------------------------
$r = $s->call('POST', '/api/contact-mails', json => { %good, email => 'x' });
is $r->{status}, 400, 'API: bad email 400';
is $r->{json}{error}{field}, 'email', 'API: names the field';
$r = $s->call('POST', '/api/contact-mails', json => { %good, email => 'api@example.org' });
is $r->{status}, 201, 'API: 201';
$s->wait_mail('api@example.org', qr/bien re/ );

# ---- rate limit -------------------------------------------------------------
my @st;
for (1 .. 5) {
	push @st, post_form(%good, email => "r$_\@example.org", _ip => '192.0.2.50');
}
# one address (Caddy's view of the client; tests all come from 127.0.0.1):
# two messages sent above, the limit is 4, errors and the honeypot count nothing
is_deeply [ map { $_->{status} } @st ], [303, 303, 429, 429, 429], 'past 4 messages from one address: 429';
like $st[-1]{headers}{'retry-after'} // '', qr/^\d+$/, 'Retry-After';

done_testing;
