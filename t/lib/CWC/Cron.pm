package CWC::Cron;
# Runs cwc-cron (the tests' build: CWC::Stack::program) for the mail
# tests: `run_cron(\%env, $errlog, @args)` sets %env (undef values unset,
# text encoded as UTF-8), appends its stderr to $errlog, and returns (exit
# status, stdout). $errlog is read for sanitizer reports at the end of the
# test (CWC::Stack::watch_log).
use strict;
use warnings;
use CWC::Stack;
use Encode ();
use Exporter qw(import);
use POSIX ();

our @EXPORT = qw(run_cron);

sub run_cron {
	my ($env, $errlog, @args) = @_;
	my $root = $CWC::Stack::ROOT;
	my $bin = CWC::Stack::program('cwc-cron');
	CWC::Stack::watch_log($errlog);
	my $pid = open(my $out, '-|') // die "fork: $!";
	if ($pid == 0) {
		@ENV{ keys %CWC::Stack::SANITIZER_ENV } = values %CWC::Stack::SANITIZER_ENV;
		while (my ($k, $v) = each %$env) {
			if (defined $v) { $ENV{$k} = Encode::encode('UTF-8', $v) } else { delete $ENV{$k} }
		}
		open STDERR, '>>', $errlog or die;
		chdir $root;
		exec($bin, map { Encode::encode('UTF-8', $_) } @args) or POSIX::_exit(127);
	}
	local $/;
	my $stdout = <$out> // '';
	close $out;
	return ($? >> 8, $stdout);
}

1;
