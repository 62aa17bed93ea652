#!/usr/bin/perl
# The booking funnel without JavaScript: plain GET and POST forms through
# Caddy, as a browser without scripts would send them — a guest from the
# space to the confirmation number and the private link, errors next to
# their field with what was typed kept, a taken slot refused at the last
# step, a signed-in customer to "Mes réservations" and cancelling there
# with the fee shown first.
use strict;
use warnings;
use utf8;
use FindBin;
use lib "$FindBin::Bin/lib";
use CWC::Stack;
use CWC::Bookings qw(add_days);
use Encode qw(decode encode);
use Test::More;
binmode $_, ':encoding(UTF-8)' for map { Test::More->builder->$_ } qw(output failure_output todo_output);

my $s = CWC::Stack->start(env => { CWC_THROTTLE_GUEST_BOOKING => '100000/3600' });
my $b = CWC::Bookings->new($s);
my $day = $b->open_weekday(3, 30);

sub unescape {
	my ($v) = @_;
	$v =~ s/&quot;/"/g; $v =~ s/&#39;/'/g; $v =~ s/&lt;/</g; $v =~ s/&gt;/>/g; $v =~ s/&amp;/&/g;
	return $v;
}
sub enc { my $v = encode('UTF-8', $_[0]); $v =~ s/([^A-Za-z0-9_.~-])/sprintf '%%%02X', ord $1/ge; $v }

# The page's form that holds `marker` (a field name): method, action and
# its hidden fields, as a browser would submit them.
sub form_of {
	my ($html, $marker) = @_;
	for my $f ($html =~ m{(<form\b.*?</form>)}gs) {
		next unless $f =~ /name="\Q$marker\E"/;
		my ($method) = $f =~ /method="(\w+)"/;
		my ($action) = $f =~ /action="([^"]+)"/;
		my @hidden;
		push @hidden, [unescape($1), unescape($2)]
			while $f =~ /<input type="hidden" name="([^"]*)" value="([^"]*)"/g;
		return { method => uc $method, action => unescape($action), fields => \@hidden, html => $f };
	}
	die "no form with $marker";
}

# Submits form `f` with `extra` fields ([name, value]…); returns the response.
sub submit {
	my ($f, $cookie, @extra) = @_;
	my $q = join '&', map { enc($_->[0]) . '=' . enc($_->[1]) } @{ $f->{fields} }, @extra;
	my %h = (Origin => $s->site_url);
	$h{Cookie} = $cookie if $cookie;
	if ($f->{method} eq 'GET') {
		return $s->request('GET', "$f->{action}?$q", headers => { $cookie ? (Cookie => $cookie) : () });
	}
	$h{'Content-Type'} = 'application/x-www-form-urlencoded';
	return $s->request('POST', $f->{action}, headers => \%h, body => $q);
}

sub page { decode('UTF-8', $_[0]{content}) }
sub current_step { my ($h) = @_; $h =~ m{<li aria-current="step"><span class="num">(\d)</span>} ? $1 : 0 }

# --- a guest, step by step
my $r = $s->get('/reserver');
is $r->{status}, 200, '/reserver is the funnel';
my $html = page($r);
is current_step($html), 1, 'step 1: the space';
like $html, qr/Salle Verrière|Verrière/, 'the spaces are listed';
like $html, qr/name="spaceType" value="evenementiel"[^>]* disabled/, 'the event space is on quote only';
like $s->get('/')->{content}, qr{<li class="cta"><a href="/booking"}, 'the header has a Réserver link';

$r = submit(form_of($html, 'spaceType'), undef, [spaceType => 'salle-verriere']);
$html = page($r);
is current_step($html), 2, 'step 2: the reservation type';
$r = submit(form_of($html, 'reservationType'), undef, [reservationType => 'hourly']);
$html = page($r);
is current_step($html), 3, 'step 3: the date';

# a date in the past: the error is next to the field, the value kept
my $past = add_days($b->today_paris, -2);
$r = submit(form_of($html, 'date'), undef, [date => $past]);
is $r->{status}, 422, 'a past date is refused';
$html = page($r);
is current_step($html), 3, 'still the date step';
like $html, qr/<input type="date" name="date" id="date" value="\Q$past\E"[^>]*aria-describedby="date-hint date-error"[^>]*aria-invalid="true"/,
	'the date typed is kept, marked invalid, bound to its error';
like $html, qr/<p class="field-error" id="date-error">Cette date est passée\.<\/p>/, 'the error says why, in French';

