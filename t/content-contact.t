#!/usr/bin/perl
# The contact page through Caddy, as a browser without JavaScript uses it:
# the form posts, errors come back next to their field with what was
# typed (escaped), a good message is saved and answered 303 → thank-you,
# the café and the sender each get a mail through the outbox (user text
# escaped in the HTML part) and the staff's badge is published; the
# honeypot saves nothing; the per-address limit answers 429 with
# Retry-After; the JSON route names the field. The staff's inbox: unread
# first, mark read, reply by mail (stored, sent through the outbox, user
# text escaped), archive; each action audited and published as a badge.
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use CWC::Badges;
use CWC::Stack;
use JSON::PP;
use Test::More;

my $s = CWC::Stack->start(env => { CWC_THROTTLE_CONTACT => '4/600', CONTACT_EMAIL => 'cafe@example.com' });
my $badges = CWC::Badges->listen($s);

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
ok $badges->wait('contact'), 'the staff\'s badge "contact" is published';

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


# ---- the staff's inbox --------------------------------------------------------
sub page { $s->get(@_) }   # bytes, like this file's literals
sub staff_post {
	my ($sess, $path, $body) = @_;
	my $r = $s->request('POST', $path, session => $sess,
		headers => { 'Content-Type' => 'application/x-www-form-urlencoded' }, body => $body // '');
	return $r;
}
my $staffer = $s->login('staff', undef, host => 'admin');
is $s->get('/contact-mails', host => 'admin')->{status}, 303, 'inbox signed out: to the login page';
$r = page('/contact-mails', session => $staffer);
is $r->{status}, 200, 'the inbox';
like $r->{content}, qr{4 message\(s\)}, 'every message (the honeypot\'s none)';
like $r->{content}, qr{4 non lu\(s\)}, 'all unread';
like $r->{content}, qr{Zoé &lt;b&gt;Martin&lt;/b&gt;}, 'user text escaped in the list';
my ($zoe) = $r->{content} =~ m{<a href="(/contact-mails/[0-9a-f]{24})">[^<]*</a></td>\s*<td class="wrap"[^>]*>Zo[^<]*<br><span class="muted">zoe\.martin\@example\.org}s;
ok $zoe, 'a link to the message';
my ($first) = $r->{content} =~ m{<a href="(/contact-mails/[0-9a-f]{24})">};
isnt $first, $zoe, 'newest first (Zoé wrote first)';
$r = page($zoe, session => $staffer);
like $r->{content}, qr{<p class="pre">Bonjour,\n&lt;script&gt;alert\(1\)&lt;/script&gt; un partenariat \?</p>}, 'the message, escaped';
is page('/contact-mails/' . ('0' x 24), session => $staffer)->{status}, 404, 'an unknown message: 404';

$r = staff_post($staffer, "$zoe/read");
is $r->{status}, 303, 'mark read: 303';
ok $badges->wait('contact'), 'the badge again';
like page($zoe, session => $staffer)->{content}, qr{<span class="badge badge-neutral">Lu</span>}, 'read';
$r = page('/contact-mails', session => $staffer);
like $r->{content}, qr{3 non lu\(s\)}, 'one fewer unread';
my @order = $r->{content} =~ m{<a href="(/contact-mails/[0-9a-f]{24})">}g;
is $order[-1], $zoe, 'unread first: the read one last';

$r = staff_post($staffer, "$zoe/reply", 'reply=+++');
is $r->{status}, 422, 'an empty reply: 422';
like $r->{content}, qr{Écrivez votre réponse}, '… saying so';
$r = staff_post($staffer, "$zoe/reply", 'reply=' . join '', map { sprintf '%%%02X', ord } split //, ("Merci Zoé,\nparlons-en <b>demain</b> !"));
is $r->{status}, 303, 'a reply: 303';
ok $badges->wait('contact'), 'the badge again';
my $reply = $s->wait_mail('zoe.martin@example.org', qr/parlons-en/);
like $reply, qr/Subject: Re: Partenariat/, 'the reply mailed to the sender';
like $reply, qr/parlons-en &lt;b&gt;demain&lt;\/b&gt;/, 'the reply escaped in the HTML part';
$r = page($zoe, session => $staffer);
like $r->{content}, qr{<span class="badge badge-neutral">Répondu</span>}, 'replied';
like $r->{content}, qr{Votre réponse du \d\d/\d\d/\d{4} \d\d:\d\d</h2>\s*<p class="pre">Merci Zoé,\nparlons-en &lt;b&gt;demain&lt;/b&gt; !</p>}, 'the reply stored and shown, dated 06/12/2026 14:05 (not ISO)';

$r = staff_post($staffer, "$zoe/archive");
is $r->{status}, 303, 'archive: 303';
$r = page('/contact-mails', session => $staffer);
unlike $r->{content}, qr{\Q$zoe\E"}, 'out of the inbox';
like page('/contact-mails?box=archive', session => $staffer)->{content}, qr{\Q$zoe\E"}, 'in the archive';

my $admin = $s->login('admin', undef, host => 'admin');
(my $id = $zoe) =~ s{.*/}{};
my @actions = sort map { $_->{action} } @{ $s->get("/api/audit-log?documentId=$id", session => $admin)->{json}{entries} };
is_deeply \@actions, [qw(contact-mails.archive contact-mails.read contact-mails.reply)], 'each action audited';

done_testing;
