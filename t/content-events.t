#!/usr/bin/perl
# Events through Caddy (SPEC §8): the staff create events in the back
# office; the site lists the upcoming published ones (never past,
# cancelled or draft ones) and shows each with its seats left, Event
# JSON-LD, Open Graph and canonical; a visitor without JavaScript
# registers with the plain form: errors next to the field keeping what
# was typed, the honeypot keeping nothing, a second registration of one
# address answered 409, a free seat confirmed at once with a mail
# carrying the .ics and a cancellation link that frees the seat; a paid
# seat goes through the fake Stripe Checkout (held ≤ 30 minutes, confirmed
# by checkout.session.completed — a repeated delivery changes nothing —,
# freed by checkout.session.expired); a full event says so; the staff
# cancel one registration and the whole event (everyone mailed, the
# paid ticket refunded); the per-address limit answers 429 with
# Retry-After; the sitemap lists the public events.
use strict;
use warnings;
use utf8;
use FindBin;
use lib "$FindBin::Bin/lib", "$FindBin::Bin/fake";
use CWC::Stack;
use CWC::Stripe;
use FakeService;
use HTTP::Tiny;
use JSON::PP;
use POSIX qw(strftime);
use Test::More;
use Time::HiRes qw(sleep time);
binmode $_, ':encoding(UTF-8)' for map { Test::More->builder->$_ } qw(output failure_output todo_output);

my $KEY = 'sk_test_cwc_' . join('', map { ('a' .. 'z', 0 .. 9)[rand 36] } 1 .. 24);
my $SECRET = 'whsec_' . join('', map { ('a' .. 'z', 0 .. 9)[rand 36] } 1 .. 32);
my $stripe = FakeService->start('stripe', '--key', $KEY);
my $LIMIT = 12;
my $s = CWC::Stack->start(env => {
	STRIPE_SECRET_KEY => $KEY, STRIPE_PUBLIC_KEY => 'pk_test_cwc', STRIPE_WEBHOOK_SECRET => $SECRET,
	STRIPE_API_BASE => $stripe->url, CWC_THROTTLE_EVENT => "$LIMIT/600", CONTACT_EMAIL => 'cafe@example.com',
});
$stripe->control(webhookUrl => $s->site_url . '/api/webhooks/stripe', webhookSecrets => [ $SECRET ]);
# the home page's "Prochains événements": nothing before there are events
unlike $s->get('/')->{content}, qr{Prochains événements|event-card}, 'home: no events block when there are none';
my $staff = $s->login('staff', undef, host => 'admin');
my $api = HTTP::Tiny->new(timeout => 10);
my $made = 0;   # registrations that reached the limiter

sub enc {
	my %f = @_;
	return join '&', map {
		my $v = $f{$_};
		utf8::encode($v) if utf8::is_utf8($v);
		$v =~ s/([^A-Za-z0-9\-._~])/sprintf('%%%02X', ord $1)/ge;
		"$_=$v";
	} sort keys %f;
}
sub form {
	my ($method, $path, %o) = @_;
	my $host = delete $o{_host} // 'site';
	return $s->request($method, $path, host => $host, ($host eq 'admin' ? (session => $staff) : ()),
		headers => { 'Content-Type' => 'application/x-www-form-urlencoded',
			     ($host eq 'admin' ? () : (Origin => $s->site_url)) }, body => enc(%o));
}
sub day { strftime('%Y-%m-%d', localtime(time + 86400 * $_[0])) }
sub html { my $c = $_[0]{content}; utf8::decode($c); $c }

# ---- the staff create events ----------------------------------------------------
my %base = (category => 'Atelier', description => "Un **bel** atelier.\n\n- café\n- croissants\n",
	    shortDescription => 'Un atelier pour tester.', startTime => '18:30', endTime => '20:00',
	    location => 'Salle Verrière', published => '1');