$r = submit(form_of($html, 'date'), undef, [date => $day]);
$html = page($r);
is current_step($html), 4, 'step 4: times and people';
like $html, qr/<ul class="slots"/, 'the day\'s availability is on the page, without JavaScript';
unlike $html, qr/class="taken"/, 'a free day: no slot taken';

# too many people for the room
$r = submit(form_of($html, 'numberOfPeople'), undef, [startTime => '10:00'], [endTime => '12:00'], [numberOfPeople => 9]);
is $r->{status}, 422, 'too many people';
$html = page($r);
like $html, qr/id="numberOfPeople-error">[^<]*capacité/, 'the people error is next to its field';
like $html, qr/value="9"/, 'the number typed is kept';
like $html, qr/<option selected>10:00<\/option>/, 'the start time chosen is kept';

$r = submit(form_of($html, 'numberOfPeople'), undef, [startTime => '10:00'], [endTime => '12:00'], [numberOfPeople => 3]);
$html = page($r);
is current_step($html), 5, 'step 5: services';
my ($projector) = $html =~ /name="service" value="([0-9a-f]{24})"[^>]*>\s*<span class="choice-body"><strong>[^<]*[Vv]idéoprojecteur/;
($projector) = $html =~ /name="service" value="([0-9a-f]{24})"/ unless $projector;
ok $projector, 'services are offered';
$r = submit(form_of($html, 'servicesDone'), undef, [service => $projector]);
$html = page($r);
is current_step($html), 6, 'step 6: contact details';
my $cf = form_of($html, 'contactDone');
is $cf->{method}, 'POST', 'personal details are posted, not put in the URL';

# a bad e-mail: kept, with its error
my $name = 'Camille Martin-Lefèvre ' . ('de la Verrière ' x 3);
$r = submit($cf, undef, [contactName => $name], [contactEmail => 'camille@'], [contactPhone => '+33 6 12 34 56 78']);
is $r->{status}, 422, 'a bad e-mail is refused';
$html = page($r);
like $html, qr/id="contactEmail-error"/, 'the e-mail error is next to the field';
like $html, qr/value="camille@"/, 'the e-mail typed is kept';
like $html, qr/value="\Q$name\E"/, 'the name typed is kept';
# every faulty field at once, in French, from the domain's one check
$r = submit(form_of($html, 'contactDone'), undef, [contactName => $name], [contactEmail => 'camille@'],
	    [contactPhone => 'appelez-moi'], [companyName => 'S' x 201]);
$html = page($r);
like $html, qr/id="contactEmail-error">Indiquez une adresse e-mail valide/, 'the e-mail error, in French';
like $html, qr/id="contactPhone-error">Indiquez un numéro de téléphone valide/, 'the phone error too, in French';
like $html, qr/id="companyName-error">[^<]*200 caractères/, 'and the company name\'s, with its limit';
$r = submit(form_of($html, 'contactDone'), undef, [contactName => $name], [contactEmail => 'camille.guest@example.com'],
	    [contactPhone => '+33 6 12 34 56 78'], [specialRequests => "Un tableau blanc <s'il vous plaît>"]);
$html = page($r);
is current_step($html), 7, 'step 7: the summary';
like $html, qr/Total TTC<\/th><td>58\x{a0}€/, "the server's quote: 2 h of the Verrière (48 €) and the projector (10 €)";
like $html, qr/Conditions d’annulation/, 'the cancellation policy is shown';
like $html, qr/attend|transmise à l’équipe/, 'without payments, the page says the booking waits for the staff';
like $html, qr/&lt;s&#39;il vous plaît&gt;|&lt;s'il vous plaît&gt;/, 'what the guest wrote is escaped';

# the terms must be accepted
my $sf = form_of($html, 'book');
$r = submit($sf, undef, [book => 1]);
is $r->{status}, 422, 'without the terms: refused';
like page($r), qr/id="terms-error"/, 'the terms error is next to the checkbox';
is $s->get("/api/availability?spaceType=salle-verriere&date=$day")->{json}{slots}[2]{available}, JSON::PP::true(),
	'nothing was booked';

# a tampered hidden field is checked again
my @tampered = map { $_->[0] eq 'numberOfPeople' ? [numberOfPeople => 40] : $_ } @{ $sf->{fields} };
$r = submit({ %$sf, fields => \@tampered }, undef, [book => 1], [terms => 1]);
is $r->{status}, 422, 'a tampered number of people is checked again at the last step';
is current_step(page($r)), 4, 'and sends back to the times step';

