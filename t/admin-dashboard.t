#!/usr/bin/perl
# The back office's dashboard (SPEC §9) through Caddy: a seeded month of
# bookings and two years of payments whose revenue, occupancy and
# bookings per day this test computes on its own; money for admins only
# (absent from the staff's JSON and page); a closed day is reported
# closed, never 0 %; today's arrivals with their present / no-show
# buttons; the pending bookings; the inline SVG chart, and in Chromium
# its labels unstretched at 390, 768 and 1280 px.
use strict;
use warnings;
use utf8;
use FindBin;
use lib "$FindBin::Bin/lib";
use CWC::Browser;
use CWC::Stack;
use CWC::Bookings qw(ymd add_days);
use CWC::Seed qw(date oid);
use Encode ();
use Test::More;
binmode $_, ':encoding(UTF-8)' for map { Test::More->builder->$_ } qw(output failure_output todo_output);

my $s = CWC::Stack->start;
my $b = CWC::Bookings->new($s);
my $staff = $s->login('staff', undef, host => 'admin');
my $admin = $s->login('admin', undef, host => 'admin');
my $today = $b->today_paris;
my $t = CWC::Bookings::days_of($today);
sub noon { (CWC::Bookings::days_of($_[0]) * 86400 + 12 * 3600) * 1000 }   # 13:00 or 14:00 in Paris
sub midnight { CWC::Bookings::days_of($_[0]) * 86400 * 1000 }              # a booking's `date`
my $n = 0;
sub hexid { sprintf '%024x', 0xdb0000 + ++$n }

# ---- occupancy: 14 days from a Monday ahead, a closure on the third -------
my $from = $b->open_weekday(1, 40);
my $closed = add_days($from, 2);
my ($rc, $out) = $s->ctl('closure', $closed, 'Inventaire annuel');
is $rc, 0, 'a closure' or diag $out;
my (@bookings, %booked);   # $booked{space}{date} = minutes (× people on the open-space)
sub bk {
	my (%o) = @_;
	my %d = (_id => oid(hexid()), spaceType => 'open-space', reservationType => 'hourly', numberOfPeople => 1,
		 status => 'confirmed', paymentStatus => 'unpaid', totalPrice => 12, depositAmount => 0,
		 contactName => "Client $n", contactEmail => "c$n\@example.com",
		 confirmationNumber => sprintf('CWC-T%05d', $n), createdAt => date(time * 1000), %o);
	$d{date} = date(midnight($o{date}));
	$d{endDate} = date(midnight($o{endDate})) if $o{endDate};
	push @bookings, \%d;
}
sub minutes { my ($a, $z) = @_; my ($h1, $m1) = split /:/, $a; my ($h2, $m2) = split /:/, $z; ($h2 * 60 + $m2) - ($h1 * 60 + $m1) }
sub open_minutes {
	my ($date) = @_;
	return 0 if $date eq $closed || $date =~ /-(12-25|01-01)$/;
	return 600 if $b->holiday_name($date);
	my $wd = (CWC::Bookings::days_of($date) + 3) % 7;   # 0 = Monday
	return $wd < 5 ? 660 : 600;
}
for my $k (0 .. 13) {
	my $d = add_days($from, $k);
	next unless open_minutes($d);
	my $people = $k % 4 + 1;
	bk(date => $d, startTime => '10:00', endTime => '12:00', numberOfPeople => $people);
	$booked{'open-space'}{$d} += 120 * $people;
	if ($k % 2 == 0) {
		bk(date => $d, spaceType => 'salle-verriere', startTime => '14:00', endTime => '16:30', numberOfPeople => 4);
		$booked{'salle-verriere'}{$d} += 150;
	}
	# not counted: cancelled, and pending with a hold that ran out
	bk(date => $d, startTime => '12:00', endTime => '18:00', numberOfPeople => 10, status => 'cancelled');
	bk(date => $d, startTime => '12:00', endTime => '18:00', numberOfPeople => 10, status => 'pending',
	   holdExpiresAt => date(time * 1000 - 3600_000));
}
# a pending booking without a deadline holds its seats; a completed one too
bk(date => add_days($from, 1), startTime => '15:00', endTime => '17:00', numberOfPeople => 2, status => 'pending');
$booked{'open-space'}{ add_days($from, 1) } += 240;
bk(date => add_days($from, 3), startTime => '09:00', endTime => '10:00', numberOfPeople => 5, status => 'completed');
$booked{'open-space'}{ add_days($from, 3) } += 300;
# a day booking: the day's opening hours
my $dayb = add_days($from, 4);
bk(date => $dayb, reservationType => 'daily', numberOfPeople => 3);
$booked{'open-space'}{$dayb} += 3 * open_minutes($dayb);
# a week on the Étage that started before the window
bk(date => add_days($from, -3), endDate => add_days($from, 3), spaceType => 'salle-etage', reservationType => 'weekly',
   numberOfPeople => 8);
