#!/usr/bin/perl
# Every page that exists, as a person sees it in Chromium on a phone
# (390×844) and a laptop (1280×800): styled by the design system, one <h1>,
# nothing wider than the window, no console error, no failed load. With
# CWC_SCREENSHOTS=DIR the screenshots are kept there to be looked at;
# CWC_SCREENS=REGEX visits only the pages whose name matches (the data is
# made all the same).
use strict;
use warnings;
use utf8;
use FindBin;
use lib "$FindBin::Bin/lib", "$FindBin::Bin/fake";
use CWC::Browser;
use CWC::Stack;
use CWC::Bookings qw(add_days);
use CWC::Seed qw(date oid);
use FakeService;
use File::Temp qw(tempdir);
use HTTP::Tiny;
use JSON::PP;
use POSIX ();
use Test::More;
binmode $_, ':encoding(UTF-8)' for map { Test::More->builder->$_ } qw(output failure_output todo_output);

plan skip_all => 'chromium is not installed' unless CWC::Browser::binary();
# payments configured, against the fake of Stripe and its Stripe.js (the
# booking funnel's card step)
my $stripe_key = 'sk_test_cwc_design_screens_0123456789';
my $stripe = FakeService->start('stripe', '--key', $stripe_key);
my $s = CWC::Stack->start(env => {
	STRIPE_SECRET_KEY => $stripe_key, STRIPE_PUBLIC_KEY => 'pk_test_cwc', STRIPE_WEBHOOK_SECRET => 'whsec_unused',
	STRIPE_API_BASE => $stripe->url, STRIPE_JS_URL => $stripe->url . '/v3/',
	CWC_CSP_STRIPE_SCRIPT => $stripe->url, CWC_CSP_STRIPE_CONNECT => $stripe->url,
	CWC_THROTTLE_EVENT => '1000/3600',
	# the public forms' per-address limits let this test fill the lists
	CWC_THROTTLE_NEWSLETTER => '500/3600', CWC_THROTTLE_QUOTE => '500/3600', CWC_THROTTLE_CONTACT => '500/3600',
	# one staff account opens a socket on every page, faster than the
	# relay sees the last ones close on a loaded machine (a 429 in the
	# console once in 1500 pages): the cap has its own test, relay-limits.t
	CWC_RELAY_MAX_USER_SOCKETS => '200',
});
$s->seed;
my $b = CWC::Browser->start or BAIL_OUT('chromium did not start');
my $shots = $ENV{CWC_SCREENSHOTS} || tempdir('cwc-shots-XXXXXX', TMPDIR => 1, CLEANUP => 1);
mkdir $shots;

# the booking funnel's steps (state in the query), a guest's booking
my $bk = CWC::Bookings->new($s);
my $day = $bk->open_weekday(3, 30);
my $funnel = "/booking?spaceType=salle-verriere&reservationType=hourly&date=$day";
my $guest = $bk->book(spaceType => 'salle-verriere', date => $day, startTime => '15:00', endTime => '17:00',
		      numberOfPeople => 4, specialRequests => 'Un paperboard et beaucoup de café, merci !');
