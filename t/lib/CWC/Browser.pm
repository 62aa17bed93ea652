package CWC::Browser;
# Headless Chromium (Debian's) driven over the DevTools protocol with our
# WebSocket client: enough to open pages in separate browser contexts
# (separate cookie jars), type, click and read the DOM.
#
# It runs in French, as the café's users see the site: the interface
# language (date inputs show "jj/mm/aaaa", Intl formats in French,
# navigator.language is fr-FR) comes on Linux from LANGUAGE, and needs
# Debian's chromium-l10n (the Makefile installs it); --lang says the same
# where the flag is read, --accept-lang is what the pages are asked in.
#
#   my $b = CWC::Browser->start or plan skip_all => 'no chromium';
#   my $p = $b->page;                  # a new context and tab
#   $p->goto('http://localhost:8080/'); $p->js("document.title");
use strict;
use warnings;
use CWC::Stack;
use CWC::WS;
use File::Temp qw(tempdir);
use HTTP::Tiny;
use JSON::PP;
use POSIX qw(:sys_wait_h);
use Time::HiRes qw(sleep time);

sub binary {
	for my $b (qw(/usr/bin/chromium /usr/bin/chromium-browser)) { return $b if -x $b }
	return undef;
}

sub start {
	my ($class) = @_;
	my $bin = binary() or return undef;
	my $port = CWC::Stack::free_port();
	my $dir = tempdir('cwc-chromium-XXXXXX', TMPDIR => 1, CLEANUP => 1);
	my $pid = fork // die;
	if (!$pid) {
		open STDOUT, '>', "$dir/out.log";
		open STDERR, '>', "$dir/err.log";
		$ENV{LANGUAGE} = 'fr_FR:fr';
		exec $bin, '--lang=fr-FR', '--accept-lang=fr-FR,fr', '--headless=new', '--no-sandbox', '--disable-gpu', '--disable-quic',
			'--no-first-run', '--disable-background-networking', '--disable-component-update',
			'--disable-sync', '--disable-dev-shm-usage', "--user-data-dir=$dir/profile",
			"--remote-debugging-port=$port", '--remote-allow-origins=*', 'about:blank'
			or POSIX::_exit(127);
	}
	my $self = bless { pid => $pid, port => $port, dir => $dir, id => 0 }, $class;
	my $deadline = time + 30;
	while (time < $deadline) {
		my $r = HTTP::Tiny->new->get("http://127.0.0.1:$port/json/version");
		if ($r->{success}) {
			my $url = decode_json($r->{content})->{webSocketDebuggerUrl};
			($self->{ws}) = CWC::WS->connect($url, headers => { Origin => undef });
			return $self if $self->{ws};
		}
		sleep 0.2;
	}
	$self->stop;
	return undef;
}

# One DevTools command on `ws` (the browser's or a page's); returns result.
sub command {
	my ($self, $ws, $method, $params, $session) = @_;
	my $id = ++$self->{id};
	$ws->send_text(encode_json({ id => $id, method => $method, params => $params // {},
				    ($session ? (sessionId => $session) : ()) }));
	my $deadline = time + 30;
	while (time < $deadline) {
		my $f = $ws->recv(timeout => $deadline - time) or last;
		last if $f->{eof} || exists $f->{close};
		my $j = eval { decode_json($f->{data}) } or next;
		if ($j->{method}) {     # an event: kept for Page->problems
			push @{ $self->{events}{$ws} }, $j;
			next;
		}
		next unless defined $j->{id} && $j->{id} == $id;
		die "$method: $j->{error}{message}" if $j->{error};
		return $j->{result};
	}
	die "$method: no answer";
}

sub page {
	my ($self) = @_;
	my $ctx = $self->command($self->{ws}, 'Target.createBrowserContext')->{browserContextId};
	my $tid = $self->command($self->{ws}, 'Target.createTarget',
				 { url => 'about:blank', browserContextId => $ctx })->{targetId};
	my ($ws) = CWC::WS->connect("ws://127.0.0.1:$self->{port}/devtools/page/$tid",
				    headers => { Origin => undef });
	my $p = bless { browser => $self, ws => $ws }, 'CWC::Browser::Page';
	# console messages, uncaught exceptions, failed loads and CSP reports
	$p->cmd($_) for qw(Runtime.enable Log.enable);
	return $p;
}

