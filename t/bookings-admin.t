#!/usr/bin/perl
# The staff's bookings API through Caddy (SPEC §7 Staff operations): the
# list with every filter and every page, the detail, creating for a
# customer or a walk-in (price from the quote, overridden with a reason),
# editing, every transition allowed and refused (422 invalid_transition),
# the fee preview and the fee waived by an admin only, the roles, bad
# input naming the field; and the audit log (SPEC §9): one entry per
# write that succeeded, with actor, address, request id and the changed
# fields, never a secret, none for a refused write.
use strict;
use warnings;
use utf8;
use FindBin;
use lib "$FindBin::Bin/lib";
use CWC::Stack;
use CWC::Bookings qw(add_days);
use Encode ();
use Test::More;
binmode $_, ':encoding(UTF-8)' for map { Test::More->builder->$_ } qw(output failure_output todo_output);

my $s = CWC::Stack->start(env => { CWC_THROTTLE_GUEST_BOOKING => '100000/3600' });
my $b = CWC::Bookings->new($s);
my $staff = $s->login('staff', undef, host => 'admin');
my $admin = $s->login('admin', undef, host => 'admin');
my $client = $s->login('client');
my $client_id = $s->get('/api/auth/session', session => $client)->{json}{user}{id};
ok $client_id, 'the customer has an id';

sub api { my ($method, $path, $who, %o) = @_; $s->request($method, "/api/booking$path", session => $who, host => 'admin', %o) }
sub audit_entries {
	my (%q) = @_;
	my $qs = join '&', map { "$_=$q{$_}" } sort keys %q;
	my $r = $s->get("/api/audit-log?limit=100&$qs", session => $admin, host => 'admin');
	die "audit-log: $r->{status}" unless $r->{status} == 200;
	return $r->{json};
}

# --- dozens of bookings from the site, long names, several spaces and days
my $first = $b->open_weekday(2, 30);
my (@made, %by_day);
my $long = 'Marie-Charlotte de La Tour d\'Auvergne-Lauraguais';
for my $i (0 .. 35) {
	my $day = add_days($first, int($i / 6));
	next if $b->holiday_name($day) || $day =~ /-(12-25|01-01)$/;
	my $start = sprintf '%02d:00', 10 + ($i % 5) * 2;
	my $end = sprintf '%02d:00', 11 + ($i % 5) * 2;
	my $r = $b->book(date => $day, startTime => $start, endTime => $end,
			 spaceType => $i % 3 ? 'open-space' : 'salle-verriere',
			 contactName => "$long n°$i", contactEmail => "client$i\@example.com");
	is $r->{status}, 201, "booking $i made on the site" or diag $r->{content};
	next unless $r->{status} == 201;
	push @made, $r->{json}{booking};
	$by_day{$day}++;
}
my $n = @made;

# --- roles
is api(GET => '/reservations', undef)->{status}, 401, 'signed out: 401';
is $s->get('/api/booking/reservations', session => $client, host => 'admin')->{status}, 403, 'a customer: 403';
is api(GET => '/pending-count', $staff)->{json}{count}, $n, "pending-count: $n";

# --- the list: every page, the cap, the filters
my $r = api(GET => '/reservations?limit=10', $staff);
is $r->{status}, 200, 'staff list the bookings';
is $r->{json}{pagination}{total}, $n, 'every booking counted';
my %seen;
for my $page (1 .. $r->{json}{pagination}{pages}) {
	$seen{ $_->{_id} }++ for @{ api(GET => "/reservations?limit=10&page=$page", $staff)->{json}{bookings} };
}
is scalar(keys %seen), $n, 'every booking once over the pages';
is api(GET => '/reservations?limit=100', $staff)->{status}, 200, 'limit 100 is allowed';
$r = api(GET => '/reservations?limit=101', $staff);
is $r->{status}, 400, 'limit 101 is refused';
is $r->{json}{error}{field}, 'limit', '…naming limit';
$r = api(GET => '/reservations?status=lost', $staff);
is $r->{json}{error}{field}, 'status', 'an unknown status names status';
$r = api(GET => '/reservations?from=2027-02-30', $staff);
is $r->{json}{error}{field}, 'from', 'a bad date names from';
$r = api(GET => '/reservations?customer=nobody', $staff);
is $r->{json}{error}{field}, 'customer', 'a bad customer names customer';
$r = api(GET => '/reservations?spaceType=salle-verriere&limit=100', $staff);
my @verr = grep { $_->{spaceType} eq 'salle-verriere' } @made;
is $r->{json}{pagination}{total}, scalar @verr, 'filter by space';
$r = api(GET => "/reservations?from=$first&to=$first&limit=100", $staff);
is $r->{json}{pagination}{total}, $by_day{$first}, 'filter by date range (one day)';
ok !(grep { $_->{day} ne $first } @{ $r->{json}{bookings} }), '…only that day';
$r = api(GET => "/reservations?q=" . lc $made[4]{confirmationNumber}, $staff);
is_deeply [ map { $_->{_id} } @{ $r->{json}{bookings} } ], [ $made[4]{_id} ], 'search by confirmation number';
$r = api(GET => '/reservations?customer=CLIENT7@example.com', $staff);
is $r->{json}{pagination}{total}, 1, 'filter by customer e-mail';
$r = api(GET => '/reservations?sort=date&limit=1', $staff);
is $r->{json}{bookings}[0]{day}, $first, 'sorted by date ascending on demand';
is api(GET => '/reservations?sort=price', $staff)->{json}{error}{field}, 'sort', 'only declared sorts';
ok !exists $r->{json}{bookings}[0]{manageTokenHash}, 'never the guest token';

