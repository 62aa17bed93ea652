#!/usr/bin/perl
# The booking mails through Caddy (SPEC §7 "Mails and jobs"): a guest
# books, the staff confirm, the guest cancels; another booking is refused.
# Each step's mails land as .eml files (the file transport), read with
# Python's email module as a mail client would: French subject and text,
# HTML, and an invitation.ics attachment that parses as RFC 5545 — lines
# unfolded, the same UID in every mail of a booking, SEQUENCE rising,
# METHOD:REQUEST then METHOD:CANCEL, DTSTART in Europe/Paris at the
# booking's date and time. The new-booking mail goes to the staff's
# notificationEmail. Then the same through the strict Resend fake
# (t/fake/resend): the invitation in `attachments` as {filename, content}.
use strict;
use warnings;
use utf8;
use FindBin;
use lib "$FindBin::Bin/lib", "$FindBin::Bin/fake";
use CWC::Stack;
use CWC::Cron;
use CWC::Bookings qw(add_days);
use FakeService;
use HTTP::Tiny;
use Encode qw(decode encode);
use JSON::PP;
use MIME::Base64 qw(decode_base64);
use Test::More;
use Time::HiRes qw(sleep);
binmode $_, ':encoding(UTF-8)' for map { Test::More->builder->$_ } qw(output failure_output todo_output);

my $ROOT = $CWC::Stack::ROOT;
my $s = CWC::Stack->start(env => { CWC_THROTTLE_GUEST_BOOKING => '100000/3600' });
my $b = CWC::Bookings->new($s);
my $STAFF = 'strasbourg@coworkingcafe.fr';   # the seeded notificationEmail

