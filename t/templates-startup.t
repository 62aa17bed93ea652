#!/usr/bin/perl
# Templates are files read when the apps start: a syntax error or a missing
# partial stops start-up with a message naming the file and the line; a
# SIGHUP reads them again (an edited page is served by the new workers,
# and a broken edit is refused while the old workers keep serving).
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use CWC::Stack;
use File::Copy qw(copy);
use File::Path qw(make_path);
use File::Temp qw(tempdir);
use Test::More;
use Time::HiRes qw(sleep time);

my $root = $CWC::Stack::ROOT;
my $tree = tempdir('cwc-tpl-tree-XXXXXX', TMPDIR => 1, CLEANUP => 1);

# A copy of the template folders, to break and mend.
for my $d (qw(common/web/templates common/account/templates common/chat/templates common/mail/templates
	      fcgi-apps/site/templates fcgi-apps/admin/templates)) {
	make_path("$tree/$d");
	copy($_, "$tree/$d/") or die "$_: $!" for glob "$root/$d/*";
}

sub put {
	my ($file, $text) = @_;
	open my $f, '>', "$tree/$file" or die "$tree/$file: $!";
	print $f $text;
	close $f;
}

sub slurp {
	my ($file) = @_;
	open my $f, '<', "$tree/$file" or die "$tree/$file: $!";
	local $/;
	return <$f>;
}

# Starts bin/$app on a socket of its own, waits for its exit (a bounded
# wait); returns (exit status or undef when it kept running, its stderr).
sub start_alone {
	my ($app) = @_;
	my $dir = tempdir('cwc-tpl-app-XXXXXX', TMPDIR => 1, CLEANUP => 1);
	my $pid = fork // die;
	if (!$pid) {
		%ENV = (%ENV, CWC_ENV_FILE => '/dev/null', CWC_DATA_DIR => "$dir/var",
			CWC_TEMPLATE_DIR => $tree, LOG_LEVEL => 'error', CWC_WORKERS => 1);
		open STDERR, '>', "$dir/stderr" or die;
		open STDOUT, '>', '/dev/null' or die;
		exec "$root/bin/$app", '-l', "$dir/app.sock" or POSIX::_exit(127);
	}
	my ($status, $deadline) = (undef, time + 20);
	while (time < $deadline) {
		if (waitpid($pid, POSIX::WNOHANG()) == $pid) { $status = $? >> 8; last }
		last if -S "$dir/app.sock";
		sleep 0.05;
	}
	if (!defined $status) {
		kill 'TERM', $pid;
		waitpid($pid, 0);
	}
	open my $e, '<', "$dir/stderr" or die;
	local $/;
	return ($status, <$e> // '');
}

my $home = slurp('fcgi-apps/site/templates/home.html');
my $layout = slurp('common/web/templates/layout.html');

put('fcgi-apps/site/templates/home.html', "<h1>x</h1>\n<ul>\n{{#spaces}}\n<li>{{name}}</li>\n{{/space}}\n</ul>\n");
my ($st, $err) = start_alone('site');
is $st, 1, 'a syntax error stops the site at start-up';
like $err, qr{fcgi-apps/site/templates/home\.html:5: \{\{/space\}\} closes \{\{#spaces\}\} of line 3},
	'naming the file and the line';
put('fcgi-apps/site/templates/home.html', $home);

put('common/web/templates/layout.html', $layout =~ s/\{\{> footer\.html\}\}/{{> pied.html}}/r);
($st, $err) = start_alone('admin');
is $st, 1, 'a missing partial stops admin at start-up';
like $err, qr{common/web/templates/layout\.html:\d+: no partial "pied\.html"}, 'naming the file and the line';
put('common/web/templates/layout.html', $layout);

put('common/mail/templates/activation.html', "{{> hello.html}}\n<p>{{#link}}</p>\n");
($st, $err) = start_alone('site');
is $st, 1, 'a broken mail template stops the site too';
like $err, qr{common/mail/templates/activation\.html:2: \{\{#link\}\} is never closed}, '… naming it';
copy("$root/common/mail/templates/activation.html", "$tree/common/mail/templates/") or die;

($st, $err) = start_alone('site');
ok !defined $st, 'with the templates mended the site starts' or diag $err;

# ---- SIGHUP reads them again --------------------------------------------
my $s = CWC::Stack->start(env => { CWC_TEMPLATE_DIR => $tree });
my $r = $s->get('/');
like $r->{content}, qr{Un café pour travailler}, 'the home page from the copied templates';

sub wait_for {
	my ($cond) = @_;
	my $deadline = time + 30;
	while (time < $deadline) {
		return 1 if $cond->();
		sleep 0.1;
	}
	return 0;
}

put('fcgi-apps/site/templates/home.html', "<h1>{{site.name}}</h1>\n<p>Nouvelle carte d’hiver.</p>\n");
kill 'HUP', $s->pid('site');
ok wait_for(sub { $s->get('/')->{content} =~ /Nouvelle carte d’hiver/ }),
	'after SIGHUP the edited page is served';

put('fcgi-apps/site/templates/home.html', "<h1>{{#oops}}</h1>\n");
kill 'HUP', $s->pid('site');
ok wait_for(sub { $s->log_text('site') =~ /reload: templates refused.*home\.html:1: \{\{#oops\}\} is never closed/ }),
	'a broken edit is refused on SIGHUP, named in the log';
my @ok = grep { $s->get('/')->{content} =~ /Nouvelle carte d’hiver/ } 1 .. 10;
is scalar @ok, 10, 'and the workers already running keep serving the page';

$s->stop;
done_testing;
