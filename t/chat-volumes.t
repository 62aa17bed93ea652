#!/usr/bin/perl
# The chat at real-life volumes, through Caddy: a staff member with 30
# group conversations and two dozen customers' conversations (names of
# 100 characters, the longest the API takes, accented), dozens of
# messages in some, lists every one of them, unread first then by latest
# activity, with the right counts; `unread=1` leaves out what was read;
# every page of a 250-message conversation, walked back with `before=` and
# forward with `after=`, gives each message exactly once. (A list of a
# dozen conversations used to crash the admin worker: signal 11, 502.)
use strict;
use warnings;
use utf8;
use FindBin;
use lib "$FindBin::Bin/lib";
use CWC::Stack;
use POSIX ();
use Test::More;
binmode $_, ':encoding(UTF-8)' for map { Test::More->builder->$_ } qw(output failure_output todo_output);

my $GROUPS = 30;
my $CUSTOMERS = 24;
my $LONG = 250;

# two dozen sign-ups from one address
my $s = CWC::Stack->start(env => { CWC_THROTTLE_REGISTER => '100/3600' });
my $staff = $s->login('staff', undef, host => 'admin');
my $admin = $s->login('admin', undef, host => 'admin');

# A name of exactly 100 characters (about 150 bytes) that starts with `head`.
sub long_name {
	my ($head) = @_;
	my $name = "$head — ";
	$name .= 'Équipe du café, réservations été & hiver, ' while length $name < 100;
	return substr($name, 0, 99) . 'é';    # no space at the end: it would be trimmed
}

sub post_message {
	my ($who, $conv, $content) = @_;
	my $r = $s->post("/api/conversations/$conv/messages", session => $who, json => { content => $content });
	die "send to $conv: $r->{status} $r->{content}" unless $r->{status} == 201;
	return $r->{json};
}

# What the test knows of each conversation, by id: name, the last message
# (content, createdAt) and the staff member's unread count.
my %want;

# --- 30 groups made by admin with the staff member, messages in each
my @groups;
for my $i (1 .. $GROUPS) {
	my $name = long_name(sprintf 'Groupe %02d', $i);
	my $r = $s->post('/api/conversations', session => $admin,
			 json => { type => 'group', name => $name, participants => [ $staff->{user}{id} ] });
	is $r->{status}, 201, "group $i with a 100-character name is created" or diag $r->{content};
	my $id = $r->{json}{id} // next;
	push @groups, $id;
	$want{$id} = { name => $name, unread => 0, type => 'group' };
}
my $r = $s->post('/api/conversations', session => $admin,
		 json => { type => 'group', name => long_name('Groupe') . 'x', participants => [] });
is $r->{status}, 422, 'a 101-character name is refused';
for my $i (0 .. $#groups) {
	my $id = $groups[$i];
	# a few messages in most, dozens in every fifth
	my $n = $i % 5 == 0 ? 24 : 1 + $i % 3;
	my $m;
	$m = post_message($admin, $id, "Groupe $i, message $_ : " . ('é' x 40)) for 1 .. $n;
	$want{$id}{unread} = $n;
	$want{$id}{last} = $m;
}

# --- two dozen customers, each with their conversation with the café
my @directs;
for my $i (1 .. $CUSTOMERS) {
	my $given = long_name(sprintf 'Cliente %02d', $i);
	my $c = $s->new_client(sprintf('volume.client%02d@example.com', $i), givenName => $given);
	my $r = $s->post('/api/conversations', session => $c, json => {});
	is $r->{status}, 201, "customer $i opens their conversation" or diag $r->{content};
	my $id = $r->{json}{id} // next;
	push @directs, [ $id, $c ];
	my $m;
	$m = post_message($c, $id, "Bonjour, question $_ de la cliente $i") for 1 .. 1 + $i % 4;
	$want{$id} = { given => $given, unread => 1 + $i % 4, type => 'direct', last => $m };
}

# --- the staff member reads some, answers some, and some write again
for my $i (grep { $_ % 3 == 1 } 0 .. $#groups) {
	my $id = $groups[$i];
	my $r = $s->post("/api/conversations/$id/read", session => $staff, json => {});
	is $r->{status}, 200, "staff reads group $i";
	$want{$id}{unread} = 0;
}
for my $i (grep { $_ % 6 == 4 } 0 .. $#groups) {    # read ones
	my $id = $groups[$i];
	$want{$id}{last} = post_message($staff, $id, "Réponse de l'équipe au groupe $i");
}
for my $i (grep { $_ % 2 == 0 } 0 .. $#directs) {
	my ($id) = @{ $directs[$i] };
	my $r = $s->post("/api/conversations/$id/read", session => $staff, json => {});
	is $r->{status}, 200, "staff reads customer conversation $i";
	$want{$id}{unread} = 0;
}
for my $i (grep { $_ % 6 == 0 } 0 .. $#directs) {
	my ($id, $c) = @{ $directs[$i] };
	$want{$id}{last} = post_message($c, $id, "Encore une question, merci !");
	$want{$id}{unread} = 1;
}