$booked{'salle-etage'}{$_} += open_minutes($_) for map { add_days($from, $_) } 0 .. 3;
# …and one under the original's name for the Verrière (SPEC §7 legacy values)
bk(date => add_days($from, -2), endDate => add_days($from, 2), spaceType => 'meeting-room-glass',
   reservationType => 'weekly', numberOfPeople => 4);
$booked{'salle-verriere'}{$_} += open_minutes($_) for map { add_days($from, $_) } 0 .. 2;

# ---- today and the 30 days before: bookings per day, arrivals, pending -------
my %per_day;
for my $k (0 .. 29) {
	my $d = add_days($today, -$k);
	for my $i (0 .. $k % 3) {
		bk(date => $d, startTime => sprintf('%02d:00', 10 + $i), endTime => sprintf('%02d:00', 11 + $i),
		   contactName => $k == 0 ? "Arrivée du jour n°$i" : "Passé $k-$i");
		$per_day{$d}++;
	}
	bk(date => $d, startTime => '18:00', endTime => '19:00', status => 'cancelled');
}
bk(date => add_days($today, 5), startTime => '10:00', endTime => '11:00', status => 'pending',
   contactName => 'Réservation à valider');
CWC::Seed::insert($s, 'bookings', @bookings);
my @arrivals = map { $_->{_id}{'$oid'} } grep { $_->{contactName} =~ /^Arrivée du jour/ } @bookings;

# ---- payments over two years; what counts: succeeded captures, minus succeeded refunds
my (@payments, %money);   # $money{date} = cents
for my $k (0 .. 760) {
	my $d = add_days($today, -$k);
	my $amount = 1000 + ($k * 37) % 5000;
	push @payments, { _id => "t/$k/capture", kind => 'capture', status => 'succeeded', amount => $amount,
			  createdAt => date(noon($d)), updatedAt => date(noon($d)) };
	$money{$d} += $amount;
	if ($k % 5 == 0) {
		push @payments, { _id => "t/$k/fee", kind => 'capture', status => 'succeeded', amount => 2900,
				  createdAt => date(noon($d)), updatedAt => date(noon($d)) };
		$money{$d} += 2900;
		# not money: a hold's end, a release
		push @payments, { _id => "t/$k/hold", kind => 'hold', status => 'captured', amount => 5000,
				  createdAt => date(noon($d)), updatedAt => date(noon($d)) },
				{ _id => "t/$k/release", kind => 'release', status => 'succeeded', amount => 4000,
				  createdAt => date(noon($d)), updatedAt => date(noon($d)) };
	}
	if ($k % 7 == 0) {
		push @payments, { _id => "t/$k/refund", kind => 'refund', status => 'succeeded', amount => 450,
				  createdAt => date(noon($d)), updatedAt => date(noon($d)) };
		$money{$d} -= 450;
	}
	push @payments, { _id => "t/$k/authorized", kind => 'hold', status => 'authorized', amount => 99900,
			  createdAt => date(noon($d)), updatedAt => date(noon($d)) };
	push @payments, { _id => "t/$k/processing", kind => 'capture', status => 'processing', amount => 77700,
			  createdAt => date(noon($d)), updatedAt => date(noon($d)) };
}
CWC::Seed::insert($s, 'payments', @payments);
# the POS takings of the last ten days and of the same days a week before
my %pos;
for my $k (0 .. 17) {
	my $d = add_days($today, -$k);
	(my $id = $d) =~ tr{-}{/};
	CWC::Seed::insert($s, 'turnovers', { _id => $id, 'vat-20' => { 'total-ttc' => 120.5, 'total-ht' => 100.42 },
		'vat-10' => { 'total-ttc' => 55, 'total-ht' => 50 } });
	$pos{$d} = 17550;
}

