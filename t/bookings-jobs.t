#!/usr/bin/perl
# The bookings' daily jobs through the real stack and the fake of Stripe
# (SPEC §7 "Mails and jobs", docs/booking.md "Jobs"):
#   reminders     one "rappel J-1" per confirmed booking of tomorrow, with
#                 its invitation (read with Python's icalendar), even when
#                 two runs start together; a mail that could not be queued
#                 (a bad address) is sent by the next run, the others not
#                 again;
#   attendance    yesterday's unmarked bookings listed to the staff once;
#                 with autoNoShow, marked no-show and the fee captured once
#                 (two runs at once), Stripe down for the captures → the
#                 rerun captures them, nothing twice; the no-show mail
#                 carries the fee;
#   daily-report  arrivals, tomorrow, to validate, a hold lapsing before
#                 its booking ends, the money moved today; one mail for two
#                 runs; a failed run finished by the next.
# And the staff's live event: each change of status reaches a staff
# socket as {"type":"badge","badge":"bookings"}, never a customer's.
use strict;
use warnings;
use utf8;
use FindBin;
use lib "$FindBin::Bin/lib", "$FindBin::Bin/fake";
use CWC::RelayTest;
use CWC::Stack;
use CWC::Bookings qw(add_days);
use CWC::Cron;
use CWC::Stripe;
use FakeService;
use Encode qw(decode encode);
use HTTP::Tiny;
use JSON::PP;
use POSIX ();
use Test::More;
use Time::HiRes qw(sleep time);
binmode $_, ':encoding(UTF-8)' for map { Test::More->builder->$_ } qw(output failure_output todo_output);

my $ROOT = $CWC::Stack::ROOT;
my $KEY = 'sk_test_cwc_' . join('', map { ('a' .. 'z', 0 .. 9)[rand 36] } 1 .. 24);
my $SECRET = 'whsec_' . join('', map { ('a' .. 'z', 0 .. 9)[rand 36] } 1 .. 32);
my $STAFF = 'strasbourg@coworkingcafe.fr';   # the seeded notificationEmail
my $stripe = FakeService->start('stripe', '--key', $KEY);
my $s = relay_stack(env => {
	STRIPE_SECRET_KEY => $KEY, STRIPE_PUBLIC_KEY => 'pk_test_cwc', STRIPE_WEBHOOK_SECRET => $SECRET,
	STRIPE_API_BASE => $stripe->url, CWC_THROTTLE_GUEST_BOOKING => '100000/3600',
	CWC_MAIL_TRANSPORT => 'file', CWC_MAIL_POLL_MS => 100,
});
$stripe->control(webhookUrl => $s->site_url . '/api/webhooks/stripe', webhookSecrets => [ $SECRET ]);
my $b = CWC::Bookings->new($s);
my $today = $b->today_paris;
my %env = $s->app_env;
my $log = $s->dir . '/logs/cwc-cron.log';

my $api = HTTP::Tiny->new(timeout => 10);
sub fake_post {
	my ($path, $o) = @_;
	my $r = $api->post($stripe->url . $path, { headers => { 'Content-Type' => 'application/json' },
						   content => encode_json($o) });
	return decode_json($r->{content});
}
sub fake_obj { my $r = $api->get($stripe->url . "/_fake/objects/$_[0]"); $r->{success} ? decode_json($r->{content}) : {} }
sub coll { CWC::Stripe::collection($s, $_[0]) }
sub booking_doc { my ($n) = @_; (grep { $_->{confirmationNumber} eq $n } coll('bookings'))[0] }

sub store_update {
	my @args = @_;
	local @ENV{ keys %env } = values %env;
	my $pid = fork // die "fork: $!";
	if (!$pid) {
		open STDOUT, '>>', $s->dir . '/logs/store-update.log' or POSIX::_exit(127);
		exec("$ROOT/build/asan/t/tools/store-update", @args) or POSIX::_exit(127);
	}
	waitpid($pid, 0);
	die "store-update @args: $?" if $?;
}