sub create {
	my (%f) = @_;
	my $r = form('POST', '/events', _host => 'admin', %base, %f);
	is $r->{status}, 303, "admin: $f{title} created" or diag html($r);
	my ($id) = ($r->{headers}{location} // '') =~ m{^/events/([0-9a-f]{24})\?done=created$};
	ok $id, '… back to its page';
	return $id;
}
my $free = create(title => 'Soirée <test> & co', slug => 'soiree-test', date => day(5), maxParticipants => 3, price => '');
my $paid = create(title => 'Atelier payant', slug => 'atelier-paye', date => day(6), maxParticipants => 2,
		  price => '15,50', category => 'Formation');
my $past = create(title => 'Passé', slug => 'evenement-passe', date => day(-2), maxParticipants => 5);
my $gone = create(title => 'Annulé', slug => 'evenement-annule', date => day(8), maxParticipants => 5);
my $draft = create(title => 'Brouillon', slug => 'evenement-brouillon', date => day(9), maxParticipants => 5, published => '0');
my $r = form('POST', '/events', _host => 'admin', %base, title => 'X', date => 'demain', maxParticipants => 3);
is $r->{status}, 422, 'admin: a bad date is 422';
like html($r), qr{aria-invalid="true" aria-describedby="ev-date-err"}, '… the error next to the date';
like html($r), qr{value="X"}, '… the title kept';
$r = form('POST', "/events/$gone/cancel", _host => 'admin');
is $r->{status}, 303, 'admin: an event cancelled';

# ---- the list ------------------------------------------------------------------
$r = $s->get('/events');
is $r->{status}, 200, '/events: 200';
my $list = html($r);
like $list, qr{Soirée &lt;test&gt; &amp; co}, 'the free event, escaped';
like $list, qr{Atelier payant}, 'the paid event';
like $list, qr{15,50\x{a0}€}, '… its price';
unlike $list, qr{Passé|Annulé|Brouillon}, 'no past, cancelled or draft event';
like $list, qr{href="/events\?category=Formation"}, 'a category filter';
$r = $s->get('/events?category=Formation');
like html($r), qr{Atelier payant}, 'by category: the paid event';
unlike html($r), qr{Soirée}, '… only it';
is $s->get('/events?category=Inconnue')->{status}, 404, 'an unknown category: 404';
is $s->get('/events?page=2')->{status}, 404, 'a page past the last: 404';
is $s->get('/events?page=x')->{status}, 404, 'a page that is no number: 404';
for my $slug (qw(evenement-passe evenement-annule evenement-brouillon nulle-part)) {
	is $s->get("/events/$slug")->{status}, 404, "/events/$slug: 404";
}

# ---- the home page's next three ------------------------------------------------------
# the seed's café-découverte (in 3 days), then ours (5), then the seed's
# writing workshop (6, 10:00) before our paid one (6, 18:30)
$r = $s->get('/');
my $home = html($r);
my ($block) = $home =~ m{(<section class="home-events".*?</section>)}s;
ok $block, 'home: a "Prochains événements" block';
like $block // '', qr{<h2 id="home-events-title">Prochains événements</h2>}, '… with its heading';
my @slugs = ($block // '') =~ m{<h3><a href="/events/([a-z0-9-]+)">}g;
is "@slugs", 'cafe-decouverte-coworking soiree-test atelier-ecriture-samedi', '… the next three published events, soonest first';
like $block // '', qr{<h3><a href="/events/soiree-test">Soirée &lt;test&gt; &amp; co</a></h3>}, '… titles escaped, linked';
like $block // '', qr{<time datetime="[^"]+">[a-z]+ \d{1,2} [a-zéû]+ \d{4}</time> · 18:30 – 20:00}, '… the date in French words';
like $block // '', qr{3 places restantes}, '… the seats left';
like $block // '', qr{<a href="/events">Tous les événements</a>}, '… and a link to all of them';

# ---- one event -----------------------------------------------------------------
$r = $s->get('/events/soiree-test');
is $r->{status}, 200, '/events/soiree-test: 200';
my $page = html($r);
like $page, qr{<h1>Soirée &lt;test&gt; &amp; co</h1>}, 'one h1, escaped';
like $page, qr{<strong>bel</strong>}, 'the description rendered from Markdown';
like $page, qr{3 places restantes sur 3}, 'seats left';
like $page, qr{18:30 – 20:00}, 'the local time';
like $page, qr{<link rel="canonical" href="[^"]+/events/soiree-test">}, 'canonical';
like $page, qr{<meta property="og:title" content="Soirée}, 'Open Graph';
my ($ld) = $page =~ m{<script type="application/ld\+json">(.*?)</script>}s;
my $ldj = eval { JSON::PP->new->utf8(0)->decode($ld) } // {};
is $ldj->{'@type'}, 'Event', 'Event JSON-LD';
like $ldj->{startDate} // '', qr/^\d{4}-\d\d-\d\dT\d\d:30:00/, '… its start';
is $ldj->{offers}{availability}, 'https://schema.org/InStock', '… in stock';
like $page, qr{<form class="card contact-form event-form" method="post" action="/events/soiree-test"}, 'a plain form';
like $page, qr{name="website"}, 'the honeypot';

my %who = (firstName => 'Zoé <b>', lastName => 'Martin', email => 'Zoe.Martin@Example.org', phone => '06 12 34 56 78',
	   message => 'Avec plaisir');
for my $case ([firstName => ''], [lastName => ''], [email => 'pas-une-adresse'], [phone => 'appelez'], [message => 'x' x 501]) {
	my ($field, $value) = @$case;
	$r = form('POST', '/events/soiree-test', %who, $field => $value);
	is $r->{status}, 422, "$field bad: 422";
	like html($r), qr{aria-invalid="true" aria-describedby="e-$field-err"}, "$field: marked";
	like html($r), qr{<span class="field-error" id="e-$field-err">[^<]+</span>}, "$field: its error next to it";
	like html($r), qr{value="Martin"}, "$field: what was typed kept" unless $field eq 'lastName';
}
$r = form('POST', '/events/soiree-test', %who, website => 'http://spam.example');
is $r->{status}, 303, 'honeypot: looks like a success';
is scalar(grep { $_->{email} =~ /zoe/ } CWC::Stripe::collection($s, 'eventregistrations')), 0, 'honeypot: nothing kept';

# ---- a free registration ------------------------------------------------------------
$r = form('POST', '/events/soiree-test', %who);
$made++;
is $r->{status}, 303, 'a free registration: 303';
is $r->{headers}{location}, '/events/soiree-test/merci', '… to the thank-you page';
like html($s->get('/events/soiree-test/merci')), qr{<h1>Merci, vous êtes inscrit}, 'thank-you page';
my $mail = $s->wait_mail('zoe.martin@example.org', qr/Inscription confirm/);
like $mail, qr/Bonjour Zo. &lt;b&gt;/, 'the mail escapes what was typed';
like $mail, qr/text\/calendar.*method=REQUEST/s, 'an invitation .ics joined';
like $mail, qr/evenement\.ics/, '… named';
my ($cancel) = $mail =~ m{(/events/soiree-test/annulation\?r=[0-9a-f]{24}&token=[0-9a-f]{64})};
ok $cancel, 'a cancellation link';
like html($s->get('/events/soiree-test')), qr{2 places restantes sur 3}, 'one seat fewer';
my @regs = grep { $_->{email} =~ /zoe/ } CWC::Stripe::collection($s, 'eventregistrations');
is $regs[0]{status}, 'confirmed', 'stored confirmed';
ok $regs[0]{cancelTokenHash} && $cancel !~ /\Q$regs[0]{cancelTokenHash}\E/, 'the token stored hashed';

$r = form('POST', '/events/soiree-test', %who, email => 'zoe.martin@EXAMPLE.org');
$made++;
is $r->{status}, 409, 'the same address again: 409';
like html($r), qr{aria-invalid="true" aria-describedby="e-email-err"}, '… said next to the e-mail';
like html($r), qr{déjà inscrite}, '… clearly';
$r = $s->call('POST', '/api/events/soiree-test/register', json => { %who });
$made++;
is $r->{status}, 409, 'API: 409';
is $r->{json}{error}{code}, 'already_registered', '… already_registered';
is $r->{json}{error}{field}, 'email', '… naming email';

# ---- the cancellation link ------------------------------------------------------------
(my $bad = $cancel) =~ s/token=(.)/'token=' . ($1 eq '0' ? '1' : '0')/e;
is $s->get($bad)->{status}, 404, 'a wrong token: 404';
$r = $s->get($cancel);
is $r->{status}, 200, 'the cancellation page';
my ($rid, $tok) = $cancel =~ /r=(\w+)&token=(\w+)/;
$r = form('POST', '/events/soiree-test/annulation', r => $rid, token => $tok);
is $r->{status}, 200, 'cancelled';
like html($r), qr{<h1>Inscription annulée}, '… it says so';
$s->wait_mail('zoe.martin@example.org', qr/Inscription annul/);
like html($s->get('/events/soiree-test')), qr{3 places restantes sur 3}, 'the seat is free again';
$r = form('POST', '/events/soiree-test', %who);
$made++;
is $r->{status}, 303, 'the same address may register again after cancelling';

# ---- full ----------------------------------------------------------------------------
for my $n (1, 2) {
	$r = form('POST', '/events/soiree-test', %who, email => "ami$n\@example.org", ($n == 2 ? (firstName => '=1+2') : ()));
	$made++;
	is $r->{status}, 303, "seat $n taken";
}
$r = form('POST', '/events/soiree-test', %who, email => 'tard@example.org');
$made++;
is $r->{status}, 409, 'full: 409';
like html($r), qr{complet}i, '… it says full';
like html($s->get('/events/soiree-test')), qr{<h2>Complet</h2>}, 'the page shows it full, no form';
like html($s->get('/')), qr{<h3><a href="/events/soiree-test">[^<]*</a></h3>\s*<p class="event-facts"><span class="badge badge-neutral">Complet</span>}, 'home: "Complet" on the full event';

# ---- paid: Stripe Checkout ---------------------------------------------------------------
my $t0 = time;
$r = form('POST', '/events/atelier-paye', %who, email => 'paie@example.org');
$made++;
is $r->{status}, 303, 'a paid registration: 303';
my ($cs) = ($r->{headers}{location} // '') =~ m{/_fake/pay/(cs_test_\w+)$};
ok $cs, '… to the Stripe Checkout page';
my $session = decode_json($api->get($stripe->url . "/_fake/objects/$cs")->{content});
is $session->{amount_total}, 1550, 'the session: 15,50 € in cents';
ok $session->{expires_at} >= $t0 + 1800 && $session->{expires_at} <= time + 1800 + 60,
	'the session expires after 30 minutes (and Stripe\'s margin)';
like html($s->get('/events/atelier-paye')), qr{1 place restante sur 2}, 'the seat is held meanwhile';
my ($held) = grep { $_->{email} eq 'paie@example.org' } CWC::Stripe::collection($s, 'eventregistrations');
is $held->{status}, 'awaiting_payment', 'awaiting payment';

my $deadline = time + 20;
$api->post($stripe->url . '/_fake/checkout', { headers => { 'Content-Type' => 'application/json' },
	content => encode_json({ id => $cs, outcome => 'paid' }) });
$mail = $s->wait_mail('paie@example.org', qr/Inscription confirm/, 20);
like $mail, qr/15,50/, 'confirmed by checkout.session.completed: mailed with the amount';
($held) = grep { $_->{email} eq 'paie@example.org' } CWC::Stripe::collection($s, 'eventregistrations');
is $held->{status}, 'confirmed', 'confirmed';
like $held->{paymentIntentId} // '', qr/^pi_/, '… its PaymentIntent kept';
my ($completed) = grep { $_->{type} eq 'checkout.session.completed' } @{ decode_json($api->get($stripe->url . '/_fake/events')->{content}) };
my $body = encode_json($completed);
$r = $s->request('POST', '/api/webhooks/stripe', body => $body, headers => {
	'Content-Type' => 'application/json', 'Stripe-Signature' => CWC::Stripe::signature($body, int(time), $SECRET) });
is $r->{status}, 200, 'the same event delivered again: 200';
ok $r->{json}{duplicate}, '… recognised as a duplicate';
sleep 0.5;
is scalar(grep { /^To: paie\@example\.org/mi } map { local $/; open my $f, '<', $_; scalar <$f> } $s->mails), 1,
	'… one confirmation mail only';
like html($s->get('/events/atelier-paye')), qr{1 place restante sur 2}, 'the paid seat is taken for good';

# a second checkout, left to expire
$r = form('POST', '/events/atelier-paye', %who, email => 'hesite@example.org');
$made++;
($cs) = ($r->{headers}{location} // '') =~ m{/_fake/pay/(cs_test_\w+)$};
like html($s->get('/events/atelier-paye')), qr{<h2>Complet</h2>}, 'both seats taken (one held)';
$r = $api->request('POST', $stripe->url . "/v1/checkout/sessions/$cs/expire", {
	headers => { Authorization => "Bearer $KEY", 'Content-Type' => 'application/x-www-form-urlencoded', 'Idempotency-Key' => "t-$cs" } });
is $r->{status}, 200, 'the session expires at Stripe';
$deadline = time + 20;
my $freed;
while (time < $deadline) {
	last if ($freed = html($s->get('/events/atelier-paye')) =~ /1 place restante sur 2/);
	sleep 0.2;
}
ok $freed, 'checkout.session.expired frees the seat';
my ($lapsed) = grep { $_->{email} eq 'hesite@example.org' } CWC::Stripe::collection($s, 'eventregistrations');
is $lapsed->{status}, 'cancelled', '… the registration cancelled';
is $lapsed->{cancelReason}, 'payment_expired', '… payment_expired';

# ---- the back office: registrations, cancel one, cancel the event ------------------------
$r = $s->get("/events/$free", session => $staff);
is $r->{status}, 200, 'admin: the event page';
like html($r), qr{ami1\@example\.org}, '… its registrations';
$r = $s->get('/api/events', session => $staff);
is $r->{status}, 200, 'admin API: the events';
ok scalar(grep { $_->{slug} eq 'soiree-test' && $_->{taken} == 3 } @{ $r->{json}{events} // [] }), '… with the seats taken';
$r = $s->get("/api/events/$free/registrations?status=confirmed", session => $staff);
is scalar(@{ $r->{json}{registrations} // [] }), 3, 'admin API: the confirmed registrations';
ok !grep({ exists $_->{cancelTokenHash} } @{ $r->{json}{registrations} // [] }), '… without the token hashes';
is $s->request('GET', '/api/events', host => 'admin')->{status}, 401, 'admin API: signed out, 401';
$r = $s->get("/events/$free/registrations?format=csv", session => $staff);
is $r->{status}, 200, 'admin: the registrations as CSV';
like $r->{headers}{'content-type'}, qr{^text/csv}, '… text/csv';
my $csv = $r->{content};
like $csv, qr/^\x{EF}\x{BB}\x{BF}Pr/, '… with a BOM';
like $csv, qr/\r\n'=1\+2;Martin;ami2\@example\.org;/, '… ";" separated, the formula neutralised';
ok scalar(grep { ($_->{action} // '') eq 'events.registrations.export' } CWC::Stripe::collection($s, 'auditlog')),
	'… the export audited';
my ($one) = grep { $_->{email} eq 'ami1@example.org' } CWC::Stripe::collection($s, 'eventregistrations');
$r = form('POST', "/events/$free/registrations/$one->{_id}/cancel", _host => 'admin');
is $r->{status}, 303, 'admin: one registration cancelled';
$s->wait_mail('ami1@example.org', qr/Inscription annul/);
like html($s->get('/events/soiree-test')), qr{1 place restante sur 3}, '… its seat freed';
$r = form('POST', "/events/$paid/cancel", _host => 'admin');
is $r->{status}, 303, 'admin: the paid event cancelled';
$s->wait_mail('paie@example.org', qr/nement annul/);
my ($refund) = grep { ($_->{path} // '') eq '/v1/refunds' } $stripe->records;
ok $refund, '… the paid ticket refunded';
is $refund->{params}{payment_intent}, $held->{paymentIntentId}, '… its PaymentIntent';
$r = form('POST', "/events/$paid/cancel", _host => 'admin');
is $r->{status}, 303, 'cancelling again: 303';
is scalar(grep { ($_->{path} // '') eq '/v1/refunds' } $stripe->records), 1, '… no second refund';
is $s->get('/events/atelier-paye')->{status}, 404, 'a cancelled event is gone from the site';
my @audit = grep { ($_->{action} // '') =~ /^events\./ } CWC::Stripe::collection($s, 'auditlog');
ok scalar(grep { $_->{action} eq 'events.create' } @audit) >= 5, 'admin writes audited (events.create)';
ok scalar(grep { $_->{action} eq 'events.cancel' } @audit), '… events.cancel';
ok scalar(grep { $_->{action} eq 'events.registrations.cancel' } @audit), '… events.registrations.cancel';

# ---- an image, uploaded through the back office -----------------------------------------
my $jpeg = `$FindBin::Bin/../build/asan/t/tools/image-make jpeg 1200 800`;
die 'image-make' if $?;
$r = $s->request(POST => '/api/uploads', session => $staff, host => 'admin', body => $jpeg,
		 headers => { 'Content-Type' => 'image/jpeg' });
is $r->{status}, 201, 'admin: an image uploaded' or diag $r->{content};
my $img = $r->{json}{upload}{url} // '';
like $img, qr{^/uploads/images/1200x800\.[0-9a-f]{16}\.webp$}, '… its WebP address';
like html($s->get('/events/new', host => 'admin', session => $staff)),
	qr{<input id="ev-file" type="file"[^>]*data-endpoint="/api/uploads" data-target="ev-image"}, 'the event form has the upload field';
$r = form('POST', '/events', _host => 'admin', %base, title => 'Atelier illustré', slug => 'atelier-illustre',
	  date => day(11), maxParticipants => 8, imgSrc => 'javascript:alert(1)', imgAlt => 'x');
is $r->{status}, 422, 'admin: a javascript: image is refused';
like html($r), qr{id="ev-image"[^>]*aria-invalid="true"}, '… next to the image field';
my $illu = create(title => 'Atelier illustré', slug => 'atelier-illustre', date => day(11), maxParticipants => 8,
		  imgSrc => $img, imgAlt => 'Des carnets et des crayons sur une table du café');
like html($s->get("/events/$illu", host => 'admin', session => $staff)),
	qr{<input id="ev-image" name="imgSrc"[^>]*value="\Q$img\E".*<img class="upload-thumb" src="\Q$img\E"}s, '… stored on the event, shown in its form';
my ($card) = html($s->get('/events')) =~ m{(<li class="card event-card">\s*<img[^>]*>\s*<p class="meta">[^\n]*\n<h2><a href="/events/atelier-illustre">)};
ok $card, '/events: the card shows the image';
like $card // '', qr{<img class="card-image" src="\Q$img\E" srcset="/uploads/images/480x320\.[0-9a-f]{16}\.webp 480w, \S+ 960w, \S+ 1200w" sizes="[^"]+" width="1200" height="800" alt="" loading="lazy">},
	'… with its srcset, sizes and dimensions';
$page = html($s->get('/events/atelier-illustre'));
like $page, qr{<img class="event-hero" src="\Q$img\E" srcset="\S+ 480w, \S+ 960w, \S+ 1200w" sizes="[^"]+" width="1200" height="800" alt="Des carnets et des crayons sur une table du café"},
	'the event page shows it, with its alt';
my $abs = $s->site_url . $img;
like $page, qr{<meta property="og:image" content="\Q$abs\E">}, '… as og:image (absolute)';
($ld) = $page =~ m{<script type="application/ld\+json">(.*?)</script>}s;
$ldj = eval { JSON::PP->new->utf8(0)->decode($ld) } // {};
is $ldj->{image}, $abs, '… and the Event JSON-LD image';
is $s->get($img)->{status}, 200, '… served by Caddy';

# ---- the sitemap -----------------------------------------------------------------------
my $map = $s->get('/sitemap.xml')->{content};
like $map, qr{/events/soiree-test</loc>}, 'the sitemap lists the event';
unlike $map, qr{/events/(evenement-|atelier-paye)}, '… not the others';

# ---- the rate limit -----------------------------------------------------------------------
my @st;
while ($made < $LIMIT + 2) {
	push @st, form('POST', '/events/soiree-test', %who, email => "r$made\@example.org")->{status};
	$made++;
}
is $st[-1], 429, "past $LIMIT registrations from one address: 429";
is scalar(grep { $_ == 429 } @st), 2, '… only past the limit';
my $last = form('POST', '/events/soiree-test', %who, email => 'encore@example.org');
like $last->{headers}{'retry-after'} // '', qr/^\d+$/, 'Retry-After';

done_testing;
