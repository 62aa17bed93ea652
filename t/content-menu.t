#!/usr/bin/perl
# The menu: `cwc-ctl seed` writes the café's menu once (a second seed adds
# nothing); /boissons and GET /api/drinks show the active categories and
# items in their order, with prices, and never the internal `recipe` (not
# its name, not its text, in HTML or JSON); the staff's CRUD in the back
# office (categories and items, order, price, availability, visibility),
# every write audited, user text escaped, bad input refused with its field.
use strict;
use warnings;
use utf8;
use FindBin;
use lib "$FindBin::Bin/lib";
use CWC::Stack;
use Encode qw(encode_utf8 decode_utf8);
use JSON::PP;
use Test::More;
binmode $_, ':encoding(UTF-8)' for map { Test::More->builder->$_ } qw(output failure_output todo_output);

my $s = CWC::Stack->start;
$s->seed;

sub enc {
	my %f = @_;
	return join '&', map {
		my $v = encode_utf8($f{$_} // '');
		$v =~ s/([^A-Za-z0-9\-._~])/sprintf('%%%02X', ord $1)/ge;
		"$_=$v";
	} sort keys %f;
}
my $staff = $s->login('staff', undef, host => 'admin');
sub admin_post {
	my ($path, %f) = @_;
	my $r = $s->request('POST', $path, session => $staff,
		headers => { 'Content-Type' => 'application/x-www-form-urlencoded' }, body => enc(%f));
	$r->{content} = decode_utf8($r->{content});
	return $r;
}
sub page { my $r = $s->get(@_); $r->{content} = decode_utf8($r->{content}); $r }
my @RECIPES = ('18 g, 30 ml en 25 s', 'espresso + 120 ml de lait', 'pâton 230 g');

# ---- the seeded menu on the site ------------------------------------------------
my $r = page('/boissons');
is $r->{status}, 200, '/boissons: 200';
like $r->{content}, qr{<h1>La carte des boissons</h1>}, 'its title';
like $r->{content}, qr{<h2 id="cat-cafes">Les cafés</h2>.*<h3>Espresso</h3><span class="price">2,00\x{a0}€</span>}s, 'the coffees, with prices';
like $r->{content}, qr{Thés et infusions.*Boissons fraîches}s, 'the categories in their order';
unlike $r->{content}, qr{Pizza maison}, 'only drinks on /boissons';
unlike $r->{content}, qr{\Q$_\E}, "no recipe in the HTML ($_)" for @RECIPES;
unlike $r->{content}, qr{recipe|recette}i, 'not even the word';
like $r->{content}, qr{<link rel="canonical" href="\Q${\ $s->site_url }\E/boissons">}, 'its canonical';

$r = $s->get('/api/drinks');
is $r->{status}, 200, 'GET /api/drinks: 200';
is $r->{headers}{'access-control-allow-origin'}, '*', 'for the café\'s other sites';
my $all = $r->{json}{categories};
ok @$all >= 5, scalar(@$all) . ' categories';
unlike $r->{content}, qr{recipe}, 'no `recipe` member in the JSON';
unlike $r->{content}, qr{\Q$_\E}, "no recipe text in the JSON ($_)" for @RECIPES;
my $n_items = 0;
$n_items += @{ $_->{items} } for @$all;
ok $n_items >= 20, "$n_items items";
$r = $s->get('/api/drinks?type=food');
is_deeply [ map { $_->{name} } @{ $r->{json}{categories} } ], ['À grignoter'], '?type=food';
is $r->{json}{categories}[0]{items}[2]{priceCents}, 890, 'prices in cents';
is $s->get('/api/drinks?type=<x>')->{status}, 400, 'an unknown type: 400';

# idempotent
my ($rc, $out) = $s->ctl('seed');
is $rc, 0, 'a second seed';
like $out, qr/menu: 0 categories and 0 items created/, '… creates nothing';
my $again = 0;
$again += @{ $_->{items} } for @{ $s->get('/api/drinks')->{json}{categories} };
is $again, $n_items, 'the same items';

# ---- the back office -------------------------------------------------------------
is $s->get('/menu', host => 'admin')->{status}, 303, 'signed out: to the login page';
$r = page('/menu', session => $staff);
is $r->{status}, 200, 'staff: the menu';
like $r->{content}, qr{<a href="(/menu/categories/[0-9a-f]{24})">Les cafés</a>}, 'the categories';

my $long = 'Boissons de saison <script>alert(1)</script> ' . ('très longue ' x 4);
$r = admin_post('/menu/categories', name => '', type => 'drink');
is $r->{status}, 422, 'a category without a name: 422';
like $r->{content}, qr{Donnez un nom}, '… saying so';
$r = admin_post('/menu/categories', name => $long, description => 'Pour <b>l’été</b>', type => 'drink', order => 5,
		isActive => 1, showOnSite => 1);
is $r->{status}, 303, 'a new category: 303';
my ($cat) = $r->{headers}{location} =~ m{^(/menu/categories/[0-9a-f]{24})\?done=saved$};
ok $cat, '… to its page';
$r = page($cat, session => $staff);
like $r->{content}, qr{Boissons de saison &lt;script&gt;alert\(1\)&lt;/script&gt;}, 'its name, escaped';
for my $bad ([price => '2,999'], [price => 'gratuit'], [order => '-1'], [name => '']) {
	$r = admin_post("$cat/items", name => 'Limonade', price => '3', order => 1, isActive => 1, @$bad);
	is $r->{status}, 422, "an item with $bad->[0] '$bad->[1]': 422";
	like $r->{content}, qr{class="alert alert-error"}, '… with the error';
}
for my $i (1 .. 24) {
	$r = admin_post("$cat/items", name => "Boisson n° $i <em>" . ('glacée ' x 5) . '</em>', price => "3,$i",
			order => 100 - $i, isActive => 1, description => "Description $i", recipe => "SECRET-RECIPE-$i");
	die "item $i: $r->{status}" unless $r->{status} == 303;
}
$r = page('/boissons');
like $r->{content}, qr{<h2 id="cat-boissons-de-saison[^"]*">Boissons de saison &lt;script&gt;}, 'the new category on the site, escaped, first by order';
like $r->{content}, qr{Boisson n° 24 &lt;em&gt;.*Boisson n° 1 &lt;em&gt;}s, 'its items by order';
like $r->{content}, qr{<span class="price">3,24\x{a0}€</span>}, 'a price typed with a comma';
like $r->{content}, qr{<span class="price">3,10\x{a0}€</span>}, '"3,1" is 3,10 €';
unlike $r->{content}, qr{SECRET-RECIPE}, 'the recipes typed in the back office never reach the site';
unlike $s->get('/api/drinks')->{content}, qr{SECRET-RECIPE}, '… nor the JSON';

# edit an item: unavailable, a new price, a recipe
$r = page($cat, session => $staff);
my ($item) = $r->{content} =~ m{<form class="form" method="post" action="(/menu/items/[0-9a-f]{24})">\s*<div class="field-row">\s*<div class="field">\s*<label[^>]*>Nom</label>\s*<input[^>]*value="Boisson n° 24 }s;
ok $item, 'an item\'s form';
like $r->{content}, qr{SECRET-RECIPE-24</textarea>}, 'the recipe shown to the staff';
$r = admin_post($item, name => 'Boisson n° 24 bis', price => '', order => 1, recipe => 'changée');
is $r->{status}, 303, 'an item changed: 303';
$r = page('/boissons');
unlike $r->{content}, qr{Boisson n° 24 bis}, 'unavailable: off the site';
$r = admin_post($item, name => 'Boisson n° 24 bis', price => '', order => 1, isActive => 1);
like page('/boissons')->{content}, qr{<h3>Boisson n° 24 bis</h3></div>}, 'available again, without a price';

# hide the category; delete
$r = admin_post($cat, name => $long, type => 'drink', order => 5, isActive => 1);
is $r->{status}, 303, 'the category hidden from the site';
unlike page('/boissons')->{content}, qr{Boissons de saison}, 'not on /boissons';
$r = admin_post("$cat/delete");
is $r->{status}, 409, 'a category with items cannot be deleted';
like $r->{content}, qr{contient encore des articles}, '… saying why';
$r = admin_post("$item/delete");
is $r->{status}, 303, 'an item deleted';

my $admin = $s->login('admin', undef, host => 'admin');
(my $item_id = $item) =~ s{.*/}{};
(my $cat_id = $cat) =~ s{.*/}{};
my %actions = map { $_->{action} => 1 } @{ $s->get("/api/audit-log?documentId=$item_id", session => $admin)->{json}{entries} };
ok $actions{'menu.categories.items'} && $actions{'menu.items.update'} && $actions{'menu.items.delete'},
	'the item\'s creation, changes and deletion audited (' . join(', ', sort keys %actions) . ')';
%actions = map { $_->{action} => 1 } @{ $s->get("/api/audit-log?documentId=$cat_id", session => $admin)->{json}{entries} };
ok $actions{'menu.categories.create'} && $actions{'menu.categories.update'}, 'the category\'s too';

done_testing;
