#!/usr/bin/perl
# A person's view of the chat, in headless Chromium: a customer signs in
# on the site and opens /dashboard/messages, a staff member signs in on
# admin and opens /messages; what one sends appears in the other's page
# without a reload, with the typing indicator and the unread badge.
use strict;
use warnings;
use utf8;
use FindBin;
use lib "$FindBin::Bin/lib";
use CWC::Browser;
use CWC::Stack;
use Test::More;
binmode $_, ':encoding(UTF-8)' for map { Test::More->builder->$_ } qw(output failure_output todo_output);

plan skip_all => 'chromium is not installed' unless CWC::Browser::binary();
my $s = CWC::Stack->start;
$s->seed;
my $b = CWC::Browser->start or BAIL_OUT('chromium did not start');

my $customer = $b->page;
$customer->sign_in($s->site_url, '/auth/login?next=/dashboard/messages', 'client');
ok $customer->wait_for(q{location.pathname === '/dashboard/messages' && document.getElementById('chat')}, 15),
	'the customer signs in and lands on the messages page';
ok $customer->wait_for(q{document.getElementById('status').textContent === ''}, 15),
	'the customer page is connected';
like $customer->js(q{getComputedStyle(document.getElementById('messages'), '::before').content}), qr/Aucun message pour l’instant/,
	'with no message yet, the thread says so in French (not an empty box)';

my $staff = $b->page;
$staff->sign_in($s->admin_url, '/login?next=/messages', 'staff');
ok $staff->wait_for(q{location.pathname === '/messages' && document.getElementById('chat')}, 15),
	'the staff member signs in on admin and opens the messenger';

$customer->js(q{var t = document.getElementById('content'); t.value = 'Bonjour, avez-vous une salle libre jeudi ?';
		t.dispatchEvent(new Event('input')); document.getElementById('send').requestSubmit(); true});
ok $customer->wait_for(q{[...document.querySelectorAll('#messages li')].some(li => li.textContent.includes('salle libre jeudi'))}, 10),
	'the message shows in the customer page';

# staff: the conversation appears (live or on load), open it
ok $staff->wait_for(q{document.querySelectorAll('#conversation-list li').length > 0}, 15), 'staff see the conversation';
$staff->js(q{document.querySelector('#conversation-list li button').click(); true});
ok $staff->wait_for(q{[...document.querySelectorAll('#messages li')].some(li => li.textContent.includes('salle libre jeudi'))}, 15),
	'the customer message appears in the staff page';

# typing indicator, then the reply arrives live in the customer page
$staff->js(q{var t = document.getElementById('content'); t.value = 'Oui'; t.dispatchEvent(new Event('input')); true});
ok $customer->wait_for(q{!document.getElementById('typing').hidden}, 10), 'the customer sees "écrit…"';
$staff->js(q{document.getElementById('content').value = 'Oui, la salle Verrière est libre.';
	     document.getElementById('send').requestSubmit(); true});
ok $customer->wait_for(q{[...document.querySelectorAll('#messages li')].some(li => li.textContent.includes('salle Verrière est libre'))}, 10),
	'the staff reply appears in the customer page without a reload';
is $customer->js(q{document.querySelectorAll('#messages li').length}), 2, 'each message shows once';
like $customer->js(q{document.querySelector('#messages li time').textContent}), qr/^\d\d:\d\d$/, 'today\'s messages show their time alone';
is $customer->js(q{getComputedStyle(document.getElementById('messages'), '::before').content}), 'none', 'the empty-thread text is gone';

# a second message while the staff page shows another view: unread badge
$staff->js(q{window.__hidden = true; Object.defineProperty(document, 'hidden', {get: () => true}); true});
$customer->js(q{document.getElementById('content').value = 'Merci !'; document.getElementById('send').requestSubmit(); true});
ok $staff->wait_for(q{[...document.querySelectorAll('#messages li')].some(li => li.textContent.includes('Merci'))}, 10),
	'the next message arrives live in the staff page';
ok $staff->wait_for(q{!document.getElementById('unread').hidden && document.getElementById('unread').textContent === '1'}, 5),
	'and, the page being in the background, the unread badge shows 1';

done_testing;
