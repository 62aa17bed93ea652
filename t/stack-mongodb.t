#!/usr/bin/perl
# The whole stack of `make run` on the MongoDB backend (the FerretDB test
# server): health, an account's life from registration to login, and a
# chat message from a customer reaching a staff member's socket.
use strict;
use warnings;
use utf8;
use FindBin;
use lib "$FindBin::Bin/lib";
use CWC::MongoServer;
use CWC::Stack;
use CWC::WS;
use Test::More;
binmode $_, ':encoding(UTF-8)' for map { Test::More->builder->$_ } qw(output failure_output todo_output);

my $why = CWC::MongoServer->unavailable;
plan skip_all => $why if $why;

my $m = CWC::MongoServer->start;
# FerretDB has no TTL indexes: those fields' indexes made first, without TTL
$m->index_ttl_fields('coworking-cafe');
my $s = CWC::Stack->start(env => { MONGODB_URI => $m->uri('coworking-cafe') });

for my $host (qw(site admin)) {
	my $r = $s->get('/api/health', host => $host);
	is $r->{status}, 200, "$host is healthy on MongoDB";
}
like $s->log_text('site'), qr/store mongodb/, 'the site runs on the MongoDB backend';

my $client = $s->new_client('mongo.client@example.com', givenName => 'Camille');
ok $client->{cookie}, 'register → activation link by mail → activate → login';
is $s->get('/api/auth/session', session => $client)->{json}{user}{email}, 'mongo.client@example.com',
	'the session knows the user';

my $staff = $s->login('staff', undef, host => 'admin');
my ($ws, $err) = CWC::WS->connect('ws://localhost:' . $s->admin_port . '/ws',
				  headers => { Cookie => $staff->{cookie}, Origin => $s->admin_url });
ok $ws, 'a staff socket through Caddy' or diag $err;

my $conv = $s->post('/api/conversations', session => $client, json => {})->{json}{id};
my $r = $s->post("/api/conversations/$conv/messages", session => $client, json => { content => 'Bonjour depuis MongoDB' });
is $r->{status}, 201, 'the customer sends a message';
my $event = $ws && $ws->recv_json(type => 'message', timeout => 5);
is $event && $event->{message}{content}, 'Bonjour depuis MongoDB', 'the staff socket receives it';

done_testing;
