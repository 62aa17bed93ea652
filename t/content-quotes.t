#!/usr/bin/perl
# Privatization quote requests through Caddy, as a browser without
# JavaScript sends them: /privatization links the form; each bad field is
# answered 422 with its error next to it and what was typed kept
# (escaped); a good request is saved and answered 303 → /privatization/
# merci, the café and the sender each get a mail (user text escaped), the
# staff's badge is published; the honeypot saves nothing; the per-address
# limit answers 429 with Retry-After; the JSON route names the field. In
# the back office: the list (new first, dozens of requests, paginated),
# the detail, a status change with notes (audited, badge), refused values.
use strict;
use warnings;
use utf8;
use FindBin;
use lib "$FindBin::Bin/lib";
use CWC::Badges;
use CWC::Stack;
use Encode qw(encode_utf8 decode_utf8);
use POSIX qw(strftime);
use Test::More;
binmode $_, ':encoding(UTF-8)' for map { Test::More->builder->$_ } qw(output failure_output todo_output);

my $s = CWC::Stack->start(env => { CWC_THROTTLE_QUOTE => '40/600', CONTACT_EMAIL => 'cafe@example.com' });
$s->seed;
my $badges = CWC::Badges->listen($s);

sub enc {
	my %f = @_;
	return join '&', map {
		my $v = encode_utf8($f{$_} // '');
		$v =~ s/([^A-Za-z0-9\-._~])/sprintf('%%%02X', ord $1)/ge;
		"$_=$v";
	} sort keys %f;
}
sub post_form {
	my ($path, %f) = @_;
	my $host = delete $f{_host};
	my $sess = delete $f{_session};
	my $r = $s->request('POST', $path, ($host ? (host => $host) : ()), ($sess ? (session => $sess) : ()),
		headers => { 'Content-Type' => 'application/x-www-form-urlencoded',
			     Origin => $host ? $s->admin_url : $s->site_url }, body => enc(%f));
	$r->{content} = decode_utf8($r->{content});
	return $r;
}

my $in_a_month = strftime('%Y-%m-%d', gmtime(time + 30 * 86400));
my $yesterday = strftime('%Y-%m-%d', gmtime(time - 2 * 86400));
my %good = (eventType => 'team-building', date => $in_a_month, startTime => '09:30', endTime => '17:00',
	    attendees => '21-30', company => 'Acme <b>SAS</b>', contactName => 'Zoé <i>Martin</i>',
	    email => 'Zoe.Devis@Example.org', phone => '06 12 34 56 78',
	    message => "Bonjour,\n<script>alert(1)</script> un séminaire ?");

my $r = $s->get('/privatization');
like $r->{content}, qr{href="/privatization/devis"}, '/privatization links the quote form';
$r = $s->get('/privatization/devis');
is $r->{status}, 200, 'the form: 200';
my $html = decode_utf8($r->{content});
like $html, qr{<form class="card form narrow" method="post" action="/privatization/devis"}, 'a plain HTML form';
like $html, qr{<option value="team-building">Team building</option>}, 'the event types';
like $html, qr{name="website"}, 'the honeypot';
is scalar(() = $html =~ /<h1[\s>]/g), 1, 'one h1';

# ---- errors next to their field, what was typed kept -------------------------------
for my $case ([eventType => 'pique-nique'], [date => ''], [date => '2027-02-30'], [date => $yesterday],
	      [startTime => '9h'], [endTime => '08:00'], [attendees => '1000'], [contactName => ' '],
	      [email => 'pas-une-adresse'], [phone => 'appelez-moi'], [message => 'x' x 5001],
	      [company => 'y' x 101]) {
	my ($field, $value) = @$case;
	$r = post_form('/privatization/devis', %good, $field => $value);
	is $r->{status}, 422, "$field bad ('" . substr($value, 0, 12) . "'): 422";
	like $r->{content}, qr{aria-invalid="true" aria-describedby="q-$field-err"}, "$field: marked invalid";
	like $r->{content}, qr{<span class="field-error" id="q-$field-err">[^<]+</span>}, "$field: its error next to it";
	like $r->{content}, qr{value="Zoé &lt;i&gt;Martin&lt;/i&gt;"}, "$field: the name kept, escaped" unless $field eq 'contactName';
	like $r->{content}, qr{<option value="21-30" selected>}, "$field: the attendees kept" unless $field eq 'attendees';
	like $r->{content}, qr{&lt;script&gt;alert\(1\)&lt;/script&gt;}, "$field: the message kept, escaped" unless $field eq 'message';
}

# ---- a request ------------------------------------------------------------------------
my $before = $badges->count('quotes');
$r = post_form('/privatization/devis', %good);
is $r->{status}, 303, 'a good request: 303';
is $r->{headers}{location}, '/privatization/merci', '… to the thank-you page';
$r = $s->get('/privatization/merci');
is $r->{status}, 200, 'thank-you page';
like decode_utf8($r->{content}), qr{<h1>Merci}, 'it thanks';
ok $badges->wait('quotes'), 'the staff\'s badge "quotes" is published';
my $staff_mail = $s->wait_mail('cafe@example.com', qr/Team building/);
like $staff_mail, qr/demande de devis/i, 'the café gets the request';
like $staff_mail, qr/Zo. &lt;i&gt;Martin&lt;\/i&gt;/, 'user text escaped in the café\'s HTML';
like $staff_mail, qr/&lt;script&gt;alert/, 'the message escaped';
like $staff_mail, qr/zoe\.devis\@example\.org/, 'the sender\'s address (normalised)';
like $staff_mail, qr{/quotes/[0-9a-f]{24}}, 'a link to the back office';
my $ack = $s->wait_mail('zoe.devis@example.org', qr/48/);
like $ack, qr/Bonjour Zo/, 'the sender gets an acknowledgement';

# ---- honeypot --------------------------------------------------------------------------
my $nmails = () = $s->mails;
$r = post_form('/privatization/devis', %good, email => 'robot@example.org', website => 'http://spam.example');
is $r->{status}, 303, 'honeypot: looks like a success';

# ---- JSON -------------------------------------------------------------------------------
$r = $s->call('POST', '/api/privatization/devis', json => { %good, endTime => '09:00' });
is $r->{status}, 400, 'API: end before start 400';
is $r->{json}{error}{field}, 'endTime', 'API: names the field';
$r = $s->call('POST', '/api/privatization/devis', json => { %good, email => 'api.devis@example.org', company => '' });
is $r->{status}, 201, 'API: 201';
$s->wait_mail('api.devis@example.org', qr/48/);
ok !(grep { my $t = do { local $/; open my $f, '<', $_; <$f> }; $t =~ /robot\@example/ } $s->mails), 'honeypot: no mail';

# ---- the back office ----------------------------------------------------------------------
for my $i (1 .. 34) {
	my $x = $s->call('POST', '/api/privatization/devis', json => { %good, email => "lot$i\@example.org",
		contactName => "Contact $i " . ('Très-long-nom-de-famille-' x 3), message => '' });
	die "quote $i: $x->{status}" unless $x->{status} == 201;
}
my $staff = $s->login('staff', undef, host => 'admin');
is $s->get('/quotes', host => 'admin')->{status}, 303, 'signed out: to the login page';
$r = $s->get('/quotes', session => $staff);
is $r->{status}, 200, 'staff: the list';
$html = decode_utf8($r->{content});
like $html, qr{36 demande\(s\)}, 'every request counted';
like $html, qr{rel="next"}, 'paginated';
like $html, qr{Contact 34 Très}, 'the newest first';
$html = decode_utf8($s->get('/quotes?page=2', session => $staff)->{content});
like $html, qr{Zoé &lt;i&gt;Martin&lt;/i&gt;}, 'the oldest on page 2, user text escaped in the list';
my ($href) = $html =~ m{<a href="(/quotes/[0-9a-f]{24})">[^<]*</a></td>\s*<td class="wrap"[^>]*>Zoé[^<]*<br><span class="muted">Acme}s;
ok $href, 'a link to the request';
$r = $s->get("$href", session => $staff);
is $r->{status}, 200, 'the detail';
$html = decode_utf8($r->{content});
like $html, qr{&lt;script&gt;alert\(1\)&lt;/script&gt;}, 'the message, escaped';
like $html, qr{Acme &lt;b&gt;SAS&lt;/b&gt;}, 'the company, escaped';
like $html, qr{<dt>Date</dt><dd>\w+\. \d+ \w+\.? \d{4}, de 09:30 à 17:00</dd>}, 'the wished day in words, not ISO';
is $s->get('/quotes/' . ('0' x 24), session => $staff)->{status}, 404, 'an unknown request: 404';

$r = post_form($href, status => 'gagnée', notes => '', _host => 'admin', _session => $staff);
is $r->{status}, 422, 'an unknown status: 422';
# the newest request (first row of page 1) is answered
$html = decode_utf8($s->get('/quotes', session => $staff)->{content});
my ($newest) = $html =~ m{<a href="(/quotes/[0-9a-f]{24})">};
$r = post_form($newest, status => 'answered', notes => "Devis <envoyé> le 12", _host => 'admin', _session => $staff);
is $r->{status}, 303, 'answered, with notes: 303';
ok $badges->wait('quotes'), 'the badge again';
$r = $s->get($newest, session => $staff);
$html = decode_utf8($r->{content});
like $html, qr{Devis &lt;envoyé&gt; le 12</textarea>}, 'the notes kept, escaped';
like $html, qr{<option value="answered" selected>}, 'the status kept';
my $admin = $s->login('admin', undef, host => 'admin');
(my $id = $newest) =~ s{.*/}{};
$r = $s->get("/api/audit-log?documentId=$id", session => $admin);
my ($e) = @{ $r->{json}{entries} // [] };
is $e->{action}, 'quotes.update', 'audited as quotes.update';
is $e->{after}{status}, 'answered', '… with the new status';
$r = $s->get('/quotes?status=answered', session => $staff);
like decode_utf8($r->{content}), qr{1 demande\(s\)}, 'the filter by status';
$html = decode_utf8($s->get('/quotes', session => $staff)->{content});
unlike $html, qr{Contact 34 Très}, 'the answered one leaves the first page (new ones first)';
$html = decode_utf8($s->get('/quotes?page=2', session => $staff)->{content});
like $html, qr{Contact 34 Très.*</tbody>}s, '… for the end of the list';
is $s->get('/quotes?page=3', session => $staff)->{status}, 404, 'a page past the end: 404';

# ---- rate limit --------------------------------------------------------------------------
my @st = map { post_form('/privatization/devis', %good, email => "r$_\@example.org")->{status} } 1 .. 6;
ok((grep { $_ == 429 } @st), 'past the per-address limit: 429 (' . join(',', @st) . ')');
$r = post_form('/privatization/devis', %good);
like $r->{headers}{'retry-after'} // '', qr/^\d+$/, 'Retry-After';

done_testing;
