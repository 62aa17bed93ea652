#!/usr/bin/perl
# Seats never oversell (SPEC §8 eventregistrations), black-box: 50
# simultaneous registrations, from 5 client processes, to the site's 4
# workers through Caddy, for an event of 10 seats give exactly 10
# registrations and 40 answers 409 event_full — on the embedded store and
# on the MongoDB backend (the FerretDB test server, which makes no
# single-document update atomic: the seats are unique keys). Then one
# cancellation frees exactly one seat, and 20 racers for it get one.
use strict;
use warnings;
use utf8;
use FindBin;
use lib "$FindBin::Bin/lib";
use CWC::MongoServer;
use CWC::Stack;
use HTTP::Tiny;
use JSON::PP;
use POSIX ();
use Test::More;
binmode $_, ':encoding(UTF-8)' for map { Test::More->builder->$_ } qw(output failure_output todo_output);

# `procs` processes × `each` registrations of `slug`, released at once;
# the count of each status.
sub race {
	my ($s, $slug, $procs, $each, $tag) = @_;
	pipe my $gate_r, my $gate_w or die;
	my @kids;
	for my $k (1 .. $procs) {
		pipe my $res_r, my $res_w or die;
		my $pid = fork // die;
		if ($pid == 0) {
			close $gate_w;
			close $res_r;
			my $ua = HTTP::Tiny->new(timeout => 60);
			my %count;
			sysread $gate_r, my $go, 1;
			for my $i (1 .. $each) {
				my $r = $ua->request('POST', $s->site_url . "/api/events/$slug/register",
					{ headers => { 'Content-Type' => 'application/json', Origin => $s->site_url },
					  content => encode_json({ firstName => "Racer$k", lastName => "N$i",
								   email => "$tag$k.$i\@example.com" }) });
				my $code = $r->{status} == 409 ? (eval { decode_json($r->{content})->{error}{code} } // '409') : $r->{status};
				$count{$code}++;
			}
			syswrite $res_w, encode_json(\%count);
			POSIX::_exit(0);
		}
		close $res_w;
		push @kids, [ $pid, $res_r ];
	}
	close $gate_r;
	syswrite $gate_w, 'g' x $procs;
	close $gate_w;
	my %total;
	for my $kid (@kids) {
		my ($pid, $fh) = @$kid;
		local $/;
		my $json = <$fh>;
		waitpid $pid, 0;
		my $c = eval { decode_json($json // '') } // {};
		$total{$_} += $c->{$_} for keys %$c;
	}
	return \%total;
}

sub enc {
	my %f = @_;
	return join '&', map { my $v = $f{$_}; $v =~ s/([^A-Za-z0-9\-._~])/sprintf('%%%02X', ord $1)/ge; "$_=$v" } sort keys %f;
}

sub run_on {
	my ($name, %env) = @_;
	subtest "50 simultaneous registrations for 10 seats on $name" => sub {
		my $s = CWC::Stack->start(workers => 4, env => { CWC_THROTTLE_EVENT => '100000/3600', %env });
		my $staff = $s->login('staff', undef, host => 'admin');
		my $day = POSIX::strftime('%Y-%m-%d', localtime(time + 86400 * 10));
		my $r = $s->request('POST', '/events', host => 'admin', session => $staff,
			headers => { 'Content-Type' => 'application/x-www-form-urlencoded' },
			body => enc(title => 'Course aux places', slug => 'course-aux-places', category => 'Atelier',
				    description => 'Dix places.', date => $day, startTime => '18:00', endTime => '19:00',
				    location => 'Open Space', maxParticipants => 10, price => '', published => 1));
		is $r->{status}, 303, 'an event of 10 seats';

		my $c = race($s, 'course-aux-places', 5, 10, 'a');
		is $c->{201}, 10, 'exactly 10 registrations created';
		is $c->{event_full}, 40, 'the 40 others answered 409 event_full';
		is scalar(grep { $_ ne '201' && $_ ne 'event_full' } keys %$c), 0, 'nothing else (no 5xx)'
			or diag explain $c;
		my $ev = $s->get('/api/events/course-aux-places')->{json}{event};
		is $ev->{seatsLeft}, 0, 'no seat left';
		ok $ev->{full}, 'full';
		my $adm = $s->get('/events', session => $staff)->{content};
		like $adm, qr{<td[^>]*>10 / 10</td>}, 'the back office counts 10 of 10';

		# one cancellation frees exactly one seat
		my ($id) = $s->get('/events', session => $staff)->{content} =~ m{href="/events/([0-9a-f]{24})">Course aux places};
		my ($rid) = $s->get("/events/$id", session => $staff)->{content} =~ m{/events/$id/registrations/([0-9a-f]{24})/cancel};
		$r = $s->request('POST', "/events/$id/registrations/$rid/cancel", host => 'admin', session => $staff,
			headers => { 'Content-Type' => 'application/x-www-form-urlencoded' }, body => '');
		is $r->{status}, 303, 'one registration cancelled by the staff';
		is $s->get('/api/events/course-aux-places')->{json}{event}{seatsLeft}, 1, 'one seat left';
		$c = race($s, 'course-aux-places', 4, 5, 'b');
		is $c->{201}, 1, '20 racers for it: exactly one gets it';
		is $c->{event_full}, 19, 'the 19 others: event_full';
		is $s->get('/api/events/course-aux-places')->{json}{event}{seatsLeft}, 0, 'full again';
		unlike $s->log_text('site'), qr/"level":"error"/, 'no error in the site log';
		$s->stop;
	};
}

CWC::MongoServer->on_both_stores(\&run_on);

done_testing;
