#!/usr/bin/perl
# No double booking, black-box: 200 simultaneous conflicting requests
# through Caddy, from 8 client processes, to the site's 4 workers, give
# exactly one booking of a room, and exactly the seats left of the
# open-space — on the embedded store, and on the MongoDB backend (the
# FerretDB test server) when it can be built.
use strict;
use warnings;
use utf8;
use FindBin;
use lib "$FindBin::Bin/lib";
use CWC::MongoServer;
use CWC::Stack;
use CWC::Bookings;
use HTTP::Tiny;
use JSON::PP;
use POSIX ();
use Test::More;
binmode $_, ':encoding(UTF-8)' for map { Test::More->builder->$_ } qw(output failure_output todo_output);

# 8 processes × 25 requests of `body`, released at once; returns the
# count of each status.
sub race {
	my ($s, $body) = @_;
	pipe my $gate_r, my $gate_w or die;
	my @kids;
	for my $k (1 .. 8) {
		pipe my $res_r, my $res_w or die;
		my $pid = fork // die;
		if ($pid == 0) {
			close $gate_w;
			close $res_r;
			my $ua = HTTP::Tiny->new(timeout => 60);
			my %count;
			sysread $gate_r, my $go, 1;
			for my $i (1 .. 25) {
				my %b = (%$body, contactEmail => "racer$k.$i\@example.com");
				my $r = $ua->request('POST', $s->site_url . '/api/bookings',
					{ headers => { 'Content-Type' => 'application/json' }, content => encode_json(\%b) });
				$count{ $r->{status} }++;
			}
			syswrite $res_w, encode_json(\%count);
			POSIX::_exit(0);
		}
		close $res_w;
		push @kids, [ $pid, $res_r ];
	}
	close $gate_r;
	syswrite $gate_w, 'g' x 8;   # open the gate
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

sub run_on {
	my ($name, %env) = @_;
	subtest "200 simultaneous requests on $name" => sub {
		my $s = CWC::Stack->start(workers => 4, env => { CWC_THROTTLE_GUEST_BOOKING => '100000/3600', %env });
		my $b = CWC::Bookings->new($s);
		my $day = $b->open_weekday(4, 45);

		my $c = race($s, $b->body(date => $day, spaceType => 'salle-verriere', startTime => '10:00',
					  endTime => '12:00', numberOfPeople => 3));
		is $c->{201}, 1, 'the Verrière 10–12: exactly one booking created';
		is $c->{409}, 199, '199 answered 409 booking_conflict';
		is scalar(grep { $_ ne '201' && $_ ne '409' } keys %$c), 0, 'nothing else (no 5xx)'
			or diag explain $c;
		my $a = $s->get("/api/availability?spaceType=salle-verriere&date=$day")->{json};
		my %avail = map { $_->{time} => $_->{available} } @{ $a->{slots} };
		ok !$avail{'10:00'} && !$avail{'11:30'} && $avail{'12:00'}, 'availability shows 10–12 taken';

		my $r = $b->book(date => $day, startTime => '09:00', endTime => '12:00', numberOfPeople => 12);
		is $r->{status}, 201, '12 open-space seats taken first';
		$c = race($s, $b->body(date => $day, startTime => '11:00', endTime => '13:00', numberOfPeople => 1));
		is $c->{201}, 28, 'the open-space 11–13: exactly the 28 seats left were booked';
		is $c->{409}, 172, 'the other 172 answered 409';
		is scalar(grep { $_ ne '201' && $_ ne '409' } keys %$c), 0, 'nothing else' or diag explain $c;
		$a = $s->get("/api/availability?spaceType=open-space&date=$day")->{json};
		my %left = map { $_->{time} => $_->{seatsLeft} } @{ $a->{slots} };
		is_deeply [ @left{qw(10:30 11:00 11:30 12:00 12:30 13:00)} ], [ 28, 0, 0, 12, 12, 40 ],
			'seats left: 0 during 11–12, 12 during 12–13';
		unlike $s->log_text('site'), qr/"level":"error"/, 'no error in the site log';
		$s->stop;
	};
}

run_on('the embedded store');

SKIP: {
	my $why = CWC::MongoServer->unavailable;
	skip $why, 1 if $why;
	my $m = CWC::MongoServer->start;
	for my $ttl ([ sessions => 'expires' ], [ passwordresettokens => 'expiresAt' ]) {
		my ($coll, $field) = @$ttl;
		$m->command('coworking-cafe', createIndexes => $coll,
			    indexes => CWC::MongoServer::list([ key => [ $field => 1 ], name => "${field}_1" ]));
	}
	run_on('MongoDB (FerretDB test server)', MONGODB_URI => $m->uri('coworking-cafe'));
	$m->stop;
}

done_testing;
