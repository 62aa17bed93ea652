package CWC::Stripe;
# What the payment tests share: Stripe's webhook signature made the way
# Stripe makes it, and a reader of a collection of the embedded store (the
# webhook's records live where no API shows them).
#
#   my $h = CWC::Stripe::signature($body, time, $secret, $other_secret);
#   my @docs = CWC::Stripe::collection($stack, 'stripeevents');
use strict;
use warnings;
use Digest::SHA qw(hmac_sha256_hex);
use JSON::PP;

# "t=<t>,v1=<hmac>[,v1=<hmac>…]": one v1 per secret, HMAC-SHA256 of
# "<t>.<body>" (https://docs.stripe.com/webhooks#verify-manually).
sub signature {
	my ($body, $t, @secrets) = @_;
	return join ',', "t=$t", map { 'v1=' . hmac_sha256_hex("$t.$body", $_) } @secrets;
}

# The documents of collection `coll` of the stack's embedded store, in
# insertion order, as hashes (dates as strings). Read with python3-bson, an
# independent BSON reader, from the SQLite file (read-only).
my $READER = <<'PY';
import bson, json, sqlite3, sys
c = sqlite3.connect("file:%s?mode=ro" % sys.argv[1], uri=True, timeout=10)
row = c.execute("SELECT tid FROM store_collections WHERE name = ?", (sys.argv[2],)).fetchone()
if row:
    for (doc,) in c.execute("SELECT doc FROM c%d ORDER BY rid" % row[0]):
        print(json.dumps(bson.decode(bytes(doc)), default=str))
PY

sub collection {
	my ($stack, $coll) = @_;
	my $db = $stack->data_dir . '/cwc.sqlite3';
	open my $p, '-|', '/usr/bin/python3', '-c', $READER, $db, $coll or die "python3: $!";
	my @docs = map { decode_json($_) } grep { /\S/ } <$p>;
	close $p or die "reading $coll from $db failed\n";
	return @docs;
}

1;
