package FakeService;
# Starts one of the fakes of t/fake/ (stand-ins for paid services) for a
# test, and reads what it recorded.
#
#   my $resend = FakeService->start('resend', '--key', $key);
#   $resend->url;                 # http://127.0.0.1:PORT
#   $resend->records;             # the JSON lines it wrote, decoded
#   $smtp->sessions;              # the SMTP fake's sessions (verbs, tls)
#   $resend->control(failFirst => 2);
#
# The fake is stopped (by its pid) when the object goes away.
use strict;
use warnings;
use File::Basename qw(dirname);
use File::Temp qw(tempdir);
use HTTP::Tiny;
use JSON::PP;
use POSIX qw(:sys_wait_h);
use Time::HiRes qw(sleep time);

sub start {
	my ($class, $name, @args) = @_;
	my $dir = tempdir("fake-$name-XXXXXX", TMPDIR => 1, CLEANUP => !$ENV{CWC_KEEP_TMP});
	my $record = "$dir/record.jsonl";
	my $prog = dirname(__FILE__) . "/$name";
	pipe(my $r, my $w) or die "pipe: $!";
	my $pid = fork // die "fork: $!";
	if ($pid == 0) {
		close $r;
		open STDOUT, '>&', $w or die;
		open STDERR, '>>', "$dir/stderr.log";
		open STDIN, '<', '/dev/null';
		exec('/usr/bin/python3', $prog, '--record', $record, @args) or POSIX::_exit(127);
	}
	close $w;
	my $line = <$r>;
	die "fake $name did not start\n" unless defined $line && $line =~ /^ready (\d+)/;
	my $self = bless { name => $name, pid => $pid, port => $1, record => $record,
			   dir => $dir, pipe => $r }, $class;
	return $self;
}

sub port { $_[0]{port} }
sub url { "http://127.0.0.1:$_[0]{port}" }
sub record_file { $_[0]{record} }

sub records {
	my ($self) = @_;
	open my $fh, '<:raw', $self->{record} or return ();
	return map { decode_json($_) } grep { /\S/ } <$fh>;
}

# The SMTP fake's sessions ({verbs => [...], tls => bool}), one per
# connection, in the order they ended.
sub sessions {
	my ($self) = @_;
	open my $fh, '<:raw', "$self->{record}.sessions" or return ();
	return map { decode_json($_) } grep { /\S/ } <$fh>;
}

# POST a JSON object to the fake's control endpoint (HTTP fakes only).
sub control {
	my ($self, %o) = @_;
	my $r = HTTP::Tiny->new(timeout => 5)->post($self->url . '/_fake/control',
		{ content => encode_json(\%o), headers => { 'Content-Type' => 'application/json' } });
	die "control $self->{name}: $r->{status}\n" unless $r->{success};
}

sub stop {
	my ($self) = @_;
	my $pid = delete $self->{pid} or return;
	kill 'TERM', $pid;
	my $deadline = time + 5;
	while (time < $deadline) {
		return if waitpid($pid, WNOHANG) == $pid;
		sleep 0.05;
	}
	kill 'KILL', $pid;
	waitpid($pid, 0);
}

sub DESTROY {
	local ($?, $!, $@);
	$_[0]->stop;
}

1;