# Every .eml to `to` whose subject matches, parsed; waits for `n` of them.
sub mails_to {
	my ($to, $re, $n) = @_;
	my $deadline = time + 30;
	my @got;
	while (1) {
		my @files = $s->mails;
		if (@files) {
			my $json = `python3 $ROOT/t/tools/mail-parts.py @files`;
			@got = grep { $_->{to} eq $to && $_->{subject} =~ $re } @{ decode_json(encode('UTF-8', decode('UTF-8', $json))) };
		}
		return @got if @got >= ($n // 1) || time > $deadline;
		sleep 0.2;
	}
}

# RFC 5545: CRLF lines, folded at 75 octets; returns {unfolded text,
# property => value (first), lines}. Fails the test on a malformed line.
sub ics {
	my ($raw) = @_;
	my $bytes = encode('UTF-8', $raw);
	ok $bytes !~ /(?<!\r)\n/, '  the .ics ends every line with CRLF';
	ok !(grep { length > 75 } split /\r\n/, $bytes), '  no .ics line longer than 75 octets';
	(my $unfolded = $raw) =~ s/\r\n[ \t]//g;
	my %p;
	my @lines = split /\r\n/, $unfolded;
	my $in_event = 0;
	for (@lines) {
		$in_event = 1 if $_ eq 'BEGIN:VEVENT';
		$in_event = 0 if $_ eq 'END:VEVENT';
		my ($name, $value) = /^([A-Z-]+(?:;[^:]*)?):(.*)$/ or next;
		my $key = ($in_event ? 'VEVENT.' : '') . $name;
		$p{$key} //= $value;
	}
	return { text => $unfolded, p => \%p, lines => \@lines };
}

# The one attachment of a parsed mail, checked and read.
sub invitation {
	my ($m, $what) = @_;
	is scalar @{ $m->{attachments} }, 1, "$what: one attachment";
	my $a = $m->{attachments}[0] // return { p => {} };
	is $a->{filename}, 'invitation.ics', "$what: named invitation.ics";
	like $a->{contentType}, qr{^text/calendar; charset="?UTF-8"?; method="?(REQUEST|CANCEL)}, "$what: text/calendar";
	is_deeply [ @{ $m->{structure} }[0 .. 3] ],
		[ 'multipart/mixed', 'multipart/alternative', 'text/plain', 'text/html' ],
		"$what: multipart/mixed around the multipart/alternative";
	my $c = ics($a->{data});
	like $c->{text}, qr/\ABEGIN:VCALENDAR\r\n.*\r\nEND:VCALENDAR\r\n\z/s, "$what: a VCALENDAR";
	like $c->{text}, qr/\r\nBEGIN:VTIMEZONE\r\nTZID:Europe\/Paris\r\n.*BYMONTH=3;BYDAY=-1SU.*BYMONTH=10;BYDAY=-1SU.*END:VTIMEZONE\r\n/s,
		"$what: with the Europe/Paris VTIMEZONE";
	return $c;
}

# ---- a guest books the Verrière ---------------------------------------------------
my $day = $b->open_weekday(3, 9);    # 9 to 15 days ahead: a fee of 30 or 50 %
my $r = $b->book(date => $day, spaceType => 'salle-verriere', startTime => '14:00', endTime => '16:30',
		 numberOfPeople => 3, contactName => 'Zoé de La Tour-Dupin, « Atelier; Nord »',
		 contactEmail => 'zoe.tour@example.com', companyName => 'Atelier Nord',
		 specialRequests => "Un paperboard, merci.\nEt du café.");
is $r->{status}, 201, 'a guest books the Verrière' or diag $r->{content};
my $bk = $r->{json}{booking};
my ($number, $token) = ($r->{json}{manageUrl} // '') =~ m{^/reservation/(CWC-\w+)\?token=([0-9a-f]{64})$};
(my $ics_day = $day) =~ s/-//g;

my ($got) = mails_to('zoe.tour@example.com', qr/bien reçu/);
ok $got, 'the guest gets "booking received"' or BAIL_OUT('no mail');
is $got->{subject}, "Nous avons bien reçu votre réservation $number", '… subject with the number';
like $got->{text}, qr/^Bonjour Zoé de La Tour-Dupin, « Atelier; Nord »,/m, '… text greets the guest';
like $got->{text}, qr/en attente\s+de confirmation/, '… says it waits for confirmation';
like $got->{text}, qr/^Quand\s+: \w+ \d+(er)? \w+ \d{4}, de 14:00 à 16:30$/m, '… when, in French' or diag $got->{text};
like $got->{text}, qr{\Q/reservation/$number?token=$token\E}, '… the guest link';
like $got->{html}, qr/Salle Verrière|Verrière/, '… HTML names the space';
my $c1 = invitation($got, 'received');
my $uid = $c1->{p}{'VEVENT.UID'};
is $uid, "$bk->{_id}\@coworkingcafe.fr", 'UID: <booking id>@coworkingcafe.fr';
is $c1->{p}{METHOD}, 'REQUEST', 'METHOD:REQUEST';
is $c1->{p}{'VEVENT.SEQUENCE'}, 0, 'SEQUENCE 0 at creation';
is $c1->{p}{'VEVENT.DTSTART;TZID=Europe/Paris'}, "${ics_day}T140000", 'DTSTART: the day at 14:00 Paris';
is $c1->{p}{'VEVENT.DTEND;TZID=Europe/Paris'}, "${ics_day}T163000", 'DTEND: 16:30 Paris';
like $c1->{p}{'VEVENT.DTSTAMP'}, qr/^\d{8}T\d{6}Z$/, 'DTSTAMP in UTC';
is $c1->{p}{'VEVENT.LOCATION'}, 'CoworKing Café\, 1 rue de la Division Leclerc\, 67000 Strasbourg', 'LOCATION: the café';
like $c1->{p}{'VEVENT.ORGANIZER;CN="CoworKing Café"'} // '', qr/^mailto:/, 'ORGANIZER';
like $c1->{text}, qr/\r\nATTENDEE;CN="Zoé de La Tour-Dupin, « Atelier; Nord »";[^\r]*:mailto:zoe\.tour\@example\.com\r\n/,
	'ATTENDEE: the guest, name quoted';

my ($staff) = mails_to($STAFF, qr/^Nouvelle réservation \Q$number\E/);
ok $staff, 'the staff get "new booking" at notificationEmail';
like $staff->{text} // '', qr/^E-mail\s+: zoe\.tour\@example\.com$/m, '… with the customer\'s e-mail' or diag $staff->{text};
like $staff->{text} // '', qr/Un paperboard, merci\. Et du café\.|Un paperboard, merci\.\nEt du café\./, '… and the special requests';
my $cs = invitation($staff // {}, 'staff');
is $cs->{p}{'VEVENT.UID'}, $uid, '… the same UID';

# ---- the staff confirm ----------------------------------------------------------------
my ($rc, $out) = $s->ctl('booking-status', $number, 'confirmed');
is $rc, 0, 'staff confirm' or diag $out;
($got) = mails_to('zoe.tour@example.com', qr/est confirmée/);
ok $got, 'the guest gets "confirmed"';
is $got->{subject}, "Votre réservation $number est confirmée", '… subject';
my $c2 = invitation($got // {}, 'confirmed');
is $c2->{p}{'VEVENT.UID'}, $uid, '… same UID';
is $c2->{p}{METHOD}, 'REQUEST', '… METHOD:REQUEST';
cmp_ok $c2->{p}{'VEVENT.SEQUENCE'} // -1, '>', $c1->{p}{'VEVENT.SEQUENCE'}, '… SEQUENCE increased';
is $c2->{p}{'VEVENT.STATUS'}, 'CONFIRMED', '… STATUS:CONFIRMED';
# only hashes are stored: a later mail carries a new private link, and both open the booking
my ($token2) = ($got->{text} // '') =~ m{/reservation/\Q$number\E\?token=([0-9a-f]{64})};
ok $token2 && $token2 ne $token, '… with a private link of its own (a guest has no account to sign in to)';
is $s->get("/reservation/$number?token=$token2")->{status}, 200, '… which opens the booking';
is $s->get("/reservation/$number?token=$token")->{status}, 200, '… and the first link still does';
is $s->get("/reservation/$number?token=" . ('0' x 64))->{status}, 404, '… a made-up one does not';

# ---- the staff move it an hour later: "changed" -----------------------------------------------
my $staff_session = $s->login('staff', undef, host => 'admin');
$r = $s->request(PATCH => "/api/booking/reservations/$bk->{_id}", session => $staff_session, host => 'admin',
		 json => { startTime => '15:00', endTime => '17:30' });
is $r->{status}, 200, 'staff move the confirmed booking an hour later' or diag $r->{content};
($got) = mails_to('zoe.tour@example.com', qr/a été modifiée/);
ok $got, 'the guest gets "changed"';
my $cm = invitation($got // {}, 'changed');
is $cm->{p}{'VEVENT.UID'}, $uid, '… same UID';
is $cm->{p}{METHOD}, 'REQUEST', '… METHOD:REQUEST';
cmp_ok $cm->{p}{'VEVENT.SEQUENCE'} // -1, '>', $c2->{p}{'VEVENT.SEQUENCE'}, '… SEQUENCE increased';
is $cm->{p}{'VEVENT.DTSTART;TZID=Europe/Paris'}, "${ics_day}T150000", '… the new DTSTART';
$c2 = $cm;    # what the cancellation's SEQUENCE must pass

# ---- the guest cancels with the link ---------------------------------------------------------
$r = $s->post("/api/bookings/$bk->{_id}/cancel", json => { token => $token, reason => 'Changement de programme' });
is $r->{status}, 200, 'the guest cancels' or diag $r->{content};
my $fee = $r->{json}{booking}{cancellationFee} // 0;
($got) = mails_to('zoe.tour@example.com', qr/est annulée/);
ok $got, 'the guest gets "cancelled"';
my $fee_fr = sprintf('%.2f', $fee) =~ s/\./,/r;
cmp_ok $fee, '>', 0, "the cancellation costs a fee ($fee_fr €)";
like $got->{text} // '', qr/^Frais d’annulation : \Q$fee_fr\E\x{a0}€$/m, "… the mail says it";
my $c3 = invitation($got // {}, 'cancelled');
is $c3->{p}{'VEVENT.UID'}, $uid, '… same UID';
is $c3->{p}{METHOD}, 'CANCEL', '… METHOD:CANCEL';
is $c3->{p}{'VEVENT.STATUS'}, 'CANCELLED', '… STATUS:CANCELLED';
cmp_ok $c3->{p}{'VEVENT.SEQUENCE'} // -1, '>', $c2->{p}{'VEVENT.SEQUENCE'}, '… SEQUENCE increased again';
is $c3->{p}{'VEVENT.DTSTART;TZID=Europe/Paris'}, "${ics_day}T150000", '… the DTSTART it was moved to';

# ---- another booking, refused ---------------------------------------------------------------
my $day2 = $b->open_weekday(3, 16);   # a Wednesday: open 09:00–20:00
$r = $b->book(date => $day2, reservationType => 'daily', startTime => undef, endTime => undef,
	      contactName => 'Marc', contactEmail => 'marc.refus@example.com');
is $r->{status}, 201, 'a second guest books a day of open space' or diag $r->{content};
(my $ics_day2 = $day2) =~ s/-//g;
my $n2 = $r->{json}{booking}{confirmationNumber};
($rc, $out) = $s->ctl('booking-status', $n2, 'cancelled', 'Complet ce jour-là');
is $rc, 0, 'staff refuse it (cancel while pending)' or diag $out;
($got) = mails_to('marc.refus@example.com', qr/pas pu être acceptée/);
ok $got, 'the guest gets "refused"';
like $got->{text} // '', qr/^Motif : Complet ce jour-là$/m, '… with the reason';
my $c4 = invitation($got // {}, 'refused');
is $c4->{p}{METHOD}, 'CANCEL', '… METHOD:CANCEL';
is $c4->{p}{'VEVENT.UID'}, "$r->{json}{booking}{_id}\@coworkingcafe.fr", '… its own UID';
is $c4->{p}{'VEVENT.DTSTART;TZID=Europe/Paris'}, "${ics_day2}T090000", '… a day: from the opening (09:00 on a weekday)';
is $c4->{p}{'VEVENT.DTEND;TZID=Europe/Paris'}, "${ics_day2}T200000", '… to the closing (20:00)';
like $got->{text} // '', qr/\(Open Space|[^,]+, \w+ \d+(er)? \w+ \d{4} \(journée\)\)/, '… "journée" in the text';

# ---- present, on a stack without payments: the thank-you names no card hold ------------------------
$r = $b->book(date => $b->open_weekday(6, 9), startTime => '10:00', endTime => '12:00',
	      contactName => 'Léa', contactEmail => 'lea.merci@example.com');
is $r->{status}, 201, 'a booking without a card' or diag $r->{content};
my $n5 = $r->{json}{booking}{confirmationNumber} // '';
for my $to (qw(confirmed completed)) {
	($rc, $out) = $s->ctl('booking-status', $n5, $to);
	is $rc, 0, "staff: $to" or diag $out;
}
($got) = mails_to('lea.merci@example.com', qr/^Merci de votre venue/);
ok $got, 'present: the thank-you';
like $got->{text} // '', qr/\Q$n5\E/, '… about that booking';
unlike $got->{text} // '', qr/empreinte/i, '… which says nothing of a card hold (there was none)';

# ---- through the strict Resend fake -----------------------------------------------------------
my $KEY = 're_test_' . join('', map { ('a' .. 'z', 0 .. 9)[rand 36] } 1 .. 24);
my $resend = FakeService->start('resend', '--key', $KEY);
$s->stop_component('mailer');
$r = $b->book(date => $b->open_weekday(5, 9), startTime => '10:00', endTime => '12:00',
	      contactName => 'Inès', contactEmail => 'ines.resend@example.com');
is $r->{status}, 201, 'a third booking, the mailer stopped' or diag $r->{content};
my $errlog = $s->dir . '/logs/cron-resend.log';
my %env = ($s->app_env, RESEND_API_KEY => $KEY, RESEND_API_BASE => $resend->url, CWC_MAIL_TRANSPORT => 'resend');
($rc) = run_cron(\%env, $errlog, 'outbox');
is $rc, 0, 'cwc-cron outbox through Resend';
my @rec = grep { ($_->{body}{to}[0] // '') eq 'ines.resend@example.com' } $resend->records;
is scalar @rec, 1, 'one request for the guest\'s mail';
is $rec[0]{outcome}, 'accepted', '… accepted by the strict fake' or diag explain $rec[0];
my $att = $rec[0]{body}{attachments} // [];
is scalar @$att, 1, '… with one attachment';
is $att->[0]{filename}, 'invitation.ics', '… filename invitation.ics';
my $ics = decode('UTF-8', decode_base64($att->[0]{content} // ''));
my $c5 = ics($ics);
is $c5->{p}{'VEVENT.UID'}, "$r->{json}{booking}{_id}\@coworkingcafe.fr", '… content: base64 of the invitation';


# the fake refuses attachments as Resend does
sub resend_post {
	my ($body) = @_;
	my $ua = HTTP::Tiny->new(timeout => 10, agent => 'cwc-test/1');
	my $res = $ua->post($resend->url . '/emails', { headers => {
		Authorization => "Bearer $KEY", 'Content-Type' => 'application/json' },
		content => encode_json({ from => 'contact@cafe.test', to => ['a@example.com'],
					 subject => 'x', text => 'y', %$body }) });
	return [ $res->{status}, eval { decode_json($res->{content})->{name} } ];
}
is_deeply resend_post({ attachments => { filename => 'a.ics' } }), [ 422, 'validation_error' ],
	'fake: attachments not an array → 422';
is_deeply resend_post({ attachments => [ { content => 'QQ==' } ] }), [ 422, 'validation_error' ],
	'fake: an attachment without filename → 422';
is_deeply resend_post({ attachments => [ { filename => 'a.ics', content => 'not base64!' } ] }),
	[ 422, 'validation_error' ], 'fake: content that is not base64 → 422';
is_deeply resend_post({ attachments => [ { filename => 'a.ics', content => 'QQ==', size => 1 } ] }),
	[ 422, 'validation_error' ], 'fake: an unknown attachment field → 422';
is_deeply resend_post({ attachments => [ { filename => 'big.bin', content => 'QUFB' x (10 * 1024 * 1024 + 1) } ] }),
	[ 422, 'validation_error' ], 'fake: above 40 MB in all → 422';
is resend_post({ attachments => [ { filename => 'a.ics', content => 'QQ==', content_type => 'text/calendar' } ] })->[0],
	200, 'fake: a well-formed attachment is accepted';

# ---- through the strict SMTP fake ---------------------------------------------------------------
my $smtp = FakeService->start('smtp');
$r = $b->book(date => $b->open_weekday(4, 9), startTime => '10:00', endTime => '12:00',
	      contactName => 'Hugo', contactEmail => 'hugo.smtp@example.com');
is $r->{status}, 201, 'a fourth booking' or diag $r->{content};
%env = ($s->app_env, SMTP_URL => 'smtp://127.0.0.1:' . $smtp->port, CWC_MAIL_TRANSPORT => 'smtp');
($rc) = run_cron(\%env, $errlog, 'outbox');
is $rc, 0, 'cwc-cron outbox through SMTP';
my @msgs = grep { $_->{rcpt}[0] eq 'hugo.smtp@example.com' } $smtp->records;
is scalar @msgs, 1, 'the SMTP fake accepted the mail (its base64 parts decode)';
my $tmp = $s->dir . '/smtp.eml';
open my $fh, '>:raw', $tmp or die;
print $fh encode('UTF-8', $msgs[0]{data} // '');
close $fh;
my ($m) = @{ decode_json(`python3 $ROOT/t/tools/mail-parts.py $tmp`) };
my $c6 = invitation($m, 'smtp');
is $c6->{p}{'VEVENT.UID'}, "$r->{json}{booking}{_id}\@coworkingcafe.fr", '… the invitation of that booking';

$smtp->stop;
$resend->stop;
$s->stop;
done_testing;