die "guest booking: $guest->{content}" unless $guest->{status} == 201;
# the card step of a booking within holdLeadDays, and one whose card went
# through (confirmed at the fake as Stripe.js does)
my ($card, $paid) = map {
	my $r = $bk->book(spaceType => 'salle-verriere', date => add_days($bk->today_paris, 1), startTime => "1$_:00",
			  endTime => "1" . ($_ + 1) . ":30", numberOfPeople => 4,
			  contactName => 'Marie-Charlotte de La Tour d\'Auvergne-Lauraguais',
			  companyName => 'Société Coopérative des Artisans Boulangers et Pâtissiers du Bas-Rhin');
	die "card booking: $r->{content}" unless $r->{status} == 201;
	$r->{json};
} (4, 6);
{
	my ($pi) = ($paid->{clientSecret} // '') =~ /^(pi_\w+?)_secret_/ or die 'no intent';
	my $r = HTTP::Tiny->new->post($stripe->url . '/_fake/confirm', { content => encode_json({ id => $pi, paymentMethod => 'pm_card_visa' }) });
	die "confirm: $r->{content}" unless $r->{success};
}
my $client = $s->login('client');
$bk->book(session => $client, spaceType => 'open-space', date => $day, contactName => undef,
	  contactEmail => undef, contactPhone => undef);

# a dozen articles for the blog's pages (t/tools/content-put)
$s->content_put(JSON::PP->new->utf8->encode({
		categories => [ { name => 'Bien travailler', slug => 'travailler', order => 1 },
				{ name => 'Vie du quartier et rencontres du jeudi soir', slug => 'quartier', order => 2 } ],
		articles => [ map { {
			title => "Article de démonstration numéro $_ : travailler au calme avec un titre plutôt long",
			slug => sprintf('demo-%02d', $_), status => 'published',
			category => $_ % 2 ? 'travailler' : 'quartier',
			excerpt => 'Un résumé de deux lignes pour donner envie de lire la suite de cet article.',
			publishedAt => (time - $_ * 86400) * 1000,
			content => "## Pourquoi\n\nUn paragraphe avec un [lien](https://example.org/) et du **gras**.\n\n"
				. "- un point\n- un autre point\n\n> Une citation.\n\n" . ('Du texte. ' x 80),
		} } 1 .. 12 ],
	})) == 0 or die "content-put failed";

my @widths = ([390, 844, 'phone'], [1280, 800, 'laptop']);
# the back office is also opened on a tablet (issue: staff at the desk)
my @admin_widths = (@widths, [768, 1024, 'tablet']);

# The bookings screens with a realistic week: dozens of bookings, long
# names, every status, made through the staff's API.
my $staff = $s->login('staff', undef, host => 'admin');
my $week = $bk->open_weekday(1, 10);
my (@ids, $confirmed);
for my $i (0 .. 35) {
	my $day = add_days($week, $i % 6);
	next if $bk->holiday_name($day);
	my $start = 10 + int($i / 6) * 1.5;
	my $r = $s->post('/api/booking/reservations', session => $staff, json => {
		spaceType => $i % 4 ? 'open-space' : 'salle-verriere', reservationType => 'hourly', date => $day,
		startTime => sprintf('%02d:%02d', int($start), ($start - int $start) * 60),
		endTime => sprintf('%02d:%02d', int($start) + 1, ($start - int $start) * 60),
		numberOfPeople => 1 + $i % 3,
		contactName => "Marie-Charlotte de La Tour d'Auvergne-Lauraguais n°$i",
		contactEmail => "marie-charlotte.de-la-tour-$i\@entreprise-au-nom-tres-long.example.com",
		companyName => 'Société Coopérative des Artisans Boulangers et Pâtissiers du Bas-Rhin',
		notes => 'Souhaite une place près de la fenêtre, avec une prise, et un café à l\'arrivée.',
	});
	die "staff booking $i: $r->{status} $r->{content}" unless $r->{status} == 201;
	push @ids, $r->{json}{booking}{_id};
}
for my $i (1 .. 8) {
	my $what = (qw(validate validate reject validate validate cancel validate validate))[$i - 1];
	$s->post("/api/booking/reservations/$ids[$i]/$what", session => $staff, json => {});
}
$s->post("/api/booking/reservations/$ids[3]/mark-present", session => $staff, json => {});
$confirmed = $ids[7];

# The dashboard's day and month: 5–8 arrivals today with long names (a
# day booking among them; two already marked present or absent, no longer
# in the list), and bookings over the 30 days before with varying counts
# (the bar chart), straight into the store as t/admin-dashboard.t does.
{
	my $today = $bk->today_paris;
	my $midnight = sub { CWC::Bookings::days_of($_[0]) * 86400 * 1000 };
	my $n = 0;
	my @docs;
	my $bkd = sub {
		my (%o) = @_;
		$n++;
		push @docs, { _id => oid(sprintf '%024x', 0xd5a000 + $n), spaceType => 'open-space', reservationType => 'hourly',
			      numberOfPeople => 1, status => 'confirmed', paymentStatus => 'unpaid', totalPrice => 24, depositAmount => 0,
			      contactName => "Client de passage n°$n", contactEmail => "client.$n\@example.com",
			      confirmationNumber => sprintf('CWC-D%05d', $n), createdAt => date(time * 1000), %o,
			      date => date($midnight->($o{date})) };
	};
	my @arrivals = (
		['09:00', '12:30', 'open-space', 1, 'Jean-Baptiste Poquelin-Delacroix de Saint-Exupéry', 'Atelier de Design Graphique et d\'Architecture Intérieure du Marais'],
		['09:30', '11:00', 'salle-verriere', 6, 'Anne-Sophie Lefebvre-Mégret', 'Association des Parents d\'Élèves de l\'École Élémentaire Jules Ferry'],
		[undef, undef, 'open-space', 2, 'Maximilien Robespierre-Vandenberghe', undef],
		['10:00', '18:00', 'salle-etage', 12, 'Éléonore de Montmorency-Laval', 'Fédération Régionale des Coopératives Agricoles et Viticoles d\'Alsace'],
		['13:00', '15:00', 'open-space', 3, 'Kévin Nguyễn Thị Phương-Dupont', 'Start-up Numérique Responsable'],
		['14:00', '16:30', 'salle-verriere', 4, 'Marie-Charlotte de La Tour d\'Auvergne-Lauraguais', 'Société Coopérative des Artisans Boulangers et Pâtissiers du Bas-Rhin'],
		['16:00', '19:00', 'open-space', 1, 'Bartholomew Featherstonehaugh-Cholmondeley', 'International Consulting Partners Europe'],
	);
	for my $a (@arrivals) {
		my ($from, $to, $space, $people, $name, $company) = @$a;
		$bkd->(date => $today, spaceType => $space, numberOfPeople => $people, contactName => $name,
		       ($company ? (companyName => $company) : ()),
		       ($from ? (startTime => $from, endTime => $to) : (reservationType => 'daily')));
	}
	$bkd->(date => $today, startTime => '08:30', endTime => '10:00', status => 'completed', contactName => 'Déjà arrivée ce matin');
	$bkd->(date => $today, startTime => '08:30', endTime => '09:30', status => 'no-show', contactName => 'Jamais venu ce matin');
	for my $k (1 .. 29) {
		my $d = add_days($today, -$k);
		my $count = (CWC::Bookings::days_of($d) + 3) % 7 == 6 ? 1 : 2 + ($k * 7) % 11;   # quieter on Sundays
		$bkd->(date => $d, startTime => sprintf('%02d:00', 9 + $_ % 9), endTime => sprintf('%02d:00', 10 + $_ % 9),
		       status => $_ % 5 ? 'completed' : 'no-show', numberOfPeople => 1 + $_ % 4) for 1 .. $count;
		$bkd->(date => $d, startTime => '18:00', endTime => '19:00', status => 'cancelled');
	}
	CWC::Seed::insert($s, 'bookings', @docs);
}
my $audit_entry = $s->get('/api/audit?action=booking.reservations.create&limit=1', host => 'admin',
			  session => $s->login('admin', undef, host => 'admin'))->{json}{entries}[0]{_id}
	// die 'no audit entry';

# The bookings' money: dozens of `payments` (no Stripe here: written to
# the store as money.c writes them), a hold about to lapse on $confirmed.
{
	my %env = $s->app_env;
	local @ENV{ keys %env } = values %env;
	my $admin_id = $s->get('/api/auth/session', session => $s->login('admin', undef, host => 'admin'))->{json}{user}{id};
	my $now = int(time * 1000);
	my @kinds = (['hold', 'authorized'], ['capture', 'succeeded'], ['release', 'succeeded'],
		     ['refund', 'succeeded'], ['hold', 'failed'], ['hold', 'captured']);
	my $update = sub {   # t/tools/store-update, its "matched N" line kept out of the TAP
		my $pid = fork // die "fork: $!";
		if (!$pid) {
			open STDOUT, '>', '/dev/null';
			exec("$FindBin::Bin/../build/asan/t/tools/store-update", @_) or POSIX::_exit(127);
		}
		waitpid $pid, 0;
		die "store-update @_: $?" if $?;
	};
	my $put = sub {
		my ($id, $set) = @_;
		$update->('--upsert', 'payments', encode_json({ _id => $id }), encode_json({ '$set' => $set }));
	};
	for my $i (0 .. 39) {
		my ($kind, $status) = @{ $kinds[$i % @kinds] };
		my $booking = $i < 10 ? $confirmed : $ids[$i % @ids];
		my $at = $now - ($i * 3 + ($i < 10 ? 1 : 0)) * 3600 * 1000;
		$put->("booking/$booking/$kind/design-$i", {
			kind => $kind, status => $status, booking => { '$oid' => $booking },
			amount => 1250 + $i * 731, currency => 'eur', paymentMethod => 'card',
			stripePaymentIntentId => sprintf('pi_3QdesignIntent%020d', $i),
			($status eq 'succeeded' || $status eq 'captured' ? (stripeChargeId => sprintf('ch_3QdesignCharge%020d', $i)) : ()),
			($kind eq 'refund' ? (stripeRefundId => sprintf('re_3QdesignRefund%020d', $i)) : ()),
			($status eq 'failed' ? (failureReason => 'Votre carte a été refusée : fonds insuffisants pour une empreinte de cette taille.') : ()),
			($kind eq 'hold' ? () : (by => $i % 2 ? { '$oid' => $admin_id } : 'system')),
			createdAt => { '$date' => { '$numberLong' => "$at" } }, updatedAt => { '$date' => { '$numberLong' => "$at" } },
		});
	}
	my $old = $now - int(6.5 * 86400 * 1000);
	$put->("booking/$confirmed/hold", { kind => 'hold', status => 'authorized', booking => { '$oid' => $confirmed },
		amount => 2400, currency => 'eur', stripePaymentIntentId => 'pi_3QdesignHoldIntent0000000001',
		createdAt => { '$date' => { '$numberLong' => "$old" } }, updatedAt => { '$date' => { '$numberLong' => "$old" } } });
	$update->('bookings', encode_json({ _id => { '$oid' => $confirmed } }),
		  encode_json({ '$set' => { paymentStatus => 'authorized', stripePaymentIntentId => 'pi_3QdesignHoldIntent0000000001',
					    stripeCustomerId => 'cus_QdesignCustomer00001' } }));
}

# The content screens with dozens of items and long names: newsletter
# subscribers, quote requests, contact mails, a long menu category.
for my $i (1 .. 40) {
	$s->post('/api/newsletter/subscribe', json => {
		email => "abonne.numero.$i.avec.une.adresse.tres.longue\@entreprise-au-nom-tres-long.example.com" });
}
for my $i (1 .. 36) {
	my $r = $s->post('/api/privatization/devis', headers => { Origin => $s->site_url }, json => {
		eventType => (qw(atelier team-building conference reunion autre))[$i % 5],
		date => add_days($week, 20 + $i), startTime => '09:00', endTime => '18:30', attendees => '31-40',
		company => 'Société Coopérative des Artisans Boulangers et Pâtissiers du Bas-Rhin',
		contactName => "Marie-Charlotte de La Tour d'Auvergne-Lauraguais n°$i",
		email => "marie-charlotte.de-la-tour-$i\@entreprise-au-nom-tres-long.example.com",
		phone => '+33 6 12 34 56 78',
		message => "Bonjour,\nnous préparons un séminaire de deux jours pour toute l'équipe. " x 4 });
	die "quote $i: $r->{status} $r->{content}" unless $r->{status} == 201;
	my $c = $s->post('/api/contact-mails', headers => { Origin => $s->site_url }, json => {
		name => "Marie-Charlotte de La Tour d'Auvergne-Lauraguais n°$i",
		email => "marie-charlotte.de-la-tour-$i\@entreprise-au-nom-tres-long.example.com",
		subject => 'Tarifs et abonnements',
		message => "Bonjour,\nauriez-vous une formule pour une équipe de huit personnes, trois jours par semaine ? " x 3 });
	die "contact $i: $c->{status} $c->{content}" unless $c->{status} == 201;
}
my ($quote) = $s->get('/quotes', session => $staff)->{content} =~ m{<a href="(/quotes/[0-9a-f]{24})">};
my @mails = $s->get('/contact-mails', session => $staff)->{content} =~ m{<a href="(/contact-mails/[0-9a-f]{24})">}g;
for my $m (@mails[0 .. 9]) {
	$s->request('POST', "$m/read", session => $staff, headers => { 'Content-Type' => 'application/x-www-form-urlencoded' });
}
$s->request('POST', "$mails[1]/reply", session => $staff, headers => { 'Content-Type' => 'application/x-www-form-urlencoded' },
	    body => 'reply=Bonjour%2C%0Aoui%2C+le+Pass+Entreprise+est+fait+pour+vous.+Nous+vous+appelons+demain.');
my $menu_cat = $s->request('POST', '/menu/categories', session => $staff,
	headers => { 'Content-Type' => 'application/x-www-form-urlencoded' },
	body => 'name=Boissons+de+saison+et+cr%C3%A9ations+du+barista+pour+les+longues+apr%C3%A8s-midi&type=drink&order=1&isActive=1&showOnSite=1'
)->{headers}{location} =~ s/\?.*//r;
for my $i (1 .. 14) {
	$s->request('POST', "$menu_cat/items", session => $staff, headers => { 'Content-Type' => 'application/x-www-form-urlencoded' },
		    body => "name=Infusion+glac%C3%A9e+hibiscus-gingembre-citron-vert+n%C2%B0$i&price=4,50&order=$i&isActive=1"
			  . '&description=Hibiscus+infus%C3%A9+%C3%A0+froid%2C+gingembre+frais+et+citron+vert+press%C3%A9+minute.&recipe=interne');
}

# The catalogue's screens: a dozen services and long names, closures to come.
my $admin = $s->login('admin', undef, host => 'admin');
my $svc;
for my $i (1 .. 12) {
	my $r = $s->post('/api/booking/services', session => $admin, json => {
		name => "Plateau petit-déjeuner complet avec viennoiseries bio et jus pressé n°$i",
		description => 'Servi à l\'arrivée, pour toute la salle.', price => 6 + $i / 2,
		priceUnit => $i % 2 ? 'per-person' : 'flat-rate', vatRate => $i % 3 ? 10 : 20, order => 10 + $i });
	die "service $i: $r->{content}" unless $r->{status} == 201;
	$svc //= $r->{json}{service}{_id};
}
$s->request(PATCH => '/api/booking/spaces/salle-etage', session => $admin,
	    json => { name => 'Salle de l\'Étage — grande salle lumineuse pour séminaires et formations' });
for my $i (1 .. 3) {
	$s->post('/api/settings/hours/closures', session => $admin, json => {
		date => add_days($week, 20 + $i), reason => "Inventaire et grand nettoyage de printemps de toute la maison n°$i",
		($i == 2 ? (isFullDay => JSON::PP::false(), startTime => '14:00', endTime => '17:30') : ()), confirm => JSON::PP::true() });
}

# an uploaded image (events and articles)
my $img = `$FindBin::Bin/../build/asan/t/tools/image-make jpeg 1600 1000`;
my $up = $s->request(POST => '/api/uploads', session => $staff, host => 'admin', body => $img,
		     headers => { 'Content-Type' => 'image/jpeg' });
die "upload: $up->{content}" unless $up->{status} == 201;

# events: the demo ones (cwc-ctl seed) and two dozen more with long
# titles, made in the back office, every other one with the image; an
# event with 20 registrations
my $evday = sub { my @t = localtime(time + 86400 * $_[0]); sprintf '%04d-%02d-%02d', $t[5] + 1900, $t[4] + 1, $t[3] };
my $formenc = sub {
	my %f = @_;
	join '&', map { my $v = $f{$_}; utf8::encode($v); $v =~ s/([^A-Za-z0-9\-._~])/sprintf('%%%02X', ord $1)/ge; "$_=$v" } sort keys %f;
};
my $event_id;
for my $i (1 .. 24) {
	my $r = $s->request('POST', '/events', host => 'admin', session => $staff,
		headers => { 'Content-Type' => 'application/x-www-form-urlencoded' },
		body => $formenc->(title => "Rencontre n°$i : les métiers du numérique et de l’artisanat à Strasbourg, échanges et ateliers pratiques",
				   slug => "rencontre-$i", category => (qw(Atelier Conférence Networking Culture))[$i % 4],
				   shortDescription => 'Une soirée pour rencontrer celles et ceux qui font vivre le quartier, avec des ateliers courts.',
				   description => "## Au programme\n\n- accueil et café\n- **ateliers** en petits groupes\n- apéritif\n",
				   date => $evday->(30 + $i), startTime => '18:30', endTime => '21:00',
				   location => 'Espace Événementiel', maxParticipants => 40, price => $i % 3 ? '' : '12,50',
				   published => 1, ($i % 2 ? (imgSrc => $up->{json}{upload}{url},
				   imgAlt => 'Des tables du café préparées pour un atelier') : ())));
	die "event $i: $r->{status}" unless $r->{status} == 303;
	($event_id) = $r->{headers}{location} =~ m{/events/(\w+)} if $i == 1;
}
for my $i (1 .. 20) {
	my $r = $s->post('/api/events/rencontre-1/register', headers => { Origin => $s->site_url }, json => {
		firstName => "Marie-Charlotte n°$i", lastName => "de La Tour d'Auvergne-Lauraguais",
		email => "marie-charlotte.de-la-tour-$i\@entreprise-au-nom-tres-long.example.com",
		phone => '06 12 34 56 78', message => 'Je viendrai avec une collègue si une place se libère.' });
	die "registration $i: $r->{status} $r->{content}" unless $r->{status} == 201;
}

# the blog's back office: an article with an uploaded image, a draft, a
# scheduled one (with the seed's dozen and the demo's dozen above)
my %blog_ids;
for my $a (['image', 'published', undef], ['brouillon', 'draft', undef],
	   ['programme', 'scheduled', time + 7 * 86400]) {
	my $r = $s->post('/api/blog/articles', session => $staff, json => {
		title => "La terrasse du café au printemps : $a->[0], un titre long pour voir comment il passe à la ligne",
		content => "## Au soleil\n\nUn paragraphe avec du **gras**, une liste :\n\n- un café ;\n- une prise.\n\n"
			. ('Du texte pour remplir. ' x 60),
		excerpt => 'Le printemps arrive, la terrasse rouvre : voici comment nous l’avons aménagée.',
		status => $a->[1], category => 'coworking', featuredImage => $up->{json}{upload}{url},
		imgAlt => 'La terrasse au soleil', metaTitle => 'La terrasse du café',
		($a->[2] ? (publishedAt => POSIX::strftime('%Y-%m-%dT%H:%M:%SZ', gmtime $a->[2])) : ()),
	});
	die "blog article $a->[0]: $r->{content}" unless $r->{status} == 201;
	$blog_ids{ $a->[0] } = $r->{json}{article}{id};
}
my ($with_image) = $s->get("/api/blog/articles/$blog_ids{image}", session => $staff)->{json}{article}{slug};

# The customers and the team with dozens of rows and long names.
my $customer;
for my $i (1 .. 30) {
	my $r = $s->post('/api/users', session => $admin, json => {
		email => "anne-sophie.de-montmorency-laval-$i\@cabinet-d-architectes-associes.example.com",
		givenName => "Anne-Sophie de Montmorency-Laval n°$i", phone => sprintf('+33 6 12 34 56 %02d', $i),
		companyName => $i % 2 ? 'Cabinet d\'Architectes Associés de Strasbourg et du Grand Est' : undef });
	die "customer $i: $r->{status} $r->{content}" unless $r->{status} == 201;
	$customer //= $r->{json}{user}{id};
}
for my $i (1 .. 12) {
	$s->post('/api/team', session => $admin, json => { email => "equipier-$i\@coworkingcafe.example.com",
		givenName => "Équipier·e du service n°$i", role => $i % 4 ? 'staff' : 'admin' });
}

# name => [app base, path, who signs in first (or undef), expected status]
my @pages = (
	['home', $s->site_url, '/', undef],
	['concept', $s->site_url, '/concept', undef],
	['espaces', $s->site_url, '/espaces', undef],
	['pricing', $s->site_url, '/pricing', undef],
	['horaires', $s->site_url, '/horaires', undef],
	['members', $s->site_url, '/members-program', undef],
	['cgu', $s->site_url, '/cgu', undef],
	['login', $s->site_url, '/auth/login', undef],
	['register', $s->site_url, '/auth/register', undef],
	['forgot-password', $s->site_url, '/auth/forgot-password', undef],
	['reset-password', $s->site_url, '/auth/reset-password', undef],
	['dashboard', $s->site_url, '/dashboard', 'client'],
	['profile', $s->site_url, '/dashboard/profile', 'client'],
	['settings', $s->site_url, '/dashboard/settings', 'client'],
	['not-found', $s->site_url, '/no-such-page', undef],
	['blog', $s->site_url, '/blog', undef],
	['article', $s->site_url, '/blog/demo-07', undef],
	['contact', $s->site_url, '/contact', undef],
	['events', $s->site_url, '/events', undef],
	['events-page-2', $s->site_url, '/events?page=2', undef],
	['events-category', $s->site_url, '/events?category=Atelier', undef],
	['event-free', $s->site_url, '/events/rencontre-1', undef],
	['event-paid', $s->site_url, '/events/rencontre-3', undef],
	['event-full', $s->site_url, '/events/yoga-sur-chaise', undef],
	['event-thanks', $s->site_url, '/events/rencontre-1/merci', undef],
	['messages', $s->site_url, '/dashboard/messages', 'client'],
	['booking-space', $s->site_url, '/booking', undef],
	['booking-type', $s->site_url, '/booking?spaceType=salle-etage', undef],
	['booking-date', $s->site_url, '/booking?spaceType=salle-verriere&reservationType=hourly', undef],
	['booking-time', $s->site_url, $funnel, undef],
	['booking-services', $s->site_url, "$funnel&startTime=10:00&endTime=12:00&numberOfPeople=3", undef],
	['booking-contact', $s->site_url, "$funnel&startTime=10:00&endTime=12:00&numberOfPeople=3&servicesDone=1", undef],
	['booking-guest', $s->site_url, "$guest->{json}{manageUrl}&new=1", undef],
	['booking-card', $s->site_url, "$card->{manageUrl}&new=1", undef],
	['booking-confirmed', $s->site_url, "$paid->{manageUrl}&new=1", undef],
	['reservations', $s->site_url, '/dashboard/reservations', 'client'],
	['boissons', $s->site_url, '/boissons', undef],
	['privatization-devis', $s->site_url, '/privatization/devis', undef],
	['privatization-merci', $s->site_url, '/privatization/merci', undef],
	['newsletter', $s->site_url, '/newsletter', undef],
	['newsletter-merci', $s->site_url, '/newsletter/merci', undef],
	['admin-login', $s->admin_url, '/login', undef],
	['admin-home', $s->admin_url, '/', 'staff'],
	['admin-messages', $s->admin_url, '/messages', 'staff'],
	['admin-bookings', $s->admin_url, '/booking/reservations', 'staff'],
	['admin-agenda-day', $s->admin_url, "/booking/reservations/agenda?view=day&date=$week", 'staff'],
	['admin-agenda-week', $s->admin_url, "/booking/reservations/agenda?view=week&date=$week", 'staff'],
	['admin-agenda-month', $s->admin_url, "/booking/reservations/agenda?view=month&date=$week", 'staff'],
	['admin-booking-pending', $s->admin_url, "/booking/reservations/$ids[0]", 'staff'],
	['admin-booking-confirmed', $s->admin_url, "/booking/reservations/$confirmed", 'staff'],
	['admin-booking-cancel', $s->admin_url, "/booking/reservations/$confirmed/cancel", 'admin'],
	['admin-booking-new', $s->admin_url, '/booking/reservations/new', 'staff'],
	['admin-audit-log', $s->admin_url, '/audit-log', 'admin'],
	['admin-audit-entry', $s->admin_url, "/audit-log/$audit_entry", 'admin'],
	['admin-payments', $s->admin_url, '/booking/payments', 'admin'],
	['admin-booking-money', $s->admin_url, "/booking/reservations/$confirmed", 'admin'],
	['admin-spaces', $s->admin_url, '/booking/spaces', 'staff'],
	['admin-space', $s->admin_url, '/booking/spaces/salle-etage', 'admin'],
	['admin-space-readonly', $s->admin_url, '/booking/spaces/open-space', 'staff'],
	['admin-space-new', $s->admin_url, '/booking/spaces/new', 'admin'],
	['admin-services', $s->admin_url, '/booking/services', 'staff'],
	['admin-service', $s->admin_url, "/booking/services/$svc", 'admin'],
	['admin-service-new', $s->admin_url, '/booking/services/new', 'admin'],
	['admin-hours', $s->admin_url, '/booking/hours', 'admin'],
	['admin-booking-settings', $s->admin_url, '/booking/settings', 'admin'],
	['admin-events', $s->admin_url, '/events', 'staff'],
	['admin-event', $s->admin_url, "/events/$event_id", 'staff'],
	['admin-event-new', $s->admin_url, '/events/new', 'staff'],

	['blog-archive', $s->site_url, '/blog/archive', undef],
	['article-image', $s->site_url, "/blog/$with_image", undef],
	['admin-blog-articles', $s->admin_url, '/blog/articles', 'staff'],
	['admin-blog-editor', $s->admin_url, "/blog/articles/$blog_ids{image}", 'staff'],
	['admin-blog-new', $s->admin_url, '/blog/articles/new', 'staff'],
	['admin-blog-categories', $s->admin_url, '/blog/categories', 'staff'],
	['admin-newsletter', $s->admin_url, '/newsletter', 'admin'],
	['admin-quotes', $s->admin_url, '/quotes', 'staff'],
	['admin-quote', $s->admin_url, $quote, 'staff'],
	['admin-contact-mails', $s->admin_url, '/contact-mails', 'staff'],
	['admin-contact-mail', $s->admin_url, $mails[1], 'staff'],
	['admin-menu', $s->admin_url, '/menu', 'staff'],
	['admin-menu-category', $s->admin_url, $menu_cat, 'staff'],

	['admin-dashboard-admin', $s->admin_url, "/?from=$week&days=7", 'admin'],
	['admin-customers', $s->admin_url, '/customers', 'admin'],
	['admin-customer', $s->admin_url, "/customers/$customer", 'admin'],
	['admin-team', $s->admin_url, '/team', 'admin'],
);

# No table scrolls sideways in its box; only a dense grid kept as a table
# (.table-wrap.table-grid: the occupancy) may. On a phone a list is one
# card a row (.table-cards), every cell labelled, no label without its
# value, its buttons and menus big enough for a thumb; on a laptop (and in
# the back office on a tablet: staff at the desk) a list stays a table that
# fits: its cells wrap, a .col-secondary column steps aside on a tablet
# (docs/design.md).
# The end of a screen opened by hand (an interactive state the loop below
# cannot reach by its address): one <h1>, nothing wider than the window,
# no console error or failed load, its screenshot as $shots/$png.
sub screen_done {
	my ($page, $name, $png) = @_;
	is $page->js(q{document.querySelectorAll('h1').length}), 1, "$name: one <h1>";
	ok $page->js(q{document.documentElement.scrollWidth <= window.innerWidth}), "$name: nothing wider than the window";
	select undef, undef, undef, 0.3;
	my @p = $page->problems;
	ok !@p, "$name: no console error or failed load" or diag join "\n", @p;
	$page->screenshot("$shots/$png");
}

sub no_table_scrolls {
	my ($page, $what) = @_;
	my $wide = $page->js(q{[...new Set([...document.querySelectorAll('.table-wrap:not(.table-grid), .table-cards')]
		.map(t => t.closest('.table-wrap') || t.parentElement))]
		.filter(w => w.scrollWidth > w.clientWidth + 1)
		.map(w => (w.querySelector('table') || w).className + ' ' + w.scrollWidth + '>' + w.clientWidth).join(', ')});
	is $wide, '', "$what: no table scrolls sideways";
}
sub phone_tables {
	my ($page, $what) = @_;
	no_table_scrolls($page, "$what (one card a row on a phone)");
	my $bad = $page->js(q{[...document.querySelectorAll('.table-cards td')].filter(td => !td.hasAttribute('data-label')
		|| (td.checkVisibility() && !td.textContent.trim() && !td.querySelector('input, select, button, img')))
		.slice(0, 3).map(td => td.closest('table').className + ' ' + td.cellIndex + ' ' + (td.dataset.label || 'no data-label')).join(', ')});
	is $bad, '', "$what: every card line has its label and a value";
	my $small = $page->js(q{[...document.querySelectorAll('.table-cards button, .table-cards select, .table-cards .btn')]
		.filter(e => e.checkVisibility() && e.getBoundingClientRect().height < 44)
		.slice(0, 3).map(e => e.textContent.trim().slice(0, 20) + ' ' + e.getBoundingClientRect().height).join(', ')});
	is $small, '', "$what: a card's buttons are big enough for a thumb (44 px)";
}

for my $pg (@pages) {
	my ($name, $base, $path, $who) = @$pg;
	next if $ENV{CWC_SCREENS} && $name !~ /$ENV{CWC_SCREENS}/;
	my $page = $b->page;
	$page->sign_in($base, $base eq $s->admin_url ? '/login' : '/auth/login', $who) if $who;
	$page->problems;    # what signing in logged is not this page's
	for my $w ($base eq $s->admin_url ? @admin_widths : @widths) {
		my ($width, $height, $label) = @$w;
		$page->viewport($width, $height);
		$page->goto("$base$path");
		$page->wait_for(q{document.readyState === 'complete'}, 10);
		is $page->js('location.pathname + location.search'), $path, "$name ($label): stays on $path";
		is $page->js(q{getComputedStyle(document.body).getPropertyValue('--c-ink').trim()}), '#142220',
			"$name ($label): the design system's stylesheet is applied";
		is $page->js(q{document.querySelectorAll('h1').length}), 1, "$name ($label): one <h1>";
		ok $page->js(q{document.documentElement.scrollWidth <= window.innerWidth}),
			"$name ($label): nothing wider than the window"
			or diag 'scrollWidth ' . $page->js('document.documentElement.scrollWidth')
			      . ' > ' . $page->js('window.innerWidth') . ': '
			      . $page->js(q{[...document.querySelectorAll('body *')].filter(e => e.getBoundingClientRect().right > window.innerWidth + 1).slice(0, 5).map(e => e.tagName + '.' + e.className).join(', ')});
		phone_tables($page, "$name ($label)") if $label eq 'phone';
		no_table_scrolls($page, "$name ($label)") if $label ne 'phone';
		ok $page->js(q{document.documentElement.lang === 'fr'}), "$name ($label): lang=fr";
		ok $page->js(q{!!document.querySelector('main')}), "$name ($label): a <main> landmark";
		# sleep a moment so that late loads (scripts, sockets) report too
		select undef, undef, undef, 0.3;
		# the 404 page's own status is what it is for, not a failure
		my @p = grep { !($name eq 'not-found' && m{status of 404 .*\Q$path\E\)$}) } $page->problems;
		ok !@p, "$name ($label): no console error or failed load" or diag join "\n", @p;
		$page->screenshot("$shots/$name-$label.png");
	}
}