sub wait_for_cond {
	my ($what, $cond, $secs) = @_;
	my $deadline = time + ($secs // 40);
	my $v;
	while (time < $deadline) {
		return $v if $v = $cond->();
		sleep 0.1;
	}
	fail "in time: $what";
	return;
}

# Every mail written so far, parsed as a mail client would (t/tools/mail-parts.py).
sub all_mails {
	my @files = $s->mails or return ();
	my $json = `/usr/bin/python3 $ROOT/t/tools/mail-parts.py @files`;
	return @{ decode_json(encode('UTF-8', decode('UTF-8', $json))) };
}
sub mails_like {
	my ($to, $re) = @_;
	return grep { $_->{to} eq $to && $_->{subject} =~ $re } all_mails();
}
# Waits until the outbox is empty (every queued mail written), then parses.
sub settle {
	wait_for_cond('the outbox drained', sub {
		!grep { ($_->{status} // '') =~ /^(pending|sending)$/ } coll('outbox');
	});
}

# `cwc-cron ARGS` in `n` processes started together; their outputs joined.
sub cron_at_once {
	my ($n, @args) = @_;
	my @fh = map {
		my $pid = open(my $fh, '-|') // die "fork: $!";
		if (!$pid) {   # _exit: the fakes and the stack are the parent's
			my ($c, $o) = run_cron(\%env, $log, @args);
			print "rc=$c $o";
			STDOUT->flush;
			POSIX::_exit(0);
		}
		$fh;
	} 1 .. $n;
	return join '', map { local $/; my $t = readline($_); close $_; $t } @fh;
}
sub sum_of { my ($re, $text) = @_; my $n = 0; $n += $1 while $text =~ /$re/g; $n }

# the first day from `ahead` days on that is not 25 Dec or 1 Jan
sub day_ahead {
	my ($ahead) = @_;
	my $d = add_days($today, $ahead);
	$d = add_days($d, 1) while $d =~ /-(12-25|01-01)$/;
	return $d;
}

my $n = 0;
# A guest's Verrière booking on `day` at `hour`, its card authorised at the
# fake, confirmed by the staff unless `pending`.
sub booked {
	my ($day, $hour, %o) = @_;
	$n++;
	my $r = $b->book(date => $day, spaceType => 'salle-verriere', numberOfPeople => 3,
			 startTime => sprintf('%02d:00', $hour), endTime => sprintf('%02d:00', $hour + 1),
			 contactEmail => "jobs.$n\@example.com", contactName => "Client·e numéro $n « Jobs »");
	is $r->{status}, 201, "booking $n ($day $hour:00)" or diag $r->{content};
	my $bk = { id => $r->{json}{booking}{_id}, number => $r->{json}{booking}{confirmationNumber},
		   email => "jobs.$n\@example.com", day => $day, hour => $hour,
		   total => $r->{json}{booking}{totalPrice}, hold => $r->{json}{booking}{depositAmount} };
	($bk->{intent}) = ($r->{json}{clientSecret} // '') =~ /^(pi_[0-9a-f]+)_secret_/;
	fake_post('/_fake/confirm', { id => $bk->{intent}, paymentMethod => 'pm_card_visa' });
	wait_for_cond("$bk->{number} authorised", sub { (booking_doc($bk->{number})->{paymentStatus} // '') eq 'authorized' });
	unless ($o{pending}) {
		my ($rc, $out) = $s->ctl('booking-status', $bk->{number}, 'confirmed');
		is $rc, 0, "  confirmed by the staff" or diag $out;
	}
	return $bk;
}

# ---- the staff's live event -------------------------------------------------------------

my $staff_ws = ws(cookie => login('staff@coworkingcafe.local', 'cafe-staff-2026', 'admin'), host => 'admin');
my $client_ws = ws(cookie => login('client@coworkingcafe.local', 'cafe-client-2026'));

my $D = day_ahead(1);   # the day of the reminders and of the attendance without autoNoShow
my $E = day_ahead(2);   # the attendance with autoNoShow
my @d = map { booked($D, 10 + $_) } 0 .. 3;
my $badge = wait_for($staff_ws, sub { $_[0]{type} eq 'badge' }, 10);
is_deeply $badge, { type => 'badge', badge => 'bookings' }, 'a staff socket is told of the new booking (badge "bookings")';
my @badges = grep { $_->{type} eq 'badge' } @{ $staff_ws->{skipped} // [] }, frames($staff_ws, 2);
# 4 bookings made + 4 confirmed: 8 changes, one event each (the first taken above)
is scalar(@badges) + 1, 8, '  one event per new booking and per change of status (8)';
my @leak = grep { $_->{type} eq 'badge' } frames($client_ws, 1);
is scalar(@leak), 0, "  a customer's socket receives none";

my @e = map { booked($E, 10 + $_) } 0 .. 2;
my $p = booked($E, 16, pending => 1);

# ---- reminders -------------------------------------------------------------------------------

store_update('bookings', qq({"confirmationNumber": "$d[3]{number}"}), '{"$set": {"contactEmail": "pas une adresse"}}');
my $before = add_days($D, -1);
my $out = cron_at_once(2, 'reminders', '--today', $before);
is sum_of(qr/(\d+) done,/, $out), 3, "reminders for $D run twice at once: 3 mails queued in all" or diag $out;
# each run may meet it (the first gives its mark back): never a mail
cmp_ok sum_of(qr/(\d+) failed/, $out), '>=', 1, '  one could not be queued (a bad address)';
like $out, qr/rc=1/, '  that run exits 1';
settle();
for my $bk (@d[0 .. 2]) {
	my @m = mails_like($bk->{email}, qr/^Rappel : votre réservation \Q$bk->{number}\E demain$/);
	is scalar(@m), 1, "  $bk->{number}: one reminder";
}
ok !exists booking_doc($d[3]{number})->{reminderSentAt}, '  the failed one is not marked sent';
ok booking_doc($d[0]{number})->{reminderSentAt}, '  the others are (reminderSentAt)';
is scalar(mails_like($p->{email}, qr/^Rappel/)), 0, '  none for a pending booking';

store_update('bookings', qq({"confirmationNumber": "$d[3]{number}"}), qq({"\$set": {"contactEmail": "$d[3]{email}"}}));
my ($rc, $o) = run_cron(\%env, $log, 'reminders', '--today', $before);
is $rc, 0, 'the rerun succeeds';
like $o, qr/: 1 done, 0 done already, 0 failed/, '  and sends only the missing reminder' or diag $o;
($rc, $o) = run_cron(\%env, $log, 'reminders', '--today', $before);
like $o, qr/: 0 done/, '  a third run sends nothing';
settle();
for my $bk (@d) {
	is scalar(mails_like($bk->{email}, qr/^Rappel/)), 1, "  $bk->{number}: still one reminder";
}

# the reminder as a mail client and a calendar read it
my ($rem) = mails_like($d[0]{email}, qr/^Rappel/);
like $rem->{text}, qr/nous vous attendons demain/, 'the reminder says "demain"';
like $rem->{text}, qr/\Q$d[0]{number}\E/, '  with the booking number';
like $rem->{html}, qr/Salle Verrière|Verri&egrave;re|Verrière/, '  HTML part with the space';
is scalar(@{ $rem->{attachments} }), 1, '  one attachment';
my $cal = $rem->{attachments}[0];
is $cal->{filename}, 'invitation.ics', '  invitation.ics';
my $ICS = <<'PY';
import icalendar, json, sys
c = icalendar.Calendar.from_ical(sys.stdin.buffer.read())
ev = [e for e in c.walk("VEVENT")][0]
print(json.dumps({"method": str(c.get("METHOD")), "uid": str(ev.get("UID")),
                  "start": ev.decoded("DTSTART").isoformat(), "end": ev.decoded("DTEND").isoformat(),
                  "tz": str(ev["DTSTART"].params.get("TZID")), "seq": int(ev.get("SEQUENCE", 0)),
                  "status": str(ev.get("STATUS", ""))}))
PY
sub parse_ics {
	my ($data) = @_;
	require IPC::Open2;
	my $pid = IPC::Open2::open2(my $rd, my $wr, '/usr/bin/python3', '-c', $ICS);
	binmode $wr;
	print $wr encode('UTF-8', $data);
	close $wr;
	my $j = do { local $/; <$rd> };
	waitpid $pid, 0;
	return $j ? decode_json($j) : {};
}
my $ics = parse_ics($cal->{data});
is $ics->{method}, 'REQUEST', '  icalendar reads METHOD:REQUEST';
is $ics->{uid}, "$d[0]{id}\@coworkingcafe.fr", "  the booking's UID";
like $ics->{start}, qr/^\Q$D\ET10:00:00\+0[12]:00$/, "  DTSTART $D 10:00 Paris time";
is $ics->{tz}, 'Europe/Paris', '  TZID Europe/Paris';

# the "en attente" mail of the card's hold: the same invitation
my ($held) = mails_like($d[0]{email}, qr/^Votre réservation \Q$d[0]{number}\E est en attente de validation$/);
ok $held, 'the card holds the booking: the "en attente" mail';
like $held->{text} // '', qr/empreinte de \d+,\d\d\x{a0}€/, '  with the hold in euros';
is scalar(@{ $held->{attachments} // [] }), 1, '  and the invitation';
my $held_ics = parse_ics($held->{attachments}[0]{data} // '');
is $held_ics->{uid}, "$d[0]{id}\@coworkingcafe.fr", "  the booking's UID";
is $held_ics->{method}, 'REQUEST', '  METHOD:REQUEST';

# ---- present: the thank-you -------------------------------------------------------------------

($rc, $o) = $s->ctl('booking-status', $d[0]{number}, 'completed');
is $rc, 0, "$d[0]{number} marked present" or diag $o;
my ($thanks) = wait_for_cond('the thank-you', sub { my @m = mails_like($d[0]{email}, qr/^Merci de votre venue/); @m ? \@m : undef });
$thanks = $thanks->[0];
like $thanks->{text}, qr/Merci pour votre venue.*\Q$d[0]{number}\E/s, 'present: the customer is thanked';
is scalar(@{ $thanks->{attachments} // [] }), 1, '  with the invitation';
like $thanks->{text}, qr/L’empreinte de votre carte est levée/, '  saying the hold is released';
is fake_obj($d[0]{intent})->{status}, 'canceled', '  and the hold released';

# ---- attendance, autoNoShow off ----------------------------------------------------------------

my $after_d = add_days($D, 1);
$out = cron_at_once(2, 'attendance', '--today', $after_d);
is sum_of(qr/(\d+) listed/, $out), 6, "attendance for $D twice at once: 3 unmarked bookings listed by each" or diag $out;
is sum_of(qr/: (\d+) done,/, $out), 0, '  none marked (autoNoShow off)';
settle();
my @att = mails_like($STAFF, qr/^Pointage du \Q$D\E/);
is scalar(@att), 1, '  one list to the staff';
like $att[0]{text}, qr/\Q$d[$_]{number}\E/, "  naming $d[$_]{number}" for 1 .. 3;
unlike $att[0]{text}, qr/\Q$d[0]{number}\E/, '  not the one marked present';
is booking_doc($d[1]{number})->{status}, 'confirmed', '  the bookings stay confirmed';

# ---- attendance, autoNoShow on, Stripe down then back ------------------------------------------

store_update('--upsert', 'bookingsettings', '{}', '{"$set": {"autoNoShow": true}}');
my $after_e = add_days($E, 1);
$stripe->control(failFirst => 1000, failStatus => 503);
my $t0 = time;
$out = cron_at_once(2, 'attendance', '--today', $after_e);
$stripe->control(failFirst => 0);
is sum_of(qr/: (\d+) done,/, $out), 3, "attendance for $E (autoNoShow) twice at once, Stripe down: 3 bookings marked no-show in all" or diag $out;
for my $bk (@e) {
	my $doc = booking_doc($bk->{number});
	is $doc->{status}, 'no-show', "  $bk->{number}: no-show";
	is $doc->{paymentRetry}{to}, 'no-show', '  its capture marked to retry';
}
is booking_doc($p->{number})->{status}, 'pending', '  the pending booking untouched';
is fake_obj($e[0]{intent})->{status}, 'requires_capture', '  nothing captured while Stripe is down';
($rc, $o) = run_cron(\%env, $log, 'attendance', '--today', $after_e);
is $rc, 0, 'the rerun, Stripe back' or diag $o;
like $o, qr/: 0 done, 1 done already, 0 failed/, '  marks nothing again, the list sent already' or diag $o;
($rc, $o) = run_cron(\%env, $log, 'attendance', '--today', $after_e);
settle();
my ($fee_cents, %fee);
for my $bk (@e) {
	my $pi = fake_obj($bk->{intent});
	is $pi->{status}, 'succeeded', "  $bk->{number}: the no-show fee captured";
	ok $pi->{amount_received} > 0 && $pi->{amount_received} <= $bk->{hold}, "  $pi->{amount_received} cents, at most the hold";
	$fee{ $bk->{number} } = $pi->{amount_received};
	my @caps = grep { ($_->{kind} // '') eq 'capture' && $_->{booking} eq $bk->{id} } coll('payments');
	is scalar(@caps), 1, '  one capture document';
	my @calls = grep { ($_->{method} // "") eq "POST" && ($_->{path} // "") eq "/v1/payment_intents/$bk->{intent}/capture"
			   && ($_->{outcome} // '') eq 'ok' } $stripe->records;
	is scalar(@calls), 1, '  one capture at Stripe';
	ok !exists booking_doc($bk->{number})->{paymentRetry}, '  the retry mark removed';
	my @ns = mails_like($bk->{email}, qr/absence constatée/);
	is scalar(@ns), 1, '  one no-show mail';
	my $euros = sprintf('%d,%02d', int($fee{ $bk->{number} } / 100), $fee{ $bk->{number} } % 100);
	like $ns[0]{text} // '', qr/frais d’absence de \Q$euros\E\x{a0}€/, "  saying the fee ($euros €)";
	is parse_ics($ns[0]{attachments}[0]{data} // '')->{method}, 'CANCEL', '  its invitation cancels the event';
}
my @att2 = mails_like($STAFF, qr/^Pointage du \Q$E\E/);
is scalar(@att2), 1, 'one list to the staff for that day';
like $att2[0]{text}, qr/marquées absentes automatiquement.*\Q$e[0]{number}\E/s, '  saying they were marked absent';
store_update('bookingsettings', '{}', '{"$set": {"autoNoShow": false}}');

# ---- daily report ---------------------------------------------------------------------------

# d[1]'s hold placed 6.5 days ago: Stripe's capture_before (stored on the
# booking) is in 12 hours, before its booking ends
my $old = int((time - 6.5 * 86400) * 1000);
my $lapses = int((time + 0.5 * 86400) * 1000);
store_update('payments', qq({"_id": "booking/$d[1]{id}/hold"}), qq({"\$set": {"createdAt": {"\$date": {"\$numberLong": "$old"}}}}));
store_update('bookings', qq({"confirmationNumber": "$d[1]{number}"}), qq({"\$set": {"holdCaptureBefore": {"\$date": {"\$numberLong": "$lapses"}}}}));
store_update('bookingsettings', '{}', '{"$set": {"notificationEmail": "pas une adresse"}}');
($rc, $o) = run_cron(\%env, $log, 'daily-report');
is $rc, 1, 'daily-report with a bad notificationEmail: fails' or diag $o;
store_update('bookingsettings', '{}', qq({"\$set": {"notificationEmail": "$STAFF"}}));
$out = cron_at_once(2, 'daily-report');
is sum_of(qr/: (\d+) done,/, $out), 1, 'the rerun twice at once: one report sent' or diag $out;
like $out, qr/0 done, 1 done already/, '  the other run saw it sent';
settle();
my @rep = mails_like($STAFF, qr/^Bilan du \Q$today\E/);
is scalar(@rep), 1, '  one report mail to notificationEmail';
my $t = $rep[0]{text} // '';
my ($tomorrow) = $t =~ /DEMAIN \(\d+\)\n(.*?)\n\n/s;
like $tomorrow // '', qr/\Q$d[$_]{number}\E/, "  tomorrow: $d[$_]{number}" for 1 .. 3;
my ($pending) = $t =~ /À VALIDER \(\d+\)\n(.*?)\n\n/s;
like $pending // '', qr/\Q$p->{number}\E/, '  to validate: the pending booking';
unlike $pending // '', qr/\Q$d[1]{number}\E/, '  (not a confirmed one)';
my ($lapsing) = $t =~ /EMPREINTES BIENTÔT EXPIRÉES \(\d+\)\n(.*?)\n\n/s;
like $lapsing // '', qr/\Q$d[1]{number}\E.*AVANT LA FIN DE LA RÉSERVATION/, '  holds: d[1] lapses before its booking ends';
unlike $lapsing // '', qr/\Q$d[2]{number}\E/, '  (not a fresh hold)';
my $captured = 0;
$captured += $_ for values %fee;
my $cap = sprintf('%d,%02d', int($captured / 100), $captured % 100);
like $t, qr/Encaissé\s+: \Q$cap\E\x{a0}€ \(3\)/, "  money: the three no-show fees captured today ($cap €)";
like $t, qr/Empreintes levées : [1-9]/, '  and the holds released';
like $rep[0]{html} // '', qr/avant la fin de la réservation/, '  the HTML part says it too';

done_testing;