# --- transitions, allowed and refused
my @audited_before = @{ audit_entries()->{entries} };
is scalar @audited_before, 0, 'nothing audited yet (site writes are not admin writes)';
my ($p1, $p2, $p3, $p4) = map { $_->{_id} } @made[0 .. 3];
my %t = (validate => 'confirmed', reject => 'cancelled', cancel => 'cancelled',
	 'mark-present' => 'completed', 'mark-noshow' => 'no-show');
sub move { my ($id, $what, $who, $json) = @_; api(POST => "/reservations/$id/$what", $who // $staff, json => $json // {}) }
sub refused {
	my ($id, $what, $label) = @_;
	my $r = move($id, $what);
	is $r->{status}, 422, "$label: $what refused";
	is $r->{json}{error}{code}, 'invalid_transition', '…invalid_transition';
}
refused($p1, 'mark-present', 'pending');
refused($p1, 'mark-noshow', 'pending');
$r = move($p1, 'validate');
is $r->{status}, 200, 'pending → validate';
is $r->{json}{booking}{status}, 'confirmed', '…confirmed';
my $validate_rid = $r->{headers}{'x-request-id'};
refused($p1, 'validate', 'confirmed');
refused($p1, 'reject', 'confirmed');
$r = move($p2, 'reject', undef, { reason => 'Salle réservée pour un événement privé' });
is $r->{json}{booking}{status}, 'cancelled', 'pending → reject → cancelled';
is $r->{json}{booking}{cancelReason}, 'Salle réservée pour un événement privé', '…with the reason';
refused($p2, $_, 'cancelled') for qw(validate reject cancel mark-present mark-noshow);
move($p3, 'validate');
$r = move($p3, 'mark-present');
is $r->{json}{booking}{status}, 'completed', 'confirmed → mark-present → completed';
is $r->{json}{booking}{attendanceStatus}, 'present', '…present';
refused($p3, $_, 'completed') for qw(validate reject cancel mark-present mark-noshow);
move($p4, 'validate');
$r = move($p4, 'mark-noshow');
is $r->{json}{booking}{status}, 'no-show', 'confirmed → mark-noshow → no-show';
refused($p4, $_, 'no-show') for qw(validate reject cancel mark-present mark-noshow);
is api(POST => '/reservations/ffffffffffffffffffffffff/validate', $staff, json => {})->{status}, 404, 'unknown id: 404';

# cancel a confirmed booking: fee preview, waived by an admin only
my $c = $made[5]{_id};
move($c, 'validate');
$r = api(GET => "/reservations/$c/cancellation-fees", $staff);
is $r->{status}, 200, 'fee preview';
ok !$r->{json}{canWaive}, 'staff cannot waive';
is $r->{json}{fees}{chargePercentage}, 0, 'far ahead: 0 %';
$r = move($c, 'cancel', $staff, { waiveFee => JSON::PP::true() });
is $r->{status}, 403, 'staff waiving the fee: 403';
is $r->{json}{error}{field}, 'waiveFee', '…naming waiveFee';
is api(GET => "/reservations/$c", $staff)->{json}{booking}{status}, 'confirmed', '…and nothing changed';
$r = move($c, 'cancel', $admin, { waiveFee => JSON::PP::true(), reason => 'Geste commercial' });
is $r->{status}, 200, 'an admin cancels with the fee waived';
is $r->{json}{booking}{cancellationFee}, 0, '…no fee';
ok $r->{json}{booking}{feeWaived}, '…waived on record';
$r = move($made[6]{_id}, 'cancel', $staff, { waiveFee => 'yes' });
is $r->{json}{error}{field}, 'waiveFee', 'waiveFee must be a boolean';

# --- create: walk-in and customer, price override with a reason
my $day = add_days($first, 10);
$day = add_days($day, 1) while $b->holiday_name($day);
my %req = (spaceType => 'salle-verriere', reservationType => 'hourly', date => $day,
	   startTime => '14:00', endTime => '16:00', numberOfPeople => 3);
$r = api(POST => '/reservations', $staff, json => { %req });
is $r->{status}, 400, 'a walk-in without a name';
is $r->{json}{error}{field}, 'contactName', '…names contactName';
$r = api(POST => '/reservations', $staff, json => { %req, date => '2027-13-01', contactName => 'X' });
is $r->{json}{error}{field}, 'date', 'a bad date names date';
$r = api(POST => '/reservations', $staff, json => { %req, contactName => 'Jean Passant', priceOverride => 30 });
is $r->{status}, 422, 'an override without a reason';
is $r->{json}{error}{field}, 'priceOverrideReason', '…names priceOverrideReason';
$r = api(POST => '/reservations', $staff, json => { %req, contactName => 'Jean Passant', priceOverride => -1, priceOverrideReason => 'x' });
is $r->{json}{error}{field}, 'priceOverride', 'a negative price names priceOverride';
$r = api(POST => '/reservations', $staff, json => { %req, contactName => 'Jean Passant', priceOverride => 30,
						    priceOverrideReason => 'Client fidèle', notes => 'Paie sur place' });
is $r->{status}, 201, 'a walk-in booked with an override' or diag $r->{content};
my $walkin = $r->{json}{booking};
is $walkin->{totalPrice}, 30, '…at the agreed price';
is $walkin->{suggestedPrice}, 48, '…the quote kept as suggested (2 h × 24 €)';
is $walkin->{priceOverrideReason}, 'Client fidèle', '…and the reason';
ok $walkin->{isAdminBooking}, '…an admin booking';
is $walkin->{notes}, 'Paie sur place', '…staff notes shown to staff';
ok !$walkin->{holdExpiresAt}, '…no hold';
$r = api(POST => '/reservations', $staff, json => { %req, contactName => 'Autre' });
is $r->{status}, 409, 'the same slot again: 409 booking_conflict';
# the événementiel space is on quote: staff book it at the price agreed
my %ev = (%req, spaceType => 'evenementiel', date => add_days($day, 1), startTime => '18:00', endTime => '20:00',
	  numberOfPeople => 1, contactName => 'Association des Amis du Quartier, soirée de fin d’année');
$ev{date} = add_days($ev{date}, 1) while $b->holiday_name($ev{date});
$r = api(POST => '/reservations', $staff, json => { %ev });
is_deeply [ $r->{status}, $r->{json}{error}{code} ], [ 422, 'quote_required' ], 'a space on quote without an agreed price: 422 quote_required';
$r = api(POST => '/reservations', $staff, json => { %ev, priceOverride => 450, priceOverrideReason => 'Devis DV-2027-014 accepté' });
is $r->{status}, 201, 'with the price agreed on quote, staff book it' or diag $r->{content};
is $r->{json}{booking}{totalPrice}, 450, '…at that price';
is $b->quote(%ev)->{json}{error}{code}, 'quote_required', 'customers still get quote_required';
$r = api(POST => '/reservations', $staff, json => { %req, startTime => '17:00', endTime => '18:00', customer => $client_id });
is $r->{status}, 201, 'booked for a customer' or diag $r->{content};
is $r->{json}{booking}{user}, $client_id, '…on their account';
is $r->{json}{booking}{contactEmail}, 'client@coworkingcafe.local', '…with their contact';
is $s->get('/api/bookings', session => $client)->{json}{pagination}{total}, 1, 'the customer sees it';
$r = api(POST => '/reservations', $staff, json => { %req, customer => 'ffffffffffffffffffffffff' });
is $r->{json}{error}{field}, 'customer', 'an unknown customer names customer';

# --- edit
$r = api(PATCH => "/reservations/$walkin->{_id}", $staff, json => { notes => 'Facture au nom de la société', companyName => 'Les Ateliers Réunis' });
is $r->{status}, 200, 'staff edit notes and company';
is $r->{json}{booking}{companyName}, 'Les Ateliers Réunis', '…changed';
$r = api(PATCH => "/reservations/$walkin->{_id}", $staff, json => { contactEmail => 'pas-un-email' });
is $r->{json}{error}{field}, 'contactEmail', 'a bad e-mail names contactEmail';
# moving: re-priced, re-checked (the booking itself left out), slots claimed anew
$r = api(PUT => "/reservations/$walkin->{_id}", $staff, json => { startTime => '10:00', endTime => '12:00' });
is $r->{status}, 200, 'staff move a booking' or diag $r->{content};
is $r->{json}{booking}{startTime}, '10:00', '…to its new time';
is $r->{json}{booking}{totalPrice}, 48, '…priced again by the quote';
ok !exists $r->{json}{booking}{priceOverrideReason}, '…the old override dropped';
is $r->{json}{booking}{companyName}, 'Les Ateliers Réunis', '…the rest kept';
$r = api(PATCH => "/reservations/$walkin->{_id}", $staff, json => { startTime => '11:00', endTime => '13:00' });
is $r->{status}, 200, 'a move overlapping its own old time' or diag $r->{content};
$r = $b->book(date => $day, spaceType => 'salle-verriere', startTime => '14:00', endTime => '16:00', numberOfPeople => 2);
is $r->{status}, 201, 'the slot it left is free for a customer' or diag $r->{content};
$r = $b->book(date => $day, spaceType => 'salle-verriere', startTime => '12:00', endTime => '13:00', numberOfPeople => 2);
is $r->{status}, 409, 'the slot it took is not';
$r = api(PATCH => "/reservations/$walkin->{_id}", $staff, json => { startTime => '17:00', endTime => '18:00' });
is $r->{status}, 409, 'a move onto a booked slot: 409';
is $r->{json}{error}{code}, 'booking_conflict', '…booking_conflict';
$r = api(PATCH => "/reservations/$walkin->{_id}", $staff, json => { endTime => '21:00' });
is $r->{status}, 422, 'a move past closing: 422';
is $r->{json}{error}{field}, 'endTime', '…naming endTime';
$r = api(PATCH => "/reservations/$walkin->{_id}", $staff, json => { date => 'demain' });
is $r->{json}{error}{field}, 'date', 'a bad date names date';
$r = api(GET => "/reservations/$walkin->{_id}", $staff);
is "$r->{json}{booking}{startTime}-$r->{json}{booking}{endTime}", '11:00-13:00', 'refused moves changed nothing';
$r = $b->book(date => $day, spaceType => 'salle-verriere', startTime => '11:00', endTime => '12:00', numberOfPeople => 2);
is $r->{status}, 409, '…and it still holds its slots';
$r = api(PATCH => "/reservations/$p2", $staff, json => { notes => 'x' });
is $r->{json}{error}{code}, 'invalid_transition', 'a cancelled booking is not edited';

# --- the price quote
$r = $s->post('/api/calculate-price', session => $staff, host => 'admin', json => { %req, startTime => '18:00', endTime => '20:00' });
is $r->{status}, 200, 'staff quote a price';
is $r->{json}{quote}{totalPrice} // $r->{json}{quote}{total}, 48, '…the Verrière for 2 h';
is $s->post('/api/calculate-price', host => 'admin', json => { %req })->{status}, 401, 'signed out: no quote';

# --- the audit log
is $s->get('/api/audit-log', session => $staff, host => 'admin')->{status}, 403, 'staff cannot read the audit log';
my $log = audit_entries(collection => 'bookings');
my @e = @{ $log->{entries} };
# validate ×4, reject, mark-present, mark-noshow, cancel, create ×3 (one on quote), edit, move ×2
is scalar @e, 14, 'one entry per successful write of a booking' or diag explain [ map { $_->{action} } @e ];
is audit_entries()->{pagination}{total}, 14, 'none for the refused ones (422, 403, 404, 409)';
my ($v) = grep { ($_->{requestId} // '') eq ($validate_rid // '-') } @e;
ok $v, 'the entry carries the request id of the answer';
is $v->{action}, 'booking.reservations.validate', '…the action';
is $v->{documentId}, $p1, '…the document';
is $v->{actor}{email}, 'staff@coworkingcafe.local', '…the actor';
is $v->{actor}{role}, 'staff', '…and the role';
ok $v->{ip}, '…the address';
is_deeply $v->{before}, { status => 'pending' }, '…only the changed fields before';
is $v->{after}{status}, 'confirmed', '…and after';
my ($cr) = grep { $_->{action} eq 'booking.reservations.create' && $_->{documentId} eq $walkin->{_id} } @e;
ok $cr && !exists $cr->{before}, 'a creation has no before';
is $cr->{after}{totalPrice}, 30, '…its fields after';
is $cr->{after}{manageTokenHash}, '<redacted>', '…never the guest token';
my ($ed, @moves) = reverse grep { $_->{action} eq 'booking.reservations.update' } @e;
is_deeply [ $moves[0]{before}{startTime}, $moves[0]{after}{startTime} ], [ '14:00', '10:00' ], 'a move: the times before and after';
is_deeply [ sort keys %{ $ed->{after} } ], [qw(companyName notes)], 'an edit: the changed fields only';
my ($w) = grep { $_->{action} eq 'booking.reservations.cancel' } @e;
is $w->{actor}{role}, 'admin', 'the waived cancel is the admin\'s';
is audit_entries(collection => 'bookings', documentId => $p1)->{pagination}{total}, 1, 'one document\'s history';

# --- delete: admins only, the slots freed, the whole document on record
my $gone = $made[12];
$r = api(DELETE => "/reservations/$gone->{_id}", $staff);
is $r->{status}, 403, 'staff cannot delete a booking';
$r = api(DELETE => "/reservations/$gone->{_id}", $admin);
is $r->{status}, 204, 'an admin deletes one';
is api(GET => "/reservations/$gone->{_id}", $staff)->{status}, 404, '…gone';
is api(DELETE => "/reservations/$gone->{_id}", $admin)->{status}, 404, '…twice: 404';
my ($del) = @{ audit_entries(action => 'booking.reservations.delete')->{entries} };
is $del->{before}{contactName}, $gone->{contactName}, 'the deletion keeps the document before';
ok !exists $del->{after}, '…and nothing after';
is $del->{before}{manageTokenHash}, '<redacted>', '…never the guest token';

# --- the screens: plain forms that come back to the detail, audited the same
sub page { my ($method, $path, $who, $form) = @_;
	$s->request($method, $path, session => $who, host => 'admin',
		    (defined $form ? (body => $form, headers => { 'Content-Type' => 'application/x-www-form-urlencoded' }) : ())) }
$r = page(GET => '/booking/reservations', undef);
is $r->{status}, 303, 'signed out: the list sends to the login page';
$r = page(GET => '/booking/reservations?status=pending', $staff);
is $r->{status}, 200, 'the list page';
my $html = Encode::decode('UTF-8', $r->{content});
my $pending = () = $html =~ /<span class="badge badge-warn">En attente</g;
my $other = () = $html =~ /<span class="badge badge-(?!warn)[a-z]+">/g;
ok $pending >= 25 && !$other, "filtered on pending: $pending rows, none of another status";
like $r->{content}, qr{href="\?status=pending&amp;page=2" rel="next"}, 'the next page keeps the filter';
$r = page(GET => '/booking/reservations?from=hier', $staff);
is $r->{status}, 400, 'a bad filter: 400';
like $r->{content}, qr/alert-error/, '…told on the page';
$r = page(GET => "/booking/reservations/agenda?view=week&date=$first", $staff);
like $r->{content}, qr{href="/booking/reservations/$made[0]{_id}"}, 'the week agenda lists the bookings';
my $f = $made[10]{_id};
$r = page(POST => "/booking/reservations/$f/validate", $staff, '');
is $r->{status}, 303, 'validate by the form: back to the detail';
is $r->{headers}{location}, "/booking/reservations/$f?done=validate", '…with what was done';
is api(GET => "/reservations/$f", $staff)->{json}{booking}{status}, 'confirmed', '…confirmed';
$r = page(POST => "/booking/reservations/$f/validate", $staff, '');
is $r->{status}, 422, 'validate again: refused';
like $r->{content}, qr/alert-error/, '…the page says why';
$r = page(GET => "/booking/reservations/$f/cancel", $staff);
like Encode::decode('UTF-8', $r->{content}), qr/Confirmer l’annulation/, 'cancelling asks for confirmation first';
unlike $r->{content}, qr/name="waiveFee"/, '…with no waiver for staff';
$r = page(POST => "/booking/reservations/$f/cancel", $staff, 'reason=Client+malade&waiveFee=1');
is $r->{status}, 403, 'staff waiving by the form: 403';
$r = page(POST => "/booking/reservations/$f/cancel", $admin, 'reason=Client+malade&waiveFee=1');
is $r->{status}, 303, 'an admin cancels by the form, fee waived';
is api(GET => "/reservations/$f", $staff)->{json}{booking}{cancelReason}, 'Client malade', '…with the reason';
$r = page(POST => '/booking/reservations', $staff, "spaceType=salle-etage&reservationType=hourly&date=$day&startTime=10:00&endTime=12:00&numberOfPeople=8");
is $r->{status}, 400, 'the create form without a name';
like $r->{content}, qr/id="n-name"[^>]*aria-invalid="true"/, '…marks the name field';
$r = page(POST => '/booking/reservations', $staff, "spaceType=salle-etage&reservationType=hourly&date=$day&startTime=10:00&endTime=12:00&numberOfPeople=8&contactName=Atelier+des+Tisserands&priceOverride=99,50&priceOverrideReason=Forfait+association");
is $r->{status}, 303, 'the create form books' or diag $r->{content};
my ($new_id) = ($r->{headers}{location} // '') =~ m{/booking/reservations/([0-9a-f]{24})\?done=created};
is api(GET => "/reservations/$new_id", $staff)->{json}{booking}{totalPrice}, 99.5, '…at the agreed price (a decimal comma)';
my @pe = @{ audit_entries(documentId => $f)->{entries} };
is_deeply [ map { $_->{action} } reverse @pe ], [qw(booking.reservations.validate booking.reservations.cancel)],
	'the forms are audited as the API (refused ones not)';
is audit_entries(action => 'booking.reservations.create', documentId => $new_id)->{pagination}{total}, 1, '…the create too';

# --- the create form's customer chooser: a search (no script needed), the
# account chosen among radio choices, a customer's page preselecting them
$s->post('/api/users', session => $admin, json => { email => "homonyme-$_\@exemple.fr", givenName => "Paul Dupré n°$_" }) for 1 .. 12;
my $helene = $s->post('/api/users', session => $admin, json => { email => 'h.dupre-lefevre@atelier-exemple.fr',
	givenName => 'Hélène Dupré-Lefèvre', phone => '+33 6 98 76 54 32' })->{json}{user}{id};
ok $helene, 'a customer with accents in her name';
my $staff_id = $s->get('/api/auth/session', session => $staff, host => 'admin')->{json}{user}{id};
sub bookings_total { api(GET => '/reservations?limit=1', $staff)->{json}{pagination}{total} }
sub form_html { Encode::decode('UTF-8', $_[0]{content}) }
sub uri { my $v = shift; utf8::encode($v); $v =~ s/([^A-Za-z0-9_.~-])/sprintf '%%%02X', ord $1/ge; $v }
my $typed = "spaceType=salle-etage&reservationType=hourly&date=$day&startTime=14:00&endTime=16:00&numberOfPeople=4"
	. '&companyName=' . uri('Les Ateliers Réunis') . '&notes=' . uri('Paiera sur place, facture à la société');
$r = page(GET => '/booking/reservations/new', $staff);
$html = form_html($r);
like $html, qr{<label for="n-find">[^<]+</label>.*<input id="n-find" name="customerQuery" type="search"}s, 'the form: a labelled search field';
like $html, qr{<button type="submit" name="find" value="1"[^>]*>Chercher</button>}, '…a "Chercher" button of its own';
like $html, qr{<fieldset class="choices[^"]*" id="customer-choices">\s*<legend>Compte client</legend>}, '…the choices in a fieldset with its legend';
like $html, qr{id="customer-status" role="status" aria-live="polite"}, '…the count said to screen readers';
like $html, qr{<input type="radio" name="customer" value="" checked>\s*<span class="choice-body"><strong>Client de passage \(sans compte\)}, '…a walk-in by default';
unlike $html, qr{Identifiant du compte}, '…no raw account id asked';
my $before = bookings_total();
$r = page(POST => '/booking/reservations', $staff, "$typed&customerQuery=dupre&find=1");
$html = form_html($r);
is $r->{status}, 200, 'Chercher: the form again' or diag $r->{content};
like $html, qr{<input type="radio" name="customer" value="$helene">\s*<span class="choice-body"><strong>Hélène Dupré-Lefèvre</strong> <span class="muted">h\.dupre-lefevre\@atelier-exemple\.fr · <span class="nowrap">\+33 6 98 76 54 32</span></span>},
	'…part of a name without its accent finds her, with e-mail and phone';
my $listed = () = $html =~ /<input type="radio" name="customer" value="[0-9a-f]{24}"/g;
is $listed, 10, '…ten matches at most (13 Dupré)';
like $html, qr{13 comptes clients trouvés : les 10 premiers sont affichés}, '…the count said';
like $html, qr{<input id="n-find" name="customerQuery"[^>]* value="dupre"}, '…the search kept';
like $html, qr{id="n-date" name="date" type="date" required value="$day"}, '…the date kept';
like $html, qr{value="14:00"}, '…the time kept';
like $html, qr{<textarea id="n-notes" name="notes" rows="3">Paiera sur place, facture à la société</textarea>}, '…the notes kept';
like $html, qr{id="n-company" name="companyName" value="Les Ateliers Réunis"}, '…the company kept';
like $html, qr{<option value="salle-etage" selected>}, '…the space kept';
is bookings_total(), $before, '…nothing booked';
$r = page(POST => '/booking/reservations', $staff, "$typed&customerQuery=" . uri('ATELIER-EXÉMPLE.fr') . '&find=1');
like form_html($r), qr{1 compte client trouvé.*value="$helene">}s, 'an e-mail, capitals and accents folded, finds her too';
$r = page(POST => '/booking/reservations', $staff, "$typed&customerQuery=" . uri('Hélène Dupré') . '&find=1');
like form_html($r), qr{value="$helene"}, 'her name as written finds her';
$r = page(POST => '/booking/reservations', $staff, "$typed&customerQuery=zzzz-personne&find=1");
like form_html($r), qr{Aucun compte client ne correspond à « zzzz-personne »}, 'no match: said';
$r = page(POST => '/booking/reservations', $staff, "$typed&customerQuery=staff%40coworkingcafe&find=1");
unlike form_html($r), qr{value="$staff_id"}, 'a team member is not a customer to choose';
$r = $s->get('/api/users?limit=10&q=' . uri('dupré-lef'), session => $staff, host => 'admin');
is_deeply [ map { $_->{id} } @{ $r->{json}{users} } ], [ $helene ], 'the script\'s endpoint: the same search, for staff';
$r = page(POST => '/booking/reservations', $staff, "$typed&customerQuery=dupre&customer=ffffffffffffffffffffffff");
$html = form_html($r);
is $r->{status}, 422, 'an unknown account: refused';
like $html, qr{<p class="field-error" id="e-customer">Ce compte client n’existe pas}, '…said in French next to the choices';
like $html, qr{<textarea id="n-notes" name="notes" rows="3">Paiera sur place}, '…the values kept';
is bookings_total(), $before, '…nothing booked';
$r = page(POST => '/booking/reservations', $staff, "$typed&customer=$staff_id");
is $r->{status}, 422, 'a team member\'s account: refused too';
like form_html($r), qr{id="e-customer">Ce compte client n’existe pas}, '…in French';
is api(POST => '/reservations', $staff, json => { %req, date => $day, customer => $staff_id })->{json}{error}{field}, 'customer',
	'…and by the API';
is bookings_total(), $before, 'nothing booked by the refusals';
$r = page(POST => '/booking/reservations', $staff, "$typed&customerQuery=dupre&customer=$helene");
is $r->{status}, 303, 'a match chosen: booked' or diag form_html($r);
($new_id) = ($r->{headers}{location} // '') =~ m{/booking/reservations/([0-9a-f]{24})\?done=created};
my $for = api(GET => "/reservations/$new_id", $staff)->{json}{booking};
is $for->{user}, $helene, '…on her account';
is_deeply [ @$for{qw(contactName contactEmail contactPhone companyName)} ],
	[ 'Hélène Dupré-Lefèvre', 'h.dupre-lefevre@atelier-exemple.fr', '+33 6 98 76 54 32', 'Les Ateliers Réunis' ],
	'…her name, e-mail and phone where the form left them empty';
like page(GET => "/customers/$helene", $staff)->{content}, qr{href="/booking/reservations/new\?customer=$helene"},
	'her page links to a booking for her';
$r = page(GET => "/booking/reservations/new?customer=$helene", $staff);
like form_html($r), qr{<input type="radio" name="customer" value="$helene" checked>\s*<span class="choice-body"><strong>Hélène Dupré-Lefèvre}, '…which shows her chosen';
unlike form_html($r), qr{name="customer" value="" checked}, '…not a walk-in';
$r = page(GET => "/booking/reservations/new?customer=$staff_id", $staff);
like form_html($r), qr{id="e-customer">Ce compte client n’existe pas}, 'a link with an account that is no customer\'s: said';

# --- booking settings: admins, every member checked, the fees follow
is $s->get('/api/booking-settings', session => $staff, host => 'admin')->{status}, 403, 'staff cannot read the settings';
$r = $s->get('/api/booking-settings', session => $admin, host => 'admin');
is_deeply $r->{json}{settings}{cancellationPolicyOpenSpace},
	[ { daysBeforeBooking => 7, chargePercentage => 0 }, { daysBeforeBooking => 3, chargePercentage => 50 },
	  { daysBeforeBooking => 0, chargePercentage => 100 } ], 'the settings in force (seeded)';
sub settings { $s->post('/api/booking-settings', session => $_[0] // $admin, host => 'admin', json => $_[1]) }
is settings($staff, { autoNoShow => JSON::PP::true() })->{status}, 403, 'staff cannot change them';
for my $bad ([ { holdLeadDays => 9 }, 'holdLeadDays', 422 ], [ { pendingHoldMinutes => '15' }, 'pendingHoldMinutes', 400 ],
	     [ { notificationEmail => 'équipe' }, 'notificationEmail', 422 ], [ { stripeKey => 'x' }, 'stripeKey', 400 ],
	     [ { cancellationPolicyMeetingRooms => [ { daysBeforeBooking => 3, chargePercentage => 120 } ] },
	       'cancellationPolicyMeetingRooms[0]', 422 ],
	     [ { cancellationPolicyOpenSpace => [] }, 'cancellationPolicyOpenSpace', 422 ]) {
	my ($json, $field, $status) = @$bad;
	$r = settings(undef, $json);
	is $r->{status}, $status, "refused: $field ($status)";
	is $r->{json}{error}{field}, $field, '…naming it';
}
$r = settings(undef, { cancellationPolicyOpenSpace => [ { daysBeforeBooking => 0, chargePercentage => 100 },
							 { daysBeforeBooking => 20, chargePercentage => 25 } ],
		       notificationEmail => 'Equipe@CoworkingCafe.example', autoNoShow => JSON::PP::true() });
is $r->{status}, 200, 'an admin changes the settings' or diag $r->{content};
is $r->{json}{settings}{notificationEmail}, 'equipe@coworkingcafe.example', '…the e-mail normalised';
is $r->{json}{settings}{cancellationPolicyOpenSpace}[0]{daysBeforeBooking}, 20, '…tiers by days, descending';
my $os = (grep { $_->{spaceType} eq 'open-space' && $_->{status} eq 'pending' } @made)[-1];
move($os->{_id}, 'validate');
is api(GET => "/reservations/$os->{_id}/cancellation-fees", $staff)->{json}{fees}{chargePercentage}, 25,
	'the fee preview follows the new policy';
my ($se) = @{ audit_entries(collection => 'bookingsettings')->{entries} };
is $se->{action}, 'booking-settings.update', 'the change is audited as an update';
ok $se->{after}{autoNoShow} && exists $se->{after}{cancellationPolicyOpenSpace}, '…with the fields after';

# --- the audit log's screen: admins only, the changes shown
is page(GET => '/audit-log', $staff)->{status}, 403, 'staff cannot open the audit log';
$r = page(GET => "/audit-log?documentId=$f", $admin);
is $r->{status}, 200, 'an admin opens it';
$html = Encode::decode('UTF-8', $r->{content});
like $html, qr{<strong>status</strong> : pending → confirmed}, 'a change as before → after';
like $html, qr{booking\.reservations\.cancel}, 'the actions listed';
like $html, qr{<a href="/audit-log/[0-9a-f]{24}">\d\d/\d\d/\d{4} \d\d:\d\d</a>}, 'each dated 06/12/2026 14:05 (Paris), not ISO';
# filters: who, when; an entry in full; nothing else is accepted
my $today = do { my @t = localtime(time - 86400); sprintf '%04d-%02d-%02d', $t[5] + 1900, $t[4] + 1, $t[3] };
my $all = audit_entries()->{pagination}{total};
my $by_staff = audit_entries(actor => 'staff@coworkingcafe.local')->{pagination}{total};
my $by_admin = audit_entries(actor => $admin->{user}{id} // $admin->{user}{_id})->{pagination}{total};
ok $by_staff > 0 && $by_admin > 0 && $by_staff + $by_admin == $all,
   "by actor, e-mail or account id ($by_staff + $by_admin of $all)";
is audit_entries(from => '2000-01-01', to => '2000-12-31')->{pagination}{total}, 0, 'a year long past: nothing';
ok audit_entries(from => '2000-01-01')->{pagination}{total} == $all, 'from a past day: everything';
$r = $s->get('/api/audit?color=blue', session => $admin, host => 'admin');
is $r->{status}, 400, 'an undeclared filter is refused';
is $r->{json}{error}{field}, 'color', '…naming it';
$r = $s->get('/api/audit?from=31/12/2026', session => $admin, host => 'admin');
is_deeply [ $r->{status}, $r->{json}{error}{field} ], [ 400, 'from' ], 'a malformed day is refused, naming the field';
my ($one) = @{ audit_entries(action => 'booking.reservations.validate')->{entries} };
$r = $s->get("/api/audit/$one->{_id}", session => $admin, host => 'admin');
is_deeply [ $r->{status}, $r->{json}{entry}{action} ], [ 200, 'booking.reservations.validate' ], 'one entry in full';
is $s->get("/api/audit/$one->{_id}", session => $staff, host => 'admin')->{status}, 403, '…for admins only';
is $s->get('/api/audit/not-an-id', session => $admin, host => 'admin')->{status}, 404, 'an id that is not one: 404';
for my $m (qw(PUT PATCH DELETE POST)) {
	my $x = $s->request($m => "/api/audit/$one->{_id}", session => $admin, host => 'admin', json => {});
	is $x->{status}, 405, "$m of an entry: no such door ($m)";
}
$r = page(GET => "/audit-log/$one->{_id}", $admin);
is $r->{status}, 200, 'the entry\'s screen';
$html = Encode::decode('UTF-8', $r->{content});
like $html, qr{<th scope="row">status</th><td class="wrap"[^>]*><pre class="value-block">pending</pre></td><td class="wrap"[^>]*><pre class="value-block">confirmed</pre>},
     '…its changes before and after';
like page(GET => "/audit-log?actor=staff%40coworkingcafe.local&from=$today", $admin)->{content}, qr{href="/audit-log/[0-9a-f]{24}"},
     'the list filtered by who and when links to each entry';
is page(GET => '/audit-log?from=hier', $admin)->{status}, 400, 'a malformed day on the screen: said, nothing listed';
unlike page(GET => '/', $staff)->{content}, qr{href="/audit-log"}, 'staff have no audit link';
like page(GET => '/', $admin)->{content}, qr{href="/audit-log"}, 'admins have it';

$s->stop;
done_testing;
