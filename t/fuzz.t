#!/usr/bin/perl
# The fuzz targets of t/fuzz/ (libFuzzer, ASan + UBSan), each run for a
# short while: first every input of its checked-in corpus (t/fuzz/corpus/
# <target>/, which holds the inputs that once crashed), then new inputs.
# A crash, a leak, a sanitizer report or a failed check of the target
# fails the test; the number of executions is printed.
#
#   CWC_FUZZ_SECONDS   seconds per target (default 20; `make fuzz`: 300)
#   CWC_FUZZ_CORPUS    a directory that keeps what the runs find, one
#                      folder per target (default: a temporary one)
#   CWC_FUZZ_JOBS      targets run at once (default 2)
#   CWC_FUZZ_SEED      libFuzzer's seed; 0 is a new one each run. Default:
#                      1 for `make test` (the same inputs on every machine,
#                      so a red CI run is a change's doing and can be
#                      replayed), 0 when CWC_FUZZ_CORPUS is set (`make
#                      fuzz` explores; what it finds goes in t/fuzz/corpus)
use strict;
use warnings;
use File::Temp qw(tempdir);
use File::Path qw(make_path);
use FindBin;
use Test::More;

use Cwd qw(abs_path);
my $root = abs_path("$FindBin::Bin/..");
# the targets run in a folder of their own: the templates are the checkout's
$ENV{CWC_TEMPLATE_DIR} = $root;
my $bins = "$root/build/fuzz/bin";
my $secs = $ENV{CWC_FUZZ_SECONDS} || 20;
my $jobs = $ENV{CWC_FUZZ_JOBS} || 2;
my $tmp = tempdir('cwc-fuzz-t-XXXXXX', TMPDIR => 1, CLEANUP => 1);
my $keep = $ENV{CWC_FUZZ_CORPUS} || "$tmp/corpus";
my $seed = $ENV{CWC_FUZZ_SEED} // ($ENV{CWC_FUZZ_CORPUS} ? 0 : 1);

my @targets = map { m{/([^/]+)\.c$} ? $1 : () } sort glob("$root/t/fuzz/*.c");
ok @targets >= 6, 'there are fuzz targets (' . join(', ', @targets) . ')';

# start them $jobs at a time; each writes its own log
my (%pid, %log, @queue);
@queue = @targets;
my $run = sub {
	my $t = shift @queue;
	my $bin = "$bins/$t";
	$log{$t} = "$tmp/$t.log";
	unless (-x $bin) {
		$pid{$t} = 0;
		return;
	}
	make_path("$keep/$t", "$tmp/art-$t");
	my $pid = fork // die "fork: $!";
	if (!$pid) {
		open STDOUT, '>', $log{$t} or die;
		open STDERR, '>&', \*STDOUT or die;
		chdir "$tmp/art-$t" or die;
		exec $bin, "-seed=$seed", "-max_total_time=$secs", '-timeout=10', '-print_final_stats=1',
			"-artifact_prefix=$tmp/art-$t/", "$keep/$t", "$root/t/fuzz/corpus/$t";
		die "exec $bin: $!";
	}
	$pid{$t} = $pid;
};
my %status;
my $running = 0;
while (@queue || $running) {
	while (@queue && $running < $jobs) {
		my $t = $queue[0];
		$run->();
		if ($pid{$t}) { $running++ } else { $status{$t} = -1 }
	}
	last unless $running;
	my $done = waitpid(-1, 0);
	last if $done <= 0;
	my ($t) = grep { $pid{$_} == $done } keys %pid;
	next unless defined $t;
	$status{$t} = $?;
	$running--;
}

for my $t (@targets) {
	if (($status{$t} // -1) == -1) {
		fail "$t: $bins/$t is built (make -f build.mk fuzz-bins)";
		next;
	}
	my $out = do { local (@ARGV, $/) = $log{$t}; <> } // '';
	my ($execs) = $out =~ /stat::number_of_executed_units:\s*(\d+)/;
	my ($rate) = $out =~ /stat::average_exec_per_sec:\s*(\d+)/;
	my @crashes = glob("$tmp/art-$t/*");
	my $clean = $status{$t} == 0 && !@crashes && $out !~ /ERROR: (Address|Leak|Undefined)Sanitizer|runtime error:|FUZZ CHECK FAILED/;
	ok $clean, sprintf '%s: %s executions in %ds (%s/s, seed %s), no crash, leak or failed check',
		$t, $execs // '?', $secs, $rate // '?', $seed || 'random';
	unless ($clean) {
		my @lines = split /\n/, $out;
		my ($first) = grep { $lines[$_] =~ /ERROR|FUZZ CHECK|runtime error/ } 0 .. $#lines;
		$first //= @lines > 40 ? @lines - 40 : 0;
		my $last = $first + 30 < $#lines ? $first + 30 : $#lines;
		diag join "\n", @lines[$first .. $last];
		diag "the input: $_ (base64 " . `base64 -w0 '$_'` . ")" for @crashes;
	}
}
done_testing;
