#!/usr/bin/perl
# No double booking, black-box: 200 simultaneous conflicting requests
# through Caddy, from 8 client processes, to the site's 4 workers, give
# exactly one booking of a room, and exactly the seats left of the
# open-space — on the embedded store, and on the MongoDB backend (the
# FerretDB test server) when it can be built. And a whole-café
# privatisation sent at once with 50 room and seat bookings of the same
# hours: either it wins and every other one gets 409, or it gets 409 and
# they all go through; never both.
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

# Sends each process's list of [tag, body] at once (one process per
# list); returns { tag => [status, message] }.
sub race_lists {
	my ($s, @lists) = @_;
	pipe my $gate_r, my $gate_w or die;
	my @kids;
	for my $list (@lists) {
		pipe my $res_r, my $res_w or die;
		my $pid = fork // die;
		if ($pid == 0) {
			close $gate_w;
			close $res_r;
			my $ua = HTTP::Tiny->new(timeout => 60);
			my %got;
			sysread $gate_r, my $go, 1;
			for my $item (@$list) {
				my ($tag, $body) = @$item;
				if ($tag eq 'pause') {   # seconds
					select undef, undef, undef, $body;
					next;
				}
				my $r = $ua->request('POST', $s->site_url . '/api/bookings',
					{ headers => { 'Content-Type' => 'application/json' }, content => encode_json($body) });
				my $j = eval { decode_json($r->{content}) } // {};
				$got{$tag} = [ $r->{status}, $j->{error} ? $j->{error}{message} : '' ];
			}
			syswrite $res_w, encode_json(\%got);
			POSIX::_exit(0);
		}
		close $res_w;
		push @kids, [ $pid, $res_r ];
	}
	close $gate_r;
	syswrite $gate_w, 'g' x @lists;
	close $gate_w;
	my %all;
	for my $kid (@kids) {
		my ($pid, $fh) = @$kid;
		local $/;
		my $json = <$fh>;
		waitpid $pid, 0;
		my $g = eval { decode_json($json // '') } // {};
		%all = (%all, %$g);
	}
	return \%all;
}

# A privatisation of `day` 10:00–20:00 and 50 bookings of other spaces
# then, none in another's way (40 seats, 5 hours of each room), from 6
# processes; the privatisation is its process's first request, or last,
# or (`alone`) a seventh process's only one, the others starting up to
# 0.3 s later (so that it may win).
sub privatisation_race {
	my ($s, $b, $day, $priv_last, $alone) = @_;
	my @others;
	push @others, [ "seat$_", $b->body(date => $day, startTime => sprintf('%02d:00', 10 + $_ % 10),
					   endTime => sprintf('%02d:00', 11 + $_ % 10), contactEmail => "seat$_\@example.com") ]
		for 1 .. 40;
	for my $room (qw(salle-verriere salle-etage)) {
		push @others, [ "$room$_", $b->body(date => $day, spaceType => $room, numberOfPeople => 2,
						     startTime => sprintf('%02d:00', 10 + 2 * $_),
						     endTime => sprintf('%02d:00', 11 + 2 * $_), contactEmail => "$room$_\@example.com") ]
			for 0 .. 4;
	}
	my @lists = map { [] } 1 .. 6;
	push @{ $lists[ $_ % 6 ] }, $others[$_] for 0 .. $#others;
	my $priv = [ priv => $b->body(date => $day, spaceType => 'evenementiel', numberOfPeople => 50,
				      startTime => '10:00', endTime => '20:00', contactEmail => 'fete@example.com') ];
	if ($alone) {
		unshift @{ $lists[$_] }, [ pause => 0.05 * $_ ] for 0 .. $#lists;
		push @lists, [ $priv ];
	} elsif ($priv_last) {
		push @{ $lists[0] }, $priv;
	} else {
		unshift @{ $lists[0] }, $priv;
	}
	my $got = race_lists($s, @lists);
	my ($p, $pmsg) = @{ $got->{priv} // [0, ''] };
	my %others;
	$others{ $got->{ $_->[0] } ? $got->{ $_->[0] }[0] : 'none' }++ for @others;
	note "privatisation sent " . ($alone ? 'alone' : $priv_last ? 'last' : 'first') . " by its process: $p $pmsg; others: "
		. join ', ', map { "$_ × $others{$_}" } sort keys %others;
	if ($p == 201) {
		is_deeply \%others, { 409 => 50 }, 'the privatisation won: all 50 others answered 409';
		my $a = $s->get("/api/availability?spaceType=open-space&date=$day")->{json};
		my %left = map { $_->{time} => $_->{seatsLeft} } @{ $a->{slots} };
		is_deeply [ @left{qw(10:00 15:00 19:30)} ], [ 0, 0, 0 ], 'the open-space shows no seat left then';
	} else {
		is $p, 409, 'the privatisation answered 409' or diag "$p $pmsg";
		like $pmsg, qr/cannot be privatised/, "…saying bookings are in its way ($pmsg)";
		is_deeply \%others, { 201 => 50 }, 'and all 50 others went through';
	}
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

		# the événementiel space is on quote: staff lift it (no API yet)
		{
			my %env = $s->app_env;
			local @ENV{ keys %env } = values %env;
			my $out = `$CWC::Stack::ROOT/build/asan/t/tools/store-update spaceconfigurations '{"spaceType": "evenementiel"}' '{"\$set": {"requiresQuote": false}}' 2>&1`;
			like $out, qr/matched 1/, 'événementiel bookable directly' or diag $out;
		}
		# one round per store keeps the file under a minute or two: the
		# privatisation sent alone, the others up to 0.3 s later, so that
		# either may win (first and last by its process: same outcome,
		# tried while this was written)
		privatisation_race($s, $b, $b->open_weekday(5, 45), 0, 1);

		unlike $s->log_text('site'), qr/"level":"error"/, 'no error in the site log';
		$s->stop;
	};
}

CWC::MongoServer->on_both_stores(\&run_on);

done_testing;