# The order the staff list must have: unread first, then latest activity
# first (lastMessageAt is the createdAt of the last message posted there).
sub expected_order {
	my ($only_unread) = @_;
	my @ids = grep { !$only_unread || $want{$_}{unread} > 0 } keys %want;
	return sort {
		($want{$b}{unread} > 0) <=> ($want{$a}{unread} > 0)
		    || $want{$b}{last}{createdAt} cmp $want{$a}{last}{createdAt}
	} @ids;
}

sub check_list {
	my ($path, $only_unread) = @_;
	my $r = $s->get($path, session => $staff);
	unless (is $r->{status}, 200, "staff GET $path answers 200") {
		diag "$r->{status} $r->{content}\n" . $s->log_tail('admin', 12);
		return ();
	}
	my @got = @{ $r->{json}{conversations} // [] };
	my @expect = expected_order($only_unread);
	is scalar @got, scalar @expect, scalar(@expect) . " conversations listed";
	# ties (two last messages in one millisecond) may come in either order
	is_deeply [ map { [ $_->{unreadCount} > 0 ? 1 : 0, $_->{lastMessageAt} ] } @got ],
		  [ map { [ $want{$_}{unread} > 0 ? 1 : 0, $want{$_}{last}{createdAt} ] } @expect ],
		  'unread first, then latest activity first';
	is_deeply [ sort map { $_->{id} } @got ], [ sort @expect ], 'each conversation once';
	my ($bad_count, $bad_last, $bad_name) = (0, 0, 0);
	my $total = 0;
	for my $c (@got) {
		my $w = $want{ $c->{id} } or next;
		$total += $w->{unread};
		$bad_count++ unless $c->{unreadCount} == $w->{unread};
		$bad_last++ unless ($c->{lastMessage}{id} // '') eq $w->{last}{id}
			&& ($c->{lastMessage}{content} // '') eq $w->{last}{content};
		if ($w->{type} eq 'group') {
			$bad_name++ unless ($c->{name} // '') eq $w->{name};
		} else {
			$bad_name++ unless grep { $_->{name} eq $w->{given} } @{ $c->{people} };
		}
	}
	is $bad_count, 0, 'every unreadCount is right';
	is $bad_last, 0, 'every lastMessage is the last one posted';
	is $bad_name, 0, 'every long name (group, customer) comes back whole';
	is $r->{json}{totalUnread}, $total, "totalUnread is $total";
	return @got;
}

my @all = check_list('/api/conversations', 0);
my @unread = check_list('/api/conversations?unread=1', 1);
my $read = grep { $_->{unread} == 0 } values %want;
ok $read >= 10, "$read conversations are read by the staff member";
is scalar(@all) - scalar(@unread), $read, 'unread=1 leaves out exactly the read ones';
ok !(grep { $_->{unreadCount} == 0 } @unread), 'and lists none with 0 unread';

# the worker that answered is still there (no crash, no restart)
my @workers = $s->children('admin');
check_list('/api/conversations', 0) for 1 .. 3;
is_deeply [ $s->children('admin') ], \@workers, 'the admin workers survive repeated listings';

# a customer still sees only their own conversation
my ($own, $customer) = @{ $directs[1] };
$r = $s->get('/api/conversations', session => $customer);
is_deeply [ map { $_->{id} } @{ $r->{json}{conversations} } ], [$own],
	'a customer lists only their own conversation';

# --- 250 messages in one conversation, posted by four writers at once
# (so that several share a millisecond), then every page walked.
my $conv = $groups[3];
my @posted;
{
	pipe my $rd, my $wr or die "pipe: $!";
	my @kids;
	for my $w (0 .. 3) {
		my $pid = fork // die "fork: $!";
		if ($pid == 0) {
			close $rd;
			delete $s->{ua};    # a connection of our own
			my $who = $w % 2 ? $staff : $admin;
			for my $k (grep { $_ % 4 == $w } 1 .. $LONG) {
				my $m = eval { post_message($who, $conv, "volume $k") };
				syswrite $wr, $m ? "$m->{id} $m->{createdAt} $k\n" : "error $k\n";
			}
			POSIX::_exit(0);    # not the stack's destructor
		}
		push @kids, $pid;
	}
	close $wr;
	while (my $line = <$rd>) {
		chomp $line;
		my ($id, $at, $k) = split ' ', $line;
		push @posted, { id => $id, createdAt => $at } if $id ne 'error';
	}
	waitpid $_, 0 for @kids;
}
is scalar @posted, $LONG, "$LONG messages posted by four writers at once";
# the conversation's order: createdAt, then id
my @oldest_first = map { $_->{id} } sort {
	$a->{createdAt} cmp $b->{createdAt} || $a->{id} cmp $b->{id}
} @posted;
my %is_volume = map { $_->{id} => 1 } @posted;
my %ties;
$ties{ $_->{createdAt} }++ for @posted;
note scalar(grep { $_ > 1 } values %ties) . ' milliseconds hold more than one message';

# everything in the conversation, as the server orders it, by walking back
sub walk_back {
	my ($limit) = @_;
	my @seen;
	my $pages = 0;
	my $path = "/api/conversations/$conv/messages?limit=$limit";
	while (1) {
		my $r = $s->get($path, session => $staff);
		return (undef, "page $pages: $r->{status}") unless $r->{status} == 200;
		$pages++;
		my @m = @{ $r->{json}{messages} };
		return (undef, "page $pages has " . @m . " messages") if @m > $limit || (!@m && $pages > 1);
		push @seen, map { $_->{id} } @m;
		last unless $r->{json}{hasMore};
		$path = "/api/conversations/$conv/messages?limit=$limit&before=$m[-1]{id}";
		return (undef, 'more than 100 pages') if $pages > 100;
	}
	return (\@seen, $pages);
}

sub walk_forward {
	my ($limit, $from) = @_;
	my @seen;
	my $pages = 0;
	my $cursor = $from;
	while (1) {
		my $r = $s->get("/api/conversations/$conv/messages?limit=$limit&after=$cursor", session => $staff);
		return (undef, "page $pages: $r->{status}") unless $r->{status} == 200;
		$pages++;
		my @m = @{ $r->{json}{messages} };    # newest first
		return (undef, "page $pages has " . @m . " messages") if @m > $limit;
		push @seen, reverse map { $_->{id} } @m;
		last unless $r->{json}{hasMore};
		$cursor = $m[0]{id};
		return (undef, 'more than 100 pages') if $pages > 100;
	}
	return (\@seen, $pages);
}

for my $limit (7, 50, 100) {
	my ($seen, $pages) = walk_back($limit);
	ok $seen, "walking back $limit at a time works" or diag $pages;
	$seen or next;
	my @volume = grep { $is_volume{$_} } reverse @$seen;
	my %n;
	my @twice = grep { $n{$_}++ } @$seen;
	is scalar @twice, 0, "limit $limit: no message comes twice over $pages pages";
	is_deeply \@volume, \@oldest_first, "limit $limit: all $LONG messages, in order, none lost";
	my ($fwd, $fpages) = walk_forward($limit, $seen->[-1]);
	ok $fwd, "walking forward $limit at a time works" or diag $fpages;
	$fwd or next;
	is_deeply $fwd, [ reverse @$seen[0 .. $#$seen - 1] ],
		"limit $limit: after= from the oldest gives every later message once, in order ($fpages pages)";
}

# cursors on messages that share their millisecond with others: a page
# before (after) one of them holds the others of that millisecond that
# come before (after) it in the conversation's order, and only those
my %pos_of = map { $oldest_first[$_] => $_ } 0 .. $#oldest_first;
my @tied = grep { $ties{ $_->{createdAt} } > 1 } @posted;
SKIP: {
	skip 'no two messages shared a millisecond this time', 2 unless @tied;
	my ($bad_before, $bad_after) = (0, 0);
	for my $m (@tied) {
		my $pos = $pos_of{ $m->{id} };
		my $r = $s->get("/api/conversations/$conv/messages?limit=100&before=$m->{id}", session => $staff);
		my @got = grep { $is_volume{$_} } map { $_->{id} } @{ $r->{json}{messages} // [] };
		my @want = reverse @oldest_first[ ($pos > 100 ? $pos - 100 : 0) .. $pos - 1 ];
		$bad_before++ unless "@got" eq "@want";
		$r = $s->get("/api/conversations/$conv/messages?limit=100&after=$m->{id}", session => $staff);
		@got = reverse map { $_->{id} } @{ $r->{json}{messages} // [] };
		@want = @oldest_first[ $pos + 1 .. ($pos + 100 > $#oldest_first ? $#oldest_first : $pos + 100) ];
		$bad_after++ unless "@got" eq "@want";
	}
	is $bad_before, 0, 'before= each of ' . @tied . ' messages sharing a millisecond: exactly the ones before it';
	is $bad_after, 0, 'after= each of them: exactly the ones after it, in order';
}

done_testing;
