package CWC::Seed;
# Puts documents straight into a running stack's store, for tests that
# need volumes or states no API makes quickly (a month of bookings and
# payments, another person's contact mails): t/tools/store-insert.
#
#   CWC::Seed::insert($stack, 'payments', {kind => 'capture', updatedAt => date($ms)}, …);
#   date($ms) / oid($hex): extended JSON values.
use strict;
use warnings;
use JSON::PP ();
use POSIX ();
use Exporter 'import';
our @EXPORT_OK = qw(date oid);

sub date { return { '$date' => { '$numberLong' => sprintf('%d', $_[0]) } } }
sub oid { return { '$oid' => $_[0] } }

my $json = JSON::PP->new->canonical->utf8;

sub insert {
	my ($s, $coll, @docs) = @_;
	return 0 unless @docs;
	my %env = $s->app_env;
	my $log = $s->dir . '/logs/store-insert.log';
	my $tool = "$CWC::Stack::ROOT/build/asan/t/tools/store-insert";
	local @ENV{ keys %env } = values %env;
	my $pid = open(my $to, '|-') // die "fork: $!";
	if (!$pid) {
		open STDOUT, '>>', $log or POSIX::_exit(127);
		open STDERR, '>>', $log or POSIX::_exit(127);
		exec($tool, $coll) or POSIX::_exit(127);
	}
	print $to $json->encode($_), "\n" for @docs;
	close $to;
	die "store-insert $coll failed (see $log)" if $?;
	return scalar @docs;
}

1;