# The funnel's summary: the contact step posted (personal details are
# not put in URLs), with a long name and a request.
for my $w (@widths) {
	my ($width, $height, $label) = @$w;
	my $page = $b->page;
	$page->viewport($width, $height);
	$page->goto($s->site_url . "$funnel&startTime=10:00&endTime=12:00&numberOfPeople=3&servicesDone=1");
	$page->js(q{document.getElementById('contactName').value = "Marie-Charlotte de La Tour d'Auvergne-Lauraguais";
		    document.getElementById('contactEmail').value = 'marie-charlotte.de-la-tour@entreprise-au-nom-tres-long.example.com';
		    document.getElementById('contactPhone').value = '+33 6 12 34 56 78';
		    document.getElementById('companyName').value = 'Société Coopérative des Artisans Boulangers et Pâtissiers du Bas-Rhin';
		    document.getElementById('specialRequests').value = 'Un paperboard, des feutres de couleur et beaucoup de café, merci !';
		    document.getElementById('contactPhone').form.requestSubmit(); true});
	ok $page->wait_for(q{document.readyState === 'complete' && !!document.querySelector('button[name=book]')}, 15),
		"booking-summary ($label): the summary";
	screen_done($page, "booking-summary ($label)", "booking-summary-$label.png");
}

# The space form's live preview: typing a price asks the server's quote.
{
	my $page = $b->page;
	$page->sign_in($s->admin_url, '/login', 'admin');
	$page->viewport(1280, 800);
	$page->goto($s->admin_url . '/booking/spaces/open-space');
	$page->wait_for(q{document.readyState === 'complete'}, 10);
	$page->js(q{const i = document.querySelector('#p-h'); i.value = '9'; i.dispatchEvent(new Event('input', { bubbles: true })); true});
	ok $page->wait_for(q{!document.querySelector('#preview-result').hidden && document.querySelector('[data-total]').textContent === '36,00\u00a0€'}, 10),
		'the space form: typing 9 € an hour shows the server\'s quote (2 × 2 h × 9 €) without a reload';
}