sub sum_days {
	my ($h, $a, $z) = @_;
	my $sum = 0;
	$sum += $h->{ ymd($_) } // 0 for CWC::Bookings::days_of($a) .. CWC::Bookings::days_of($z);
	return $sum;
}
my ($y, $m, $dd) = split /-/, $today;
my $wd = ($t + 3) % 7;
my $mon = ymd($t - $wd);
my $month = sprintf '%04d-%02d-01', $y, $m;
my ($py, $pm) = $m == 1 ? ($y - 1, 12) : ($y, $m - 1);
my $pmonth = sprintf '%04d-%02d-01', $py, $pm;
my $dim = CWC::Bookings::days_of(sprintf '%04d-%02d-01', $m == 1 ? $y : $y, $m) - CWC::Bookings::days_of($pmonth);
my $pmonth_end = add_days($pmonth, ($dd > $dim ? $dim : $dd) - 1);
my $year = "$y-01-01";
my $pyear = ($y - 1) . '-01-01';
my $pyear_end = add_days($pyear, $t - CWC::Bookings::days_of($year));
$pyear_end = ($y - 1) . '-12-31' if $pyear_end ge $year;
my %expect = (
	yesterday => [ sum_days(\%money, add_days($today, -1), add_days($today, -1)), sum_days(\%money, add_days($today, -8), add_days($today, -8)) ],
	week => [ sum_days(\%money, $mon, $today), sum_days(\%money, add_days($mon, -7), add_days($today, -7)) ],
	month => [ sum_days(\%money, $month, $today), sum_days(\%money, $pmonth, $pmonth_end) ],
	year => [ sum_days(\%money, $year, $today), sum_days(\%money, $pyear, $pyear_end) ],
);

