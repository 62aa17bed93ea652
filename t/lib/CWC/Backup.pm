package CWC::Backup;
# What t/backup-*.t share: running cwc-backup (the tests' build, see
# CWC::Stack::program; CWC_BACKUP_BIN for another) and reading dumps with the
# independent reader t/lib/dumpread.py (Debian's python3-bson).
#
#   my ($rc, $out) = backup({ CWC_DATA_DIR => $dir, MONGODB_URI => undef }, 'dump');
#   my $summary = py('dump', $folder);
use strict;
use warnings;
use CWC::Stack;
use Encode ();
use Exporter qw(import);
use File::Basename qw(dirname);
use JSON::PP;

our @EXPORT = qw(backup backup_bin py);

my $BACKUP = $ENV{CWC_BACKUP_BIN} // "$CWC::Stack::ROOT/bin/cwc-backup";
$BACKUP = "$CWC::Stack::ROOT/$BACKUP" unless $BACKUP =~ m{^/};
my $PYTHON = '/usr/bin/python3';   # Debian's python3-bson (PLATFORM.md)
my $READER = dirname(__FILE__) . '/../dumpread.py';

die "bin/cwc-backup is not built (make)\n" unless -x $BACKUP;
die "$PYTHON with python3-bson is needed (make deps)\n"
	unless system($PYTHON, '-c', 'import bson') == 0;

sub backup_bin { $BACKUP }

# The reader's answer to `cmd args` (JSON); dies when it fails.
sub py {
	my (@args) = @_;
	my $cmd = join ' ', map { quotemeta } $PYTHON, $READER, @args;
	my $out = `$cmd`;
	die "dumpread.py @args failed\n" if $?;
	return JSON::PP->new->utf8->decode($out);
}

# Runs cwc-backup with the environment `env` (undef values unset); returns
# (exit code, stdout + stderr).
sub backup {
	my ($env, @args) = @_;
	local %ENV = (%ENV, %CWC::Stack::SANITIZER_ENV);
	for my $k (keys %$env) {
		if (defined $env->{$k}) { $ENV{$k} = $env->{$k} } else { delete $ENV{$k} }
	}
	my $cmd = join ' ', map { quotemeta } $BACKUP, @args;
	my $out = `$cmd 2>&1 </dev/null`;
	return ($? >> 8, Encode::decode('UTF-8', $out));
}

1;