$r = submit($sf, undef, [book => 1], [terms => 1]);
is $r->{status}, 303, 'booked: redirected';
my $loc = $r->{headers}{location};
like $loc, qr{^/reservation/CWC-[A-Z0-9]{6}\?token=[0-9a-f]{64}&new=1$}, 'to the private link';
my ($number) = $loc =~ m{/reservation/(CWC-[A-Z0-9]{6})};
$r = $s->get($loc);
is $r->{status}, 200, 'the confirmation page';
$html = page($r);
like $html, qr/<strong class="number">\Q$number\E<\/strong>/, 'it shows the confirmation number';
like $html, qr{<span class="badge badge-warn">En attente</span>}, 'pending, waiting for the staff';
is $s->get("/reservation/$number")->{status}, 404, 'without the token: 404';
is $s->get("/reservation/$number?token=" . ('0' x 64))->{status}, 404, 'a wrong token: 404';
my $bk = $s->get("/api/bookings/$number?" . ($loc =~ /(token=[0-9a-f]+)/)[0])->{json}{booking};
is $bk->{totalPrice}, 58, 'stored at the server\'s price';
is $bk->{numberOfPeople}, 3, 'for 3 people';
is $bk->{contactEmail}, 'camille.guest@example.com', 'the guest\'s e-mail';

# the same slot again: taken at the last step
$r = submit($sf, undef, [book => 1], [terms => 1]);
is $r->{status}, 422, 'the same slot again is refused';
like page($r), qr/Ce créneau/, 'saying the slot is taken';

# the guest cancels from the private link: pending, so free
$html = page($s->get($loc));
like $html, qr/gratuite/, 'a pending booking cancels for free';
$r = submit(form_of($html, 'reason'), undef, [reason => 'Réunion reportée']);
is $r->{status}, 200, 'cancelled from the private link';
like page($r), qr/Votre réservation est annulée/, 'the page says so';
is $s->get("/api/availability?spaceType=salle-verriere&date=$day")->{json}{slots}[2]{available}, JSON::PP::true(),
	'the slot is free again';

# --- a signed-in customer
my $client = $s->login('client');
my $cookie = $client->{cookie};
$r = $s->request('GET', "/booking?spaceType=open-space&reservationType=daily&date=$day&numberOfPeople=2&servicesDone=1",
		 headers => { Cookie => $cookie });
$html = page($r);
is current_step($html), 6, 'a signed-in customer: the state in the link leads to the contact step';
like $html, qr/client\@coworkingcafe\.local/, 'which names the account';
unlike $html, qr/name="contactEmail"/, 'and asks no contact details';
$r = submit(form_of($html, 'contactDone'), $cookie);
$html = page($r);
is current_step($html), 7, 'summary';
like $html, qr/Total TTC<\/th><td>58\x{a0}€/, 'a day of open-space for 2: 58 €';
$r = submit(form_of($html, 'book'), $cookie, [book => 1], [terms => 1]);
is $r->{status}, 303, 'booked';
like $r->{headers}{location}, qr{^/dashboard/reservations/CWC-[A-Z0-9]{6}\?new=1$}, 'to the dashboard';
($number) = $r->{headers}{location} =~ /(CWC-[A-Z0-9]{6})/;
$html = page($s->request('GET', $r->{headers}{location}, headers => { Cookie => $cookie }));
like $html, qr/\Q$number\E/, 'the confirmation page shows its number';
$html = page($s->request('GET', '/dashboard/reservations', headers => { Cookie => $cookie }));
like $html, qr/href="\/dashboard\/reservations\/\Q$number\E"/, 'listed in Mes réservations';
like $html, qr/aria-current="page">Mon espace/, 'the menu marks the section (Mon espace)';
is $s->get("/dashboard/reservations/$number")->{status}, 303, 'signed out: to the login page';
my $other = $s->new_client('autre.client@example.com');
is $s->request('GET', "/dashboard/reservations/$number", headers => { Cookie => $other->{cookie} })->{status}, 404,
	'another customer: 404';

# staff confirm it; cancelling then costs the policy's fee, shown first
my ($rc, $out) = $s->ctl('booking-status', $number, 'confirmed');
is $rc, 0, 'staff confirm it' or diag $out;
$html = page($s->request('GET', "/dashboard/reservations/$number", headers => { Cookie => $cookie }));
like $html, qr/Confirmée/, 'confirmed';
like $html, qr/Annuler maintenant coûte <strong>0\x{a0}€<\/strong>|gratuite/, 'the fee preview (30 days ahead: free for the open-space)';
$r = submit(form_of($html, 'reason'), $cookie, [reason => '']);
is $r->{status}, 200, 'cancelled from the dashboard';
like page($r), qr/Annulée/, 'now cancelled';

done_testing;
