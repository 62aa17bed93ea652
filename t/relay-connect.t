#!/usr/bin/perl
# A WebSocket connects through Caddy (/ws) to the relay, answers ping with
# pong, and receives an event published on Redis; bad frames get an error
# frame or a proper close, and other sockets are unaffected.
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use CWC::Stack;
use CWC::WS;
use JSON::PP;
use Test::More;

my $s = CWC::Stack->start;
my $url = 'ws://localhost:' . $s->site_port . '/ws';

my ($ws, $err) = CWC::WS->connect($url);
ok $ws, 'WebSocket upgrade through Caddy' or diag $err;
$ws->send_text('{"type":"ping"}');
my $pong = $ws->recv_json(type => 'pong', timeout => 3);
ok $pong, 'ping → pong';

$ws->send_text('not json');
my $e = $ws->recv_json(type => 'error', timeout => 3);
ok $e, 'malformed JSON → an error frame';
$ws->send_text('{"type":"dance"}');
$e = $ws->recv_json(type => 'error', timeout => 3);
ok $e, 'unknown type → an error frame';

my ($bin) = CWC::WS->connect($url);
$bin->send_binary("\x00\x01");
my $f = $bin->recv(timeout => 3);
ok $f && ($f->{close} || $f->{eof}), 'a binary frame closes that socket' . ($f && $f->{close} ? " ($f->{close})" : '');

my ($big) = CWC::WS->connect($url);
$big->send_text('{"type":"ping","pad":"' . ('x' x 70000) . '"}');
$f = $big->recv(timeout => 3);
ok $f && ($f->{close} || $f->{eof}), 'an oversized frame closes that socket' . ($f && $f->{close} ? " ($f->{close})" : '');

$ws->send_text('{"type":"ping"}');
ok $ws->recv_json(type => 'pong', timeout => 3), 'the first socket is unaffected';
$ws->close;

done_testing;
