package CWC::Badges;
# Listens to the relay's Redis channel (cwc:events) for the staff's badge
# events (conn_publish_badge): `my $b = CWC::Badges->listen($stack);`,
# then `$b->wait('quotes')` is true once {"type":"badge","badge":"quotes"}
# was published since the last wait for it (a generous deadline), and
# `$b->count('quotes')` says how many arrived. The redis-cli process is
# stopped (by its pid) when the object goes away.
use strict;
use warnings;
use POSIX ();
use Time::HiRes qw(sleep time);

sub listen {
	my ($class, $s) = @_;
	my $file = $s->dir . "/logs/badges.$$." . int(rand 1e6) . '.txt';
	my $pid = fork // die "fork: $!";
	if ($pid == 0) {
		open STDOUT, '>', $file or POSIX::_exit(1);
		open STDERR, '>', '/dev/null';
		exec('redis-cli', '-u', $s->redis_url, '--no-raw', 'SUBSCRIBE', 'cwc:events') or POSIX::_exit(127);
	}
	my $self = bless { pid => $pid, file => $file, seen => {} }, $class;
	my $deadline = time + 10;
	sleep 0.05 until $self->_text =~ /subscribe/ || time > $deadline;
	return $self;
}

sub _text { open my $fh, '<', $_[0]{file} or return ''; local $/; <$fh> // '' }

sub count {
	my ($self, $what) = @_;
	my @n = $self->_text =~ /\\"badge\\":\\"\Q$what\E\\"/g;
	return scalar @n;
}

sub wait {
	my ($self, $what, $secs) = @_;
	my $deadline = time + ($secs // 10);
	my $had = $self->{seen}{$what} // 0;
	while (time < $deadline) {
		my $n = $self->count($what);
		if ($n > $had) { $self->{seen}{$what} = $n; return 1 }
		sleep 0.05;
	}
	return 0;
}

sub DESTROY {
	my ($self) = @_;
	return unless $self->{pid};
	kill 'TERM', $self->{pid};
	waitpid $self->{pid}, 0;
}

1;