# ---- the admin's dashboard -----------------------------------------------------
my $r = $s->get("/api/dashboard?from=$from&days=14", session => $admin, host => 'admin');
is $r->{status}, 200, 'the dashboard' or diag $r->{content};
my $j = $r->{json};
my %rev = map { $_->{key} => $_ } @{ $j->{revenue} // [] };
for my $k (qw(yesterday week month year)) {
	is $rev{$k}{cents}, $expect{$k}[0], "revenue $k";
	is $rev{$k}{previousCents}, $expect{$k}[1], "revenue $k, the period before";
}
is $rev{week}{pos}{ttc}, sum_days(\%pos, $mon, $today), 'the POS takings of the week';
is $rev{week}{pos}{previousTtc}, sum_days(\%pos, add_days($mon, -7), add_days($today, -7)), '... and of the week before';
# the same figures again (past days now kept in statsdaily)
my $again = $s->get("/api/dashboard?from=$from&days=14", session => $admin, host => 'admin')->{json};
is_deeply [ map { [$_->{cents}, $_->{previousCents}] } @{ $again->{revenue} } ],
	[ map { [$_->{cents}, $_->{previousCents}] } @{ $j->{revenue} } ], 'the same revenue when read again';

my %occ = map { $_->{spaceType} => $_ } @{ $j->{occupancy} };
my $cap = { 'open-space' => 40, 'salle-verriere' => 1, 'salle-etage' => 1 };
for my $space (sort keys %$cap) {
	my @days = @{ $occ{$space}{days} // [] };
	is scalar @days, 14, "$space: 14 days";
	my @bad;
	for my $d (@days) {
		my $open = open_minutes($d->{date}) * $cap->{$space};
		my $booked = $booked{$space}{ $d->{date} } // 0;
		if (!$open) {
			push @bad, "$d->{date}: closed but " . ($d->{percent} // 'null') unless !$d->{open} && !defined $d->{percent};
			next;
		}
		my $pct = int((int($booked * 1000 / $open) + 5) / 10);
		push @bad, "$d->{date}: $d->{bookedMinutes}/$d->{openMinutes} = " . ($d->{percent} // 'null') . ", expected $booked/$open = $pct"
			unless $d->{bookedMinutes} == $booked && $d->{openMinutes} == $open && defined $d->{percent} && $d->{percent} == $pct;
	}
	ok !@bad, "$space: occupancy of every day" or diag join "\n", @bad;
}
my ($closed_day) = grep { $_->{date} eq $closed } @{ $occ{'open-space'}{days} };
ok !$closed_day->{open} && !defined $closed_day->{percent}, 'the closed day is closed, not 0 %';

my %chart = map { $_->{date} => $_->{count} } @{ $j->{bookingsPerDay} };
is scalar keys %chart, 30, '30 days in the chart';
is_deeply \%chart, { map { add_days($today, -$_) => $per_day{ add_days($today, -$_) } } 0 .. 29 },
	'bookings per day (cancelled left out)';
is_deeply [ sort map { $_->{id} } @{ $j->{arrivals} } ], [ sort @arrivals ], "today's arrivals";
ok((grep { $_->{name} eq 'Réservation à valider' } @{ $j->{pending} }), 'the booking to validate');

# ---- money is for admins -------------------------------------------------------
$r = $s->get("/api/dashboard?from=$from&days=14", session => $staff, host => 'admin');
is $r->{status}, 200, 'the staff read the dashboard';
ok !exists $r->{json}{revenue}, '... without revenue';
unlike $r->{content}, qr/cents|€/i, '... no money anywhere in it';
ok $r->{json}{occupancy}, '... with the occupancy';
my $page = Encode::decode('UTF-8', $s->get("/?from=$from&days=14", session => $staff, host => 'admin')->{content});
unlike $page, qr/€|Chiffre d’affaires/, "the staff's page shows no money";
like $page, qr/<svg class="chart"/, '... the chart is an inline SVG';
like $page, qr{<svg class="chart".*<text [^>]*>\d+(?:er)? (?:janv\.|févr\.|mars|avr\.|mai|juin|juil\.|août|sept\.|oct\.|nov\.|déc\.)</text>}s,
	'... its days labelled in French words ("7 nov."), not MM-DD';
unlike $page, qr/<script(?![^>]*src="\/static\/badges)/, '... and needs no script of its own';
like $page, qr{action="/booking/reservations/$arrivals[0]/mark-present"}, '... a present button for an arrival';
like $page, qr{action="/booking/reservations/$arrivals[0]/mark-noshow"}, '... and a no-show one';
like $page, qr{<td class="wrap cell-title" data-label="Client"><a href="/booking/reservations/$arrivals[0]">Arrivée du jour n°0</a>},
	"... today's arrivals by name, the name leading its card on a phone and linking to the booking";
like $page, qr/fermé/, '... a closed day says so';
$page = Encode::decode('UTF-8', $s->get("/?from=$from&days=14", session => $admin, host => 'admin')->{content});
like $page, qr/Chiffre d’affaires/, "the admin's page shows the revenue";
like $page, qr/€/, '... in euros';
is $s->get('/api/dashboard?days=99', session => $admin, host => 'admin')->{status}, 400, 'days above 62: 400';
is $s->get('/api/dashboard?from=2026-13-01', session => $admin, host => 'admin')->{status}, 400, 'a bad date: 400';

# ---- the chart as a browser draws it -------------------------------------------
# It fills the card's width on a phone, a tablet and a laptop, and its day
# labels keep their font's shape (drawn at 1:1, not squashed or stretched
# with the bars), none over the next.
SKIP: {
	skip 'chromium is not installed', 9 unless CWC::Browser::binary();
	my $br = CWC::Browser->start or BAIL_OUT('chromium did not start');
	my $p = $br->page;
	$p->sign_in($s->admin_url, '/login', 'staff');
	for my $w (390, 768, 1280) {
		$p->viewport($w, 900);
		$p->goto($s->admin_url . '/');
		ok $p->js(q{(() => { const c = document.querySelector('svg.chart'), box = c.parentElement;
			return Math.abs(c.getBoundingClientRect().width - box.clientWidth) < 1 && box.clientWidth > 0.6 * innerWidth; })()}),
			"$w px: the chart fills its card's width";
		my $bad = $p->js(q{(() => { const t = [...document.querySelectorAll('svg.chart text')], bad = [];
			if (t.length < 4) bad.push(t.length + ' labels');
			t.forEach((e, i) => { const m = e.getScreenCTM();
				if (Math.abs(m.a - 1) > 0.01 || Math.abs(m.d - 1) > 0.01 || m.b || m.c)
					bad.push(e.textContent + ': drawn at ' + m.a.toFixed(2) + ' × ' + m.d.toFixed(2));
				if (i && t[i - 1].getBoundingClientRect().right > e.getBoundingClientRect().left)
					bad.push(e.textContent + ': over ' + t[i - 1].textContent); });
			return bad.join('; '); })()});
		is $bad, '', "$w px: its day labels are drawn at their font's shape, none over another";
		ok $p->js(q{(() => { const r = [...document.querySelectorAll('svg.chart rect')], c = document.querySelector('svg.chart').getBoundingClientRect();
			return r.length === 30 && r[29].getBoundingClientRect().right > c.right - c.width / 30; })()}),
			"$w px: the 30 bars span the chart";
	}
}

$s->stop;
done_testing;
