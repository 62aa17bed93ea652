package CWC::WS;
# A small WebSocket client (RFC 6455) for tests: enough to connect through
# Caddy with cookies, send text/binary/raw frames, and read frames and
# close codes with a timeout.
#
#   my $ws = CWC::WS->connect("ws://localhost:8080/ws", headers => {Cookie => …});
#   $ws->send_text('{"type":"ping"}');
#   my $f = $ws->recv(timeout => 2);   # {opcode, data} | {close => code} | undef
use strict;
use warnings;
use Digest::SHA qw(sha1_base64);
use IO::Select;
use IO::Socket::INET;
use MIME::Base64 qw(encode_base64);
use Time::HiRes qw(time);

sub connect {
	my ($class, $url, %o) = @_;
	my ($host, $port, $path) = $url =~ m{^ws://([^:/]+):(\d+)(/.*)$} or die "bad url $url";
	my $sock = IO::Socket::INET->new(PeerAddr => $host eq 'localhost' ? '127.0.0.1' : $host,
					 PeerPort => $port, Timeout => 5)
		or return (undef, "connect: $!");
	binmode $sock;
	my $key = encode_base64(join('', map { chr int rand 256 } 1 .. 16), '');
	my $req = "GET $path HTTP/1.1\r\nHost: $host:$port\r\nUpgrade: websocket\r\n"
		. "Connection: Upgrade\r\nSec-WebSocket-Key: $key\r\nSec-WebSocket-Version: 13\r\n";
	my %h = (Origin => "http://$host:$port", %{ $o{headers} // {} });
	$req .= "$_: $h{$_}\r\n" for grep { defined $h{$_} } sort keys %h;
	$sock->syswrite("$req\r\n");
	my $resp = '';
	my $sel = IO::Select->new($sock);
	my $deadline = time + ($o{timeout} // 5);
	while ($resp !~ /\r\n\r\n/) {
		my $left = $deadline - time;
		return (undef, 'timeout') if $left <= 0 || !$sel->can_read($left);
		my $n = $sock->sysread(my $buf, 4096);
		return (undef, "closed: $resp") unless $n;
		$resp .= $buf;
	}
	my ($head, $rest) = split /\r\n\r\n/, $resp, 2;
	my ($status) = $head =~ m{^HTTP/1\.1 (\d+)};
	return (undef, $head, $status) unless $status && $status == 101;
	my $accept = sha1_base64($key . '258EAFA5-E914-47DA-95CA-C5AB0DC85B11') . '=';
	return (undef, "bad accept: $head") unless $head =~ /Sec-WebSocket-Accept: \Q$accept\E/i;
	return (bless { sock => $sock, buf => $rest // '', sel => $sel }, $class);
}

sub frame {
	my ($opcode, $data, %o) = @_;
	my $len = length $data;
	my $head = chr(($o{fin} // 1 ? 0x80 : 0) | $opcode);
	if ($len < 126) { $head .= chr(0x80 | $len) }
	elsif ($len < 65536) { $head .= chr(0x80 | 126) . pack('n', $len) }
	else { $head .= chr(0x80 | 127) . pack('Q>', $len) }
	my $mask = join '', map { chr int rand 256 } 1 .. 4;
	my $masked = $data ^ substr($mask x (int($len / 4) + 1), 0, $len);
	return $head . $mask . $masked;
}

sub send_raw { my ($s, $bytes) = @_; local $SIG{PIPE} = 'IGNORE'; return $s->{sock}->syswrite($bytes) }
sub send_text { my ($s, $t) = @_; utf8::encode($t) if utf8::is_utf8($t); $s->send_raw(frame(1, $t)) }
sub send_binary { $_[0]->send_raw(frame(2, $_[1])) }
sub send_close { $_[0]->send_raw(frame(8, pack('n', $_[1] // 1000))) }

sub _fill {
	my ($s, $need, $deadline) = @_;
	while (length $s->{buf} < $need) {
		my $left = $deadline - time;
		return 0 if $left <= 0 || !$s->{sel}->can_read($left);
		my $n = $s->{sock}->sysread(my $b, 65536);
		return -1 unless $n;
		$s->{buf} .= $b;
	}
	return 1;
}

sub _need {
	my ($s, $n, $deadline) = @_;
	my $r = _fill($s, $n, $deadline);
	die { eof => 1 } if $r < 0;
	die { timeout => 1 } if $r == 0;
}

# The next data or close frame (pings are answered), or undef on timeout or
# EOF ({eof => 1}).
sub recv {
	my ($s, %o) = @_;
	my $deadline = time + ($o{timeout} // 5);
	my $f = eval { _recv($s, $deadline) };
	return $f if $f;
	return $@ && $@->{eof} ? { eof => 1 } : undef;
}

sub _recv {
	my ($s, $deadline) = @_;
	for (;;) {
		_need($s, 2, $deadline);
		my ($b0, $b1) = map { ord } split //, substr($s->{buf}, 0, 2);
		my $len = $b1 & 0x7f;
		my $off = 2;
		if ($len == 126) { _need($s, 4, $deadline); $len = unpack 'n', substr($s->{buf}, 2, 2); $off = 4 }
		elsif ($len == 127) { _need($s, 10, $deadline); $len = unpack 'Q>', substr($s->{buf}, 2, 8); $off = 10 }
		_need($s, $off + $len, $deadline);
		my $data = substr($s->{buf}, $off, $len);
		substr($s->{buf}, 0, $off + $len) = '';
		my $op = $b0 & 0x0f;
		if ($op == 9) { $s->send_raw(frame(10, $data)); next }
		next if $op == 10;
		return { close => length $data >= 2 ? unpack('n', $data) : 1005, reason => substr($data, 2) }
			if $op == 8;
		return { opcode => $op, data => $data };
	}
}

# Reads frames until one whose JSON `type` is $type; returns the decoded
# object or undef.
sub recv_json {
	my ($s, %o) = @_;
	require JSON::PP;
	my $deadline = time + ($o{timeout} // 5);
	while ((my $left = $deadline - time) > 0) {
		my $f = $s->recv(timeout => $left) or return undef;
		return undef if $f->{eof} || exists $f->{close};
		my $j = eval { JSON::PP::decode_json($f->{data}) } or next;
		return $j if !$o{type} || ($j->{type} // '') eq $o{type};
	}
	return undef;
}

sub close { my ($s) = @_; $s->send_close(1000); $s->{sock}->close }

1;
