#!/usr/bin/perl
# The client dashboard: signed out, every page sends to the login page and
# comes back after it; the overview shows the customer's next bookings
# (soonest first, not another customer's, not cancelled ones) and unread
# messages; the profile, password, settings and account deletion are
# plain form posts with the API's rules: 303 when done, the error next to
# its field otherwise, nothing written on an error.
use strict;
use warnings;
use utf8;
use FindBin;
use lib "$FindBin::Bin/lib";
use CWC::Stack;
use CWC::Bookings qw(add_days);
use Encode qw(decode_utf8);
use Test::More;
binmode $_, ':encoding(UTF-8)' for map { Test::More->builder->$_ } qw(output failure_output todo_output);

my $s = CWC::Stack->start(env => { CWC_THROTTLE_GUEST_BOOKING => '100000/3600' });
my $b = CWC::Bookings->new($s);

sub enc { my $v = shift // ''; utf8::encode($v) if utf8::is_utf8($v); $v =~ s/([^A-Za-z0-9\-._~])/sprintf '%%%02X', ord $1/ge; $v }
sub form {
	my ($sess, $path, @kv) = @_;
	my @pairs;
	while (my ($k, $v) = splice @kv, 0, 2) { push @pairs, enc($k) . '=' . enc($v) }
	my $r = $s->request(POST => $path, session => $sess, body => join('&', @pairs),
			    headers => { 'Content-Type' => 'application/x-www-form-urlencoded' });
	$r->{content} = decode_utf8($r->{content});
	return $r;
}
sub page {
	my ($sess, $path) = @_;
	my $r = $s->get($path, session => $sess);
	$r->{content} = decode_utf8($r->{content});
	return $r;
}

# ---- signed out: to the login page, and back -------------------------------
for my $p (qw(/dashboard /dashboard/profile /dashboard/settings)) {
	my $r = $s->get($p);
	is $r->{status}, 303, "$p signed out: 303";
	is $r->{headers}{location}, "/auth/login?next=$p", "$p: to the login page with next";
}
$s->seed;
my $r = $s->request(POST => '/auth/login', body => 'email=client%40coworkingcafe.local&password=cafe-client-2026&next=%2Fdashboard%2Fprofile',
		    headers => { 'Content-Type' => 'application/x-www-form-urlencoded', Origin => $s->site_url });
is $r->{headers}{location}, '/dashboard/profile', 'signing in comes back to the page asked for';
$r = $s->request(POST => '/dashboard/settings', body => 'newsletter=1',
		 headers => { 'Content-Type' => 'application/x-www-form-urlencoded', Origin => $s->site_url });
is $r->{status}, 303, 'a signed-out form post: to the login page';
like $r->{headers}{location}, qr{^/auth/login}, '… not written';

# ---- the overview ------------------------------------------------------------
my $client = $s->new_client('claire.fontaine@example.com', givenName => 'Claire', password => 'claire-password-1');
my $other = $s->new_client('autre@example.com', givenName => 'Autre');
my $first = $b->open_weekday(2, 40);
my @days;
for my $i (0 .. 11) {
	my $day = add_days($first, $i * 2);
	next if $b->holiday_name($day);
	my $r = $b->book(session => $client, date => $day, startTime => '10:00', endTime => '11:30',
			 contactName => undef, contactEmail => undef, contactPhone => undef);
	is $r->{status}, 201, "Claire books $day" or diag $r->{content};
	push @days, [$day, $r->{json}{booking}];
}
my $theirs = $b->book(session => $other, date => add_days($first, 1), startTime => '14:00', endTime => '15:00',
		      contactName => undef, contactEmail => undef, contactPhone => undef);
$r = $s->post("/api/bookings/$days[0][1]{_id}/cancel", session => $client, json => {});
is $r->{status}, 200, 'Claire cancels her first booking' or diag $r->{content};

$r = page($client, '/dashboard');
is $r->{status}, 200, 'overview: 200';
like $r->{content}, qr{<h1>Bonjour Claire</h1>}, 'overview: greets';
# "mercredi 6 janvier 2027", as the pages write a day
sub french_day {
	my ($date) = @_;
	my @wd = qw(jeudi vendredi samedi dimanche lundi mardi mercredi);   # 1970-01-01 was a Thursday
	my @mo = qw(janvier février mars avril mai juin juillet août septembre octobre novembre décembre);
	my ($y, $m, $d) = split /-/, $date;
	return "$wd[CWC::Bookings::days_of($date) % 7] " . ($d + 0) . " $mo[$m - 1] $y";
}
my @rows = $r->{content} =~ m{<li><a href="/dashboard/reservations/([\w-]+)"><strong>[^<]+</strong></a> — (\w+ \d+ \w+ \d{4}), de 10:00 à 11:30}g;
my @shown = @rows[ grep { $_ % 2 } 0 .. $#rows ];
is scalar @shown, 5, 'overview: the next five bookings';
is_deeply \@shown, [ map { french_day($_->[0]) } @days[1 .. 5] ], 'soonest first, the cancelled one left out, days in words';
is_deeply [ @rows[ grep { !($_ % 2) } 0 .. $#rows ] ], [ map { $_->[1]{confirmationNumber} } @days[1 .. 5] ],
	'each one links to its page';
unlike $r->{content}, qr{de 14:00 à 15:00}, "another customer's booking is not shown";
like $r->{content}, qr{Aucun message non lu}, 'no unread message yet';
like $r->{content}, qr{<a href="/dashboard" aria-current="page">}, 'the overview tab is current';
like $r->{content}, qr{href="/booking"}, 'a quick action to book';

# a message from the café
my $staff = $s->login('staff', undef, host => 'admin');
$r = $s->post('/api/conversations', session => $client, json => { message => 'Bonjour, une question' });
my $cid = $r->{json}{conversation}{_id} // $r->{json}{conversation}{id} // $r->{json}{id};
if ($cid) {
	for my $n (1 .. 3) {
		$r = $s->post("/api/conversations/$cid/messages", session => $staff, json => { content => "Réponse $n" });
	}
	$r = page($client, '/dashboard');
	like $r->{content}, qr{<strong>3</strong> messages non lus}, 'three unread messages from the café';
} else {
	fail 'a conversation to receive messages in'; diag explain $r->{json};
}

# ---- profile ---------------------------------------------------------------------
$r = page($client, '/dashboard/profile');
is $r->{status}, 200, 'profile: 200';
like $r->{content}, qr{id="givenName" value="Claire"}, 'profile: the current values';
$r = form($client, '/dashboard/profile', givenName => 'Claire', username => 'Fontaine',
	  phone => 'pas un numéro <b>', companyName => 'Atelier');
is $r->{status}, 422, 'a bad phone: 422';
like $r->{content}, qr{id="phone" value="pas un numéro &lt;b&gt;"[^>]*aria-invalid="true" aria-describedby="phone-error"}, 'kept and marked';
like $r->{content}, qr{<p id="phone-error" class="field-error">Saisissez un numéro}, 'the message next to the phone';
$r = page($client, '/dashboard/profile');
like $r->{content}, qr{id="username" value="test"}, 'nothing was written';
$r = form($client, '/dashboard/profile', givenName => '', username => 'Fontaine');
is $r->{status}, 422, 'an empty given name: 422';
my $company = join ' — ', ('Les Ateliers Réunis de la Petite France') x 3;
$r = form($client, '/dashboard/profile', givenName => 'Claire-Marie', username => 'Fontaine',
	  phone => '+33 6 12 34 56 78', companyName => $company);
is $r->{status}, 303, 'profile saved: 303';
is $r->{headers}{location}, '/dashboard/profile?saved=1', 'back to the profile';
$r = page($client, '/dashboard/profile?saved=1');
like $r->{content}, qr{role="status">Votre profil est enregistré}, 'says so';
like $r->{content}, qr{id="companyName" value="\Q$company\E"}, 'the long company name kept whole';
$r = $s->get('/api/user/profile', session => $client);
is $r->{json}{user}{givenName}, 'Claire-Marie', 'the API sees the new name';

# ---- password ----------------------------------------------------------------------
my $phone = $s->login('claire.fontaine@example.com', 'claire-password-1');
$r = form($client, '/dashboard/password', currentPassword => 'wrong-one-1', newPassword => 'nouveau-mot-2026');
is $r->{status}, 401, 'a wrong current password: 401';
like $r->{content}, qr{<p id="currentPassword-error" class="field-error">Ce n’est pas votre mot de passe actuel}, 'next to the field';
unlike $r->{content}, qr{wrong-one-1|nouveau-mot-2026}, 'no password sent back';
$r = form($client, '/dashboard/password', currentPassword => 'claire-password-1', newPassword => 'court');
is $r->{status}, 422, 'a short new password: 422';
$r = form($client, '/dashboard/password', currentPassword => 'claire-password-1', newPassword => 'nouveau-mot-2026');
is $r->{status}, 303, 'password changed: 303';
is $s->get('/api/auth/session', session => $phone)->{status}, 401, 'the other session ended';
is $s->get('/api/auth/session', session => $client)->{status}, 200, 'this one goes on';

# ---- settings ------------------------------------------------------------------------
$r = page($client, '/dashboard/settings');
unlike $r->{content}, qr{id="newsletter" value="1" checked}, 'newsletter: off';
$r = form($client, '/dashboard/settings', newsletter => '1');
is $r->{status}, 303, 'settings saved: 303';
$r = page($client, '/dashboard/settings?saved=1');
like $r->{content}, qr{id="newsletter" value="1" checked}, 'newsletter: on';
is $s->get('/api/user/profile', session => $client)->{json}{user}{newsletter}, JSON::PP::true(), 'the API agrees';
form($client, '/dashboard/settings');
is $s->get('/api/user/profile', session => $client)->{json}{user}{newsletter}, JSON::PP::false(), 'and off again';

# ---- deleting the account ---------------------------------------------------------------
$r = form($client, '/dashboard/delete');
is $r->{status}, 422, 'delete without the confirmation: 422';
like $r->{content}, qr{<p id="confirm-error" class="field-error">Cochez la case}, 'says what is missing';
is $s->get('/api/auth/session', session => $client)->{status}, 200, 'still there';
$r = form($client, '/dashboard/delete', confirm => '1');
is $r->{status}, 303, 'delete confirmed: 303';
is $r->{headers}{location}, '/', 'to the home page';
is $s->get('/api/auth/session', session => $client)->{status}, 401, 'signed out';
$r = $s->post('/api/auth/login', json => { email => 'claire.fontaine@example.com', password => 'nouveau-mot-2026' });
is $r->{status}, 401, 'the account is gone';

done_testing;