sub stop {
	my ($self) = @_;
	return unless $self->{pid};
	kill 'TERM', $self->{pid};
	waitpid($self->{pid}, 0);
	delete $self->{pid};
}

sub DESTROY { local ($?, $@); $_[0]->stop }

package CWC::Browser::Page;
use JSON::PP;
use Time::HiRes qw(sleep time);

sub cmd { my ($p, @a) = @_; $p->{browser}->command($p->{ws}, @a) }

sub goto {
	my ($p, $url) = @_;
	$p->cmd('Page.navigate', { url => $url });
	$p->wait_for('document.readyState === "complete"', 15);
}

# The window's size in CSS pixels (a phone: 390, 844; a laptop: 1280, 800).
sub viewport {
	my ($p, $w, $h) = @_;
	$p->cmd('Emulation.setDeviceMetricsOverride',
		{ width => $w, height => $h, deviceScaleFactor => 1, mobile => ($w < 600 ? JSON::PP::true() : JSON::PP::false()) });
}

# Writes a PNG of the whole page to `file`.
sub screenshot {
	my ($p, $file) = @_;
	require MIME::Base64;
	my $r = $p->cmd('Page.captureScreenshot', { format => 'png', captureBeyondViewport => JSON::PP::true() });
	open my $fh, '>:raw', $file or die "$file: $!";
	print $fh MIME::Base64::decode_base64($r->{data});
	close $fh;
}

# What went wrong in the page since the last call, as lines: console
# errors and warnings, uncaught exceptions, failed loads, CSP violations.
sub problems {
	my ($p) = @_;
	$p->js('1');    # collects the events that arrived meanwhile
	my @lines;
	for my $e (splice @{ $p->{browser}{events}{$p->{ws}} // [] }) {
		my ($m, $a) = ($e->{method}, $e->{params});
		if ($m eq 'Runtime.consoleAPICalled' && $a->{type} =~ /^(error|warning|assert)$/) {
			push @lines, "console.$a->{type}: " . join ' ', map { $_->{value} // $_->{description} // '' } @{ $a->{args} };
		} elsif ($m eq 'Runtime.exceptionThrown') {
			my $d = $a->{exceptionDetails};
			push @lines, "exception: " . ($d->{exception}{description} // $d->{text});
		} elsif ($m eq 'Log.entryAdded' && $a->{entry}{level} =~ /^(error|warning)$/) {
			push @lines, "$a->{entry}{source} $a->{entry}{level}: $a->{entry}{text}" . ($a->{entry}{url} ? " ($a->{entry}{url})" : '');
		}
	}
	return @lines;
}

# Signs in through the login page at $base$login_path (the form of both
# apps) as the demo account $who ('client', 'staff', 'admin'); returns once
# the page has left the login page (false after 15 s).
sub sign_in {
	my ($p, $base, $login_path, $who) = @_;
	my ($email, $password) = @{ $CWC::Stack::DEMO{$who} };
	$p->goto("$base$login_path");
	$p->js(qq{document.getElementById('email').value = '$email';
		  document.getElementById('password').value = '$password';
		  document.getElementById('login').requestSubmit(); true});
	(my $path = $login_path) =~ s/\?.*//;
	return $p->wait_for(qq{location.pathname !== '$path'}, 15);
}

# Evaluates a JavaScript expression in the page; returns its value.
sub js {
	my ($p, $js) = @_;
	my $r = $p->cmd('Runtime.evaluate', { expression => $js, returnByValue => JSON::PP::true(),
					     awaitPromise => JSON::PP::true() });
	die "page error: $r->{exceptionDetails}{text}" if $r->{exceptionDetails};
	return $r->{result}{value};
}

# Waits until the expression is true; returns it (or false on time-out).
sub wait_for {
	my ($p, $js, $secs) = @_;
	my $deadline = time + ($secs // 10);
	while (time < $deadline) {
		my $v = eval { $p->js($js) };
		return $v if $v;
		sleep 0.1;
	}
	return 0;
}

1;