# The booking form's customer chooser, opened from a customer's page (that
# customer chosen): typing a name lists the matches (customer-pick.js asks
# /api/users?q=) as radio choices without a reload, the count said.
{
	my $page = $b->page;
	$page->sign_in($s->admin_url, '/login', 'staff');
	$page->problems;
	for my $w (@admin_widths) {
		my ($width, $height, $label) = @$w;
		my $name = "admin-booking-new-customers ($label)";
		$page->viewport($width, $height);
		$page->goto($s->admin_url . "/booking/reservations/new?customer=$customer");
		$page->wait_for(q{document.readyState === 'complete'}, 10);
		$page->js(q{window.notReloaded = true; const i = document.getElementById('n-find'); i.value = 'montmorency';
			    i.dispatchEvent(new Event('input', { bubbles: true })); true});
		ok $page->wait_for(q{document.querySelectorAll('#customer-list input[name=customer]').length === 11
				     && /^30 comptes clients trouvés/.test(document.getElementById('customer-status').textContent)}, 10),
			"$name: typing lists ten matches besides the chosen one, the count said"
			or diag $page->js(q{document.getElementById('customer-status').textContent});
		ok $page->js('window.notReloaded === true'), "$name: without a reload";
		is $page->js(q{document.querySelector('input[name=customer]:checked').value}), $customer,
			"$name: the customer of the link stays chosen";
		screen_done($page, $name, "admin-booking-new-customers-$label.png");
	}
	$page->goto($s->admin_url . '/booking/reservations/new');
	$page->wait_for(q{document.readyState === 'complete'}, 10);
	$page->js(q{const i = document.getElementById('n-find'); i.value = 'montmorency'; i.dispatchEvent(new Event('input', { bubbles: true })); true});
	ok $page->wait_for(q{document.querySelectorAll('#customer-list input[name=customer]').length === 10}, 10)
	   && $page->js(q{document.querySelector('#customer-choices > label.choice:last-of-type input:checked').value === ''}),
		'admin-booking-new-customers: a walk-in chosen stays last, after the matches';
}

