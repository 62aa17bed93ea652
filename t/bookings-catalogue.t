#!/usr/bin/perl
# The catalogue's back office through Caddy (SPEC §7 Staff operations,
# §9 "spaces and prices, services, hours and closures, booking
# settings"): each change through the admin API and through the plain
# HTML forms, refused input naming the field with nothing written, the
# roles (staff read, admins write), one audit entry per write, the live
# price preview (the server's quote with unsaved values), the hours
# change that would strand bookings asking for a confirmation; and the
# site (/pricing, /espaces, /horaires, the quote, GET /api/availability,
# the closure banner) showing a change at once: one source of truth.
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

my $s = CWC::Stack->start;
my $b = CWC::Bookings->new($s);
my $staff = $s->login('staff', undef, host => 'admin');
my $admin = $s->login('admin', undef, host => 'admin');
my $client = $s->login('client');

sub api { my ($method, $path, $who, $json) = @_;
	$s->request($method, "/api$path", session => $who, host => 'admin', (defined $json ? (json => $json) : ())) }
sub url_encode { my $v = Encode::encode('UTF-8', shift // ''); $v =~ s/([^A-Za-z0-9_.~-])/sprintf '%%%02X', ord $1/ge; $v }
sub page { my ($method, $path, $who, $form) = @_;
	my $body = defined $form ? join '&', map { "$_=" . url_encode($form->{$_}) } sort keys %$form : undef;
	$s->request($method, $path, session => $who, host => 'admin',
		    (defined $body ? (body => $body, headers => { 'Content-Type' => 'application/x-www-form-urlencoded' }) : ())) }
sub text { Encode::decode('UTF-8', $_[0]{content} // '') }
sub audit_count {
	my (%q) = @_;
	my $qs = join '&', map { "$_=$q{$_}" } sort keys %q;
	my $r = $s->get("/api/audit-log?limit=100&$qs", session => $admin, host => 'admin');
	die "audit-log: $r->{status}" unless $r->{status} == 200;
	return $r->{json}{pagination}{total};
}
sub quote_total { my $r = $b->quote(@_); $r->{status} == 200 ? $r->{json}{quote}{totalPrice} : "status $r->{status}" }
sub space { api(GET => "/booking/spaces/$_[0]", $staff)->{json}{space} }

my $day = $b->open_weekday(1, 40);     # a Monday, 40+ days ahead, not a holiday
my %ex = (reservationType => 'hourly', date => $day, startTime => '10:00', endTime => '12:00', numberOfPeople => 2);

# ---------------------------------------------------------------- spaces: API
my $r = api(GET => '/booking/spaces', $staff);
is $r->{status}, 200, 'staff list the spaces';
is scalar(@{ $r->{json}{spaces} }), 4, 'the four seeded spaces';
is $s->get('/api/booking/spaces', session => $client, host => 'admin')->{status}, 403, 'a customer may not read them';
is quote_total(%ex, spaceType => 'salle-verriere'), 48, 'Verrière 2 h for 2: 48 € before the change';

my $audits = audit_count(collection => 'spaceconfigurations');
is api(PATCH => '/booking/spaces/salle-verriere', $staff, { pricing => { hourly => 30 } })->{status}, 403,
	'staff may not change a price';
is api(PATCH => '/booking/spaces/salle-verriere', undef, { pricing => { hourly => 30 } })->{status}, 401, 'signed out: 401';

# refusals: nothing written, the field named
for my $case (
	[{ pricing => { hourly => -5 } }, 'pricing.hourly', 'a negative price'],
	[{ pricing => { daily => 'cher' } }, 'pricing.daily', 'a price that is not a number'],
	[{ pricing => { hourly => 12.345 } }, 'pricing.hourly', 'a price in thousandths'],
	[{ minCapacity => 6 }, 'maxCapacity', 'a minimum above the maximum (5)'],
	[{ minCapacity => 8, maxCapacity => 3 }, 'maxCapacity', 'min > max in one change'],
	[{ availableReservationTypes => { yearly => JSON::PP::true() } }, 'availableReservationTypes.yearly', 'an unknown reservation type'],
	[{ availableReservationTypes => { hourly => JSON::PP::false(), daily => JSON::PP::false() } }, 'availableReservationTypes', 'no reservation type at all'],
	[{ name => '' }, 'name', 'an empty name'],
	[{ colour => 'red' }, 'colour', 'an unknown member'],
) {
	my ($body, $field, $what) = @$case;
	$r = api(PATCH => '/booking/spaces/salle-verriere', $admin, $body);
	ok $r->{status} == 400 || $r->{status} == 422, "$what: refused ($r->{status})";
	is $r->{json}{error}{field}, $field, "… naming $field";
}
is space('salle-verriere')->{pricing}{hourly}, 24, 'nothing written by the refusals';
is audit_count(collection => 'spaceconfigurations'), $audits, '… and nothing audited';

# the preview: the server's quote with unsaved values, nothing written
$r = api(POST => '/booking/space-preview', $staff,
	 { spaceType => 'open-space', space => { pricing => { hourly => 7 } }, example => \%ex });
is $r->{status}, 200, 'the preview quotes';
is $r->{json}{quote}{totalPrice}, 28, '… with the unsaved hourly price (2 people × 2 h × 7 €)';
$r = api(POST => '/booking/space-preview', $staff,
	 { spaceType => 'salle-verriere', space => { pricing => { tiers => [{ minPeople => 1, maxPeople => 1, hourlyRate => 24, dailyRate => 120, extraPersonHourly => 10 }] } },
	   example => { %ex, numberOfPeople => 3 } });
is $r->{json}{quote}{totalPrice}, 88, '… and the unsaved extra-person rate (48 + 2 × 2 h × 10 €)';
$r = api(POST => '/booking/space-preview', $staff, { spaceType => 'salle-verriere', space => { pricing => { hourly => -1 } }, example => \%ex });
is $r->{json}{error}{field}, 'pricing.hourly', 'a bad unsaved price is named by the preview';
is quote_total(%ex, spaceType => 'salle-verriere'), 48, 'the preview wrote nothing';

# a change through the API: the site sees it at once
$r = api(PATCH => '/booking/spaces/salle-verriere', $admin,
	 { name => 'Salle Verrière (rénovée)', pricing => { hourly => 30, tiers => [{ minPeople => 1, maxPeople => 4, hourlyRate => 30, dailyRate => 120, extraPersonHourly => 6, extraPersonDaily => 30 }] } });
is $r->{status}, 200, 'an admin changes the hourly price and the name' or diag $r->{content};
is $r->{json}{space}{pricing}{hourly}, 30, '… stored in euros';
is audit_count(collection => 'spaceconfigurations'), $audits + 1, 'one audit entry';
is quote_total(%ex, spaceType => 'salle-verriere'), 60, 'the site quote follows at once (2 h × 30 €)';
like text($s->get('/espaces')), qr/Salle Verrière \(rénovée\)/, '/espaces shows the new name';
like text($s->get('/pricing')), qr/30(?:,00)?\x{a0}€/, '/pricing shows the new price';

# deactivate: no longer bookable; reactivate
is api(POST => '/booking/spaces/salle-etage/deactivate', $staff)->{status}, 403, 'staff may not deactivate';
is api(POST => '/booking/spaces/salle-etage/deactivate', $admin)->{status}, 200, 'an admin deactivates a space';
$r = $b->quote(%ex, spaceType => 'salle-etage');
is $r->{status}, 422, 'an inactive space is not quoted';
is $r->{json}{error}{code}, 'space_unavailable', '… space_unavailable';
is api(PATCH => '/booking/spaces/salle-etage', $admin, { isActive => JSON::PP::true() })->{status}, 200, 'and reactivates it';
is $b->quote(%ex, spaceType => 'salle-etage')->{status}, 200, 'bookable again';

# create: the four types only, never twice
$r = api(POST => '/booking/spaces', $admin, { spaceType => 'salle-etage', name => 'Encore', maxCapacity => 4 });
is $r->{status}, 409, 'a space type that exists is not created twice';
$r = api(POST => '/booking/spaces', $admin, { spaceType => 'rooftop', name => 'Toit', maxCapacity => 4 });
is $r->{json}{error}{field}, 'spaceType', 'an unknown space type is refused, naming spaceType';
is api(POST => '/booking/spaces', $staff, { spaceType => 'rooftop', name => 'Toit' })->{status}, 403, 'staff may not create';

# ---------------------------------------------------------------- spaces: forms
$r = page(GET => '/booking/spaces', $staff);
is $r->{status}, 200, 'staff read the spaces page';
like text($r), qr/Salle Verrière \(rénovée\)/, '… with the spaces';
$r = page(GET => '/booking/spaces/open-space', $staff);
like text($r), qr/Lecture seule/, 'staff see the form read-only';
unlike text($r), qr/value="save"/, '… without the save button';
my %form = (name => 'Open-space', description => 'Espace partagé', minCapacity => 1, maxCapacity => 40,
	    hourly => '6', daily => '29', weekly => '99', monthly => '290', perPerson => 1,
	    rt_hourly => 1, rt_daily => 1, rt_weekly => 1, rt_monthly => 1, isActive => 1, displayOrder => 1,
	    exType => 'hourly', exDate => $day, exStart => '10:00', exEnd => '12:00', exPeople => 2);
is page(POST => '/booking/spaces/open-space', $staff, { %form, action => 'save' })->{status}, 403, 'staff may not post the form';
$r = page(POST => '/booking/spaces/open-space', $admin, { %form, hourly => '6,5x', action => 'save' });
is $r->{status}, 422, 'a bad price in the form is refused';
like text($r), qr/field-error[^>]*>[^<]*prix/i, '… with a French message next to the field';
like text($r), qr/value="6,5x"/, '… keeping what was typed';
$r = page(POST => '/booking/spaces/open-space', $admin, { %form, minCapacity => 50, action => 'save' });
is $r->{status}, 422, 'min > max in the form is refused';
like text($r), qr/capacité maximale/, '… saying so in French';
$r = page(POST => '/booking/spaces/open-space', $admin, { %form, hourly => '7,50', action => 'preview' });
is $r->{status}, 200, '"Prévisualiser" re-renders the page';
like text($r), qr/30,00\x{a0}€/, '… with the quote of the unsaved values (2 people × 2 h × 7,50 €)';
is quote_total(%ex, spaceType => 'open-space'), 24, '… and nothing written';
$r = page(POST => '/booking/space-preview', $staff, { %form, spaceType => 'open-space', hourly => '8' });
is $r->{status}, 200, 'the live preview answers the form as JSON';
is $r->{json}{preview}{total}, "32,00\x{a0}€", '… with the server\'s quote (2 × 2 h × 8 €)';
$r = page(POST => '/booking/space-preview', $staff, { %form, spaceType => 'open-space', hourly => 'x' });
is $r->{json}{error}{field}, 'hourly', '… and a bad value named by its form field';
$audits = audit_count(collection => 'spaceconfigurations');
$r = page(POST => '/booking/spaces/open-space', $admin, { %form, hourly => '7,50', action => 'save' });
is $r->{status}, 303, 'the form saves' or diag text($r);
is quote_total(%ex, spaceType => 'open-space'), 30, 'the site quote follows (2 × 2 h × 7,50 €)';
is audit_count(collection => 'spaceconfigurations'), $audits + 1, 'the form is audited';

# ---------------------------------------------------------------- services
my $services_audit = audit_count(collection => 'additionalservices');
$r = api(POST => '/booking/services', $admin, { name => 'Corbeille de fruits de saison', price => 12.5, priceUnit => 'flat-rate', vatRate => 5.5, category => 'food' });
is $r->{status}, 201, 'an admin creates a service' or diag $r->{content};
my $sid = $r->{json}{service}{_id};
ok $sid, '… with an id';
my @site = grep { $_->{name} eq 'Corbeille de fruits de saison' } @{ $s->get('/api/additional-services')->{json}{services} // [] };
is scalar(@site), 1, 'the site offers it at once';
for my $case ([{ price => -1 }, 'price'], [{ vatRate => 150 }, 'vatRate'], [{ priceUnit => 'per-hour' }, 'priceUnit'],
	      [{ availableForSpaceTypes => ['rooftop'] }, 'availableForSpaceTypes']) {
	$r = api(PATCH => "/booking/services/$sid", $admin, $case->[0]);
	is $r->{json}{error}{field}, $case->[1], "a bad $case->[1] is refused, named";
}
is api(PATCH => "/booking/services/$sid", $staff, { price => 1 })->{status}, 403, 'staff may not change a service';
is api(PATCH => "/booking/services/$sid", $admin, { price => 14 })->{status}, 200, 'an admin changes its price';
like text($s->get('/pricing')), qr/Corbeille de fruits de saison/, '/pricing lists the service';
is api(POST => "/booking/services/$sid/deactivate", $admin)->{status}, 200, 'and deactivates it';
@site = grep { $_->{name} eq 'Corbeille de fruits de saison' } @{ $s->get('/api/additional-services')->{json}{services} // [] };
is scalar(@site), 0, 'the site no longer offers it';
is audit_count(collection => 'additionalservices'), $services_audit + 3, 'three service writes, three audit entries';
# by the forms
my %sform = (name => 'Écran 4K avec câbles', price => '15', priceUnit => 'flat-rate', vatRate => '20', category => 'equipment',
	     order => 9, isActive => 1, 'for_salle-verriere' => 1);
$r = page(POST => '/booking/services', $admin, { %sform, price => '-3' });
is $r->{status}, 422, 'the service form refuses a bad price';
like text($r), qr/value="-3"/, '… keeping it';
$r = page(POST => '/booking/services', $admin, \%sform);
is $r->{status}, 303, 'the service form creates one';
my ($new_sid) = ($r->{headers}{location} // '') =~ m{/booking/services/([0-9a-f]{24})};
ok $new_sid, '… and shows it';
like text(page(GET => '/booking/services', $staff)), qr/Écran 4K avec câbles/, 'staff see it in the list';
is page(POST => "/booking/services/$new_sid", $staff, \%sform)->{status}, 403, 'staff may not post the service form';

# ---------------------------------------------------------------- hours and closures
my $monday_late = $b->book(date => $day, startTime => '18:00', endTime => '20:00');
is $monday_late->{status}, 201, 'a booking on the Monday 18:00–20:00';
my $hours = api(GET => '/settings/hours', $staff)->{json}{hours};
ok $hours->{defaultHours}{monday}, 'staff read the hours';
my %week = %{ $hours->{defaultHours} };
my $hours_audit = audit_count(collection => 'globalhoursconfigurations');
for my $case (
	[{ %{ $week{monday} }, openTime => '10:00', closeTime => '09:00' }, 'defaultHours.monday.closeTime', 'to before from'],
	[{ %{ $week{monday} }, openTime => '09:15' }, 'defaultHours.monday.openTime', 'a time off the 30-minute grid'],
	[{ %{ $week{monday} }, closeTime => '25:00' }, 'defaultHours.monday.closeTime', 'no such time'],
) {
	$r = api(PUT => '/settings/hours', $admin, { defaultHours => { monday => $case->[0] } });
	is $r->{status}, 422, "$case->[2]: refused";
	is $r->{json}{error}{field}, $case->[1], "… naming $case->[1]";
}
$r = api(PUT => '/settings/hours', $admin, { annualClosures => ['02-31'] });
is $r->{json}{error}{field}, 'annualClosures', '31 February is not a yearly closure';
$r = api(PUT => '/settings/hours', $staff, { defaultHours => { monday => { isOpen => JSON::PP::true(), openTime => '09:00', closeTime => '18:00' } } });
is $r->{status}, 403, 'staff may not change the hours';
$r = api(PUT => '/settings/hours', $admin, { defaultHours => { monday => { isOpen => JSON::PP::true(), openTime => '09:00', closeTime => '18:00' } } });
is $r->{status}, 409, 'closing Mondays at 18:00 with a booking until 20:00 asks for a confirmation';
is $r->{json}{error}{conflicts}, 1, '… counting the booking';
is audit_count(collection => 'globalhoursconfigurations'), $hours_audit, 'nothing written yet';
my @slots = grep { $_->{time} eq '19:00' && $_->{available} } @{ $s->get("/api/availability?spaceType=open-space&date=$day")->{json}{slots} // [] };
is scalar(@slots), 1, 'the site still offers 19:00 on that Monday';
$r = api(PUT => '/settings/hours', $admin, { defaultHours => { monday => { isOpen => JSON::PP::true(), openTime => '09:00', closeTime => '18:00' } }, confirm => JSON::PP::true() });
is $r->{status}, 200, 'confirmed, the hours are saved' or diag $r->{content};
is audit_count(collection => 'globalhoursconfigurations'), $hours_audit + 1, 'one audit entry';
@slots = grep { $_->{time} ge '18:00' } @{ $s->get("/api/availability?spaceType=open-space&date=$day")->{json}{slots} // [] };
is scalar(@slots), 0, 'GET /api/availability follows at once: nothing from 18:00';
like text($s->get('/horaires')), qr/18 h/, '/horaires shows the new closing time';
is $b->book(date => add_days($day, 7), startTime => '18:00', endTime => '19:00')->{status}, 422, 'a new booking after 18:00 is refused';

# the hours form and its confirmation step
my %hform;
for my $d (qw(monday tuesday wednesday thursday friday saturday sunday)) {
	$hform{"open_$d"} = 1;
	$hform{"from_$d"} = $d =~ /^s/ ? '10:00' : '09:00';
	$hform{"to_$d"} = '20:00';
}
@hform{qw(open_holiday from_holiday to_holiday annualClosures)} = (1, '10:00', '20:00', '12-25, 01-01');
$r = page(POST => '/booking/hours', $admin, { %hform, to_tuesday => '08:00' });
is $r->{status}, 422, 'the hours form refuses a closing before the opening';
like text($r), qr/La fermeture doit suivre/, '… in French';
$r = page(POST => '/booking/hours', $admin, \%hform);
is $r->{status}, 303, 'the hours form saves Mondays back to 20:00 (no booking stranded)';
my $tuesday = add_days($day, 1);
is $b->book(date => $tuesday, startTime => '17:00', endTime => '19:00')->{status}, 201, 'a booking on the Tuesday until 19:00';
$r = page(POST => '/booking/hours', $admin, { %hform, to_tuesday => '17:00' });
is $r->{status}, 409, 'closing Tuesdays at 17:00 shows the confirmation step';
like text($r), qr/1 réservation\(s\).*hors des nouveaux horaires/s, '… telling how many bookings';
like text($r), qr/name="confirm" value="1"/, '… with a confirm button';
like text($r), qr/value="17:00"/, '… keeping what was typed';
$r = page(POST => '/booking/hours', $admin, { %hform, to_tuesday => '17:00', confirm => 1 });
is $r->{status}, 303, 'confirmed, the form saves';
is $b->quote(date => add_days($tuesday, 7), startTime => '17:00', endTime => '18:00')->{status}, 422,
	'the site refuses 17:00 on Tuesdays now';

# closures
my $closed = add_days($day, 2);
$r = api(POST => '/settings/hours/closures', $admin, { date => '2027-02-31', reason => 'x' });
is $r->{json}{error}{field}, 'date', '31 February is refused, naming date';
$r = api(POST => '/settings/hours/closures', $admin, { date => $closed, isFullDay => JSON::PP::false(), startTime => '14:00', endTime => '12:00' });
is $r->{json}{error}{field}, 'endTime', 'a partial closure ending before it starts is refused';
$r = api(POST => '/settings/hours/closures', $admin, { date => $closed, isFullDay => JSON::PP::false(), startTime => '14:10', endTime => '16:00' });
is $r->{json}{error}{code}, 'time_grid', 'a partial closure off the grid is refused';
$r = page(POST => '/booking/hours/closures', $admin, { date => $closed, reason => 'Inventaire annuel du café' });
is $r->{status}, 303, 'the closure form adds a closure' or diag text($r) =~ s{.*<main}{}sr;
is scalar(@{ $s->get("/api/availability?spaceType=open-space&date=$closed")->{json}{slots} // [] }), 0,
	'the site offers nothing that day';
my $gh = $s->get('/api/global-hours')->{json};
ok((grep { ($_->{reason} // '') eq 'Inventaire annuel du café' } @{ $gh->{closures} // $gh->{exceptionalClosures} // [] }),
   '/api/global-hours lists it');
like text(page(GET => '/booking/hours', $staff)), qr/Inventaire annuel du café/, 'the hours page lists it';
{
	my $t = text(page(GET => '/booking/hours', $staff));
	my ($y, $m, $d) = split /-/, $closed;
	my $month = (qw(janvier février mars avril mai juin juillet août septembre octobre novembre décembre))[$m - 1];
	my $dn = $d + 0 == 1 ? '1er' : $d + 0;
	like $t, qr/\Q$dn $month $y\E/, '… dated in French words, not as an ISO string';
	unlike $t, qr/class="banner"/, '… with no empty closure banner (the add form is not the layout\'s banner)';
}
$r = page(POST => '/booking/hours/closures', $admin, { date => $day, partial => 1, startTime => '18:00', endTime => '19:00', reason => 'Travaux' });
is $r->{status}, 409, 'a closure over a booking asks for a confirmation';
my $hours_doc = api(GET => '/settings/hours', $staff)->{json}{hours};
my ($idx) = grep { ($hours_doc->{exceptionalClosures}[$_]{reason} // '') eq 'Inventaire annuel du café' } 0 .. $#{ $hours_doc->{exceptionalClosures} };
is page(POST => "/booking/hours/closures/$idx/delete", $staff)->{status}, 403, 'staff may not delete a closure';
is page(POST => "/booking/hours/closures/$idx/delete", $admin)->{status}, 303, 'an admin deletes it';
ok scalar(@{ $s->get("/api/availability?spaceType=open-space&date=$closed")->{json}{slots} // [] }) > 0, 'the day is open again';

# the site's closure banner: a closure within 30 days
my $soon = $b->open_weekday(3, 5);
$r = api(POST => '/settings/hours/closures', $admin, { date => $soon, reason => 'Formation de l’équipe', confirm => JSON::PP::true() });
is $r->{status}, 201, 'a closure in a few days' or diag $r->{content};
like text($s->get('/')), qr/Formation de l’équipe/, 'the site\'s banner shows its reason';

# ---------------------------------------------------------------- booking settings page
is page(GET => '/booking/settings', $staff)->{status}, 403, 'staff may not open the booking settings';
$r = page(GET => '/booking/settings', $admin);
is $r->{status}, 200, 'an admin opens them';
like text($r), qr/7:0, 3:50, 0:100/, '… with the open-space policy';
my %gform = (cancellationPolicyOpenSpace => '7:0, 3:50, 0:100', cancellationPolicyMeetingRooms => '22:0, 15:30, 8:50, 0:70',
	     notificationEmail => 'equipe@example.com', holdLeadDays => 3, pendingHoldMinutes => 20);
$r = page(POST => '/booking/settings', $admin, { %gform, pendingHoldMinutes => 500 });
is $r->{status}, 422, 'a hold of 500 minutes is refused';
like text($r), qr/de 5 à 120/, '… in French';
$r = page(POST => '/booking/settings', $admin, { %gform, cancellationPolicyOpenSpace => '7 jours' });
is $r->{status}, 400, 'an unreadable policy is refused';
$r = page(POST => '/booking/settings', $admin, \%gform);
is $r->{status}, 303, 'the settings form saves';
is api(GET => '/booking-settings', $admin)->{json}{settings}{pendingHoldMinutes}, 20, '… read back by the API';

# ---------------------------------------------------------------- cwc-ctl seed keeps the staff's edits
my ($rc, $out) = $s->ctl('seed');
is $rc, 0, 'cwc-ctl seed runs again';
is space('salle-verriere')->{name}, 'Salle Verrière (rénovée)', '… keeping the edited name';
is quote_total(%ex, spaceType => 'open-space'), 30, '… and the edited price';
@site = grep { $_->{name} eq 'Corbeille de fruits de saison' } @{ $s->get('/api/additional-services')->{json}{services} // [] };
is scalar(@site), 0, '… and the deactivated service stays off';
is api(GET => '/booking-settings', $admin)->{json}{settings}{pendingHoldMinutes}, 20, '… and the settings';
@slots = grep { $_->{time} ge '17:00' } @{ $s->get("/api/availability?spaceType=open-space&date=" . add_days($tuesday, 7))->{json}{slots} // [] };
is scalar(@slots), 0, '… and the hours';

# ---------------------------------------------------------------- the sidebar
my $nav = text(page(GET => '/', $staff));
like $nav, qr{href="/booking/spaces"}, 'staff have Espaces et tarifs in the sidebar';
unlike $nav, qr{href="/booking/settings"}, '… but not the booking settings';
like text(page(GET => '/', $admin)), qr{href="/booking/settings"}, 'admins have the booking settings';

$s->stop;
done_testing;