# The phone menu opens without JavaScript: the checkbox and its label.
{
	my $page = $b->page;
	$page->viewport(390, 844);
	$page->cmd('Emulation.setScriptExecutionDisabled', { value => JSON::PP::true() });
	$page->goto($s->site_url . '/');
	ok !$page->js(q{document.querySelector('.nav').checkVisibility()}), 'phone: the menu starts closed';
	$page->js(q{document.querySelector('.menu-button').click(); true});
	ok $page->js(q{document.querySelector('.nav').checkVisibility()}), 'phone: the menu button opens it, without JavaScript';
	ok $page->js(q{[...document.querySelectorAll('.nav .has-sub ul a')].every(a => a.checkVisibility())}),
		'phone: every submenu link is shown in the opened menu';
	$page->viewport(1280, 800);
	ok $page->js(q{document.querySelector('.nav').checkVisibility()}), 'laptop: the menu is always shown';
	ok !$page->js(q{document.querySelector('a[href="/history"]').checkVisibility()}), 'laptop: submenus start closed';
	$page->js(q{document.querySelector('.nav .has-sub > a[href="/concept"]').focus(); true});
	ok $page->js(q{document.querySelector('a[href="/history"]').checkVisibility()}), 'laptop: a submenu opens on keyboard focus';
}

diag "screenshots in $shots" if $ENV{CWC_SCREENSHOTS};
done_testing;
