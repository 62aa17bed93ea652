/*
 * article_seed.c — the blog's demo content for `cwc-ctl seed` (article.h):
 * four categories and a dozen articles in French, written for this demo
 * about the café's life (working well there, the menu, events,
 * Strasbourg). Idempotent: a category or an article whose slug exists is
 * left as it is (the staff may have edited it).
 */
#include "content/article.h"
#include "core/buf.h"

#include <string.h>

#define DAY_MS (86400LL * 1000)

static const struct {
	const char *slug, *name, *description, *color;
	int order;
} seed_categories[] = {
	{ "coworking", "Bien travailler", "Nos conseils pour une journée de travail efficace et agréable au café.", "#2F5D50", 1 },
	{ "la-carte", "La carte", "Ce que l’on sert, comment on le choisit et qui le prépare.", "#8A5A2B", 2 },
	{ "evenements", "Événements", "Ateliers, rencontres et soirées au café.", "#6B3FA0", 3 },
	{ "strasbourg", "Strasbourg", "Le quartier, la ville et les adresses que l’on aime.", "#1F4E79", 4 },
};

static const struct {
	const char *slug, *category, *title, *excerpt, *content;
	int days_ago;
} seed_articles[] = {
	{ "bien-choisir-sa-place", "coworking", "Bien choisir sa place pour la journée",
	  "Lumière, bruit, prises : trois questions à se poser avant de poser son ordinateur.",
	  "Arriver au café avec une longue journée devant soi, c’est d’abord choisir où s’asseoir. "
	  "Quelques minutes de réflexion évitent de changer trois fois de table.\n\n"
	  "## La lumière\n\n"
	  "Les tables près de la verrière ont la plus belle lumière le matin. L’après-midi, le soleil "
	  "tourne et l’écran devient difficile à lire : c’est le moment de migrer vers la grande table "
	  "du fond.\n\n"
	  "## Le bruit\n\n"
	  "Le comptoir est vivant, surtout entre midi et quatorze heures. Pour les appels, la salle de "
	  "l’étage reste la plus calme ; pour écrire, les banquettes du coin lecture sont idéales.\n\n"
	  "## Les prises\n\n"
	  "Chaque table a au moins deux prises, mais les rallonges partagées sont au bar : demandez, on "
	  "vous en prête une.\n\n"
	  "Et si votre table idéale est prise, dites-le nous : on vous préviendra quand elle se libère.",
	  3 },
	{ "la-methode-des-blocs", "coworking", "La méthode des blocs : une journée en quatre temps",
	  "Découper sa journée en blocs de 90 minutes, avec de vraies pauses, change tout.",
	  "Beaucoup de nos habitués travaillent par blocs : quatre-vingt-dix minutes de concentration, "
	  "puis une vraie pause loin de l’écran.\n\n"
	  "## Pourquoi 90 minutes ?\n\n"
	  "C’est assez long pour entrer dans un sujet, assez court pour ne pas s’épuiser. Au-delà, "
	  "l’attention s’effrite et l’on relit trois fois la même phrase.\n\n"
	  "## Une journée type\n\n"
	  "- **9 h – 10 h 30** : la tâche la plus exigeante, avant les messages ;\n"
	  "- **11 h – 12 h 30** : les échanges, les appels, les réponses ;\n"
	  "- **14 h – 15 h 30** : un deuxième bloc de fond ;\n"
	  "- **16 h – 17 h 30** : le rangement, la préparation du lendemain.\n\n"
	  "## La pause compte\n\n"
	  "Marchez jusqu’au comptoir, discutez avec votre voisin de table, regardez la rue. Une pause "
	  "sans téléphone vaut mieux que dix minutes de réseaux sociaux.",
	  12 },
	{ "appels-visio-sans-deranger", "coworking", "Passer ses appels sans déranger personne",
	  "Casque, salle réservée, horaires creux : l’étiquette des appels au café.",
	  "Un espace partagé fonctionne quand chacun pense aux autres. Les appels vidéo sont la "
	  "première source de gêne ; voici comment nous les organisons.\n\n"
	  "## Le casque, toujours\n\n"
	  "Un casque avec micro coupe la moitié du bruit. Sans lui, votre interlocuteur s’entend dans "
	  "votre haut-parleur et toute la salle profite de la conversation.\n\n"
	  "## Les salles à l’heure\n\n"
	  "Pour un entretien ou une réunion de plus de quinze minutes, réservez la salle Verrière ou "
	  "la salle de l’étage : elles se louent à l’heure, directement en ligne.\n\n"
	  "## Les heures creuses\n\n"
	  "Avant dix heures et après seize heures, l’open-space est plus calme : c’est le meilleur "
	  "moment pour un appel rapide depuis votre place.",
	  25 },
	{ "etudiants-bienvenue", "coworking", "Étudiants : réviser au café sans se ruiner",
	  "Nos formules pour les étudiants, et quelques conseils pour les semaines d’examens.",
	  "Pendant les partiels, la bibliothèque est pleine et la chambre trop petite. Le café est "
	  "une troisième voie, à condition de s’organiser.\n\n"
	  "## Venir à plusieurs\n\n"
	  "Réviser en groupe marche bien pour les matières où l’on s’interroge. Réservez une salle "
	  "pour deux heures : le tableau blanc est compris.\n\n"
	  "## Venir seul\n\n"
	  "Pour apprendre un cours, l’open-space suffit. Prenez la formule journée, gardez la même "
	  "place, et laissez vos affaires pendant la pause de midi : l’équipe veille.\n\n"
	  "Les offres étudiantes sont détaillées sur la page dédiée ; une carte d’étudiant en cours "
	  "de validité vous sera demandée au comptoir.",
	  40 },
	{ "notre-cafe-de-specialite", "la-carte", "D’où vient notre café ?",
	  "Un torréfacteur de la région, deux origines à l’année et une troisième qui change.",
	  "Le café, c’est le cœur de la maison. Nous travaillons avec un torréfacteur alsacien qui "
	  "nous livre chaque semaine, pour que les grains soient toujours frais.\n\n"
	  "## Deux origines fixes\n\n"
	  "Un Brésil doux et chocolaté pour les boissons lactées, un Éthiopie plus floral pour les "
	  "filtres. Ils ne quittent jamais la carte.\n\n"
	  "## Une origine invitée\n\n"
	  "Tous les deux mois, une troisième origine arrive au comptoir. Demandez à goûter : "
	  "l’équipe adore en parler.\n\n"
	  "## Et le déca ?\n\n"
	  "Décaféiné à l’eau, sans solvant. Il a sa place en fin de journée, quand on veut encore "
	  "le goût sans l’insomnie.",
	  6 },
	{ "les-boissons-chaudes-de-l-hiver", "la-carte", "Les boissons chaudes de l’hiver",
	  "Chocolat épais, chaï maison et vin chaud sans alcool : la carte d’hiver est arrivée.",
	  "Dès que les jours raccourcissent, la carte change. Voici ce qui nous accompagne jusqu’au "
	  "printemps.\n\n"
	  "- **Le chocolat épais**, fait avec un chocolat noir à 70 %, servi avec une chantilly "
	  "montée à la minute ;\n"
	  "- **le chaï maison**, infusé avec de la cannelle, de la cardamome et du gingembre frais ;\n"
	  "- **le jus de pomme chaud épicé**, notre réponse sans alcool aux marchés de Noël.\n\n"
	  "Toutes les boissons existent avec une boisson végétale, sans supplément.",
	  18 },
	{ "le-dejeuner-au-cafe", "la-carte", "Déjeuner sans quitter son poste",
	  "Soupes, tartines et salades de saison, préparées le matin même.",
	  "Travailler toute la journée ne veut pas dire mal manger. Chaque matin, la cuisine prépare "
	  "une soupe, deux tartines et une salade qui changent avec le marché.\n\n"
	  "## Commander tôt\n\n"
	  "Les plats partent vite entre midi et treize heures. Passez commande dès onze heures au "
	  "comptoir : on vous apporte l’assiette quand vous le souhaitez.\n\n"
	  "## Allergies\n\n"
	  "La liste des allergènes est affichée près de la caisse. En cas de doute, demandez : "
	  "l’équipe connaît chaque recette.",
	  33 },
	{ "les-ateliers-du-jeudi", "evenements", "Les ateliers du jeudi soir",
	  "Un jeudi par mois, un membre de la communauté partage un savoir-faire.",
	  "Le jeudi soir, une fois par mois, le café devient salle de classe. Un membre de la "
	  "communauté présente ce qu’il sait faire, pendant une heure, devant une vingtaine de "
	  "curieux.\n\n"
	  "## Déjà au programme\n\n"
	  "- écrire une newsletter que l’on a envie de lire ;\n"
	  "- les bases de la photographie au téléphone ;\n"
	  "- préparer sa déclaration d’indépendant sans stress.\n\n"
	  "## Proposer un atelier\n\n"
	  "Vous avez un sujet ? Écrivez-nous depuis la page contact : nous cherchons toujours des "
	  "intervenants, débutants bienvenus.\n\n"
	  "L’inscription se fait sur la page des événements ; les places sont limitées.",
	  9 },
	{ "privatiser-le-cafe", "evenements", "Privatiser le café pour une soirée",
	  "Lancement de produit, séminaire ou anniversaire d’entreprise : comment ça se passe.",
	  "Le soir et le week-end, le café peut être entièrement à vous. Nous accueillons jusqu’à "
	  "soixante personnes debout, quarante assises.\n\n"
	  "## Comment se déroule une demande\n\n"
	  "1. Vous remplissez le formulaire de devis avec la date, l’horaire et le nombre d’invités ;\n"
	  "2. nous vous rappelons sous deux jours ouvrés pour préciser le format ;\n"
	  "3. un devis détaillé vous est envoyé, à valider en ligne.\n\n"
	  "## Ce qui est compris\n\n"
	  "Le mobilier modulable, l’écran et le vidéoprojecteur, le son, et une personne de l’équipe "
	  "pendant toute la soirée. Le traiteur peut être le nôtre ou le vôtre.",
	  47 },
	{ "petit-guide-du-quartier", "strasbourg", "Petit guide du quartier",
	  "Boulangerie, papeterie, parc : nos adresses à cinq minutes à pied.",
	  "Entre deux blocs de travail, il fait bon sortir. Voici ce que l’on recommande autour du "
	  "café, à cinq minutes à pied au plus.\n\n"
	  "## Pour une pause\n\n"
	  "Les quais de l’Ill sont à deux rues : un tour complet prend un quart d’heure, juste ce "
	  "qu’il faut pour s’aérer l’esprit.\n\n"
	  "## Pour les courses du quotidien\n\n"
	  "La papeterie du coin a toujours des cahiers et des stylos ; le bureau de poste ferme à "
	  "dix-huit heures trente en semaine.\n\n"
	  "## Pour le goûter\n\n"
	  "La boulangerie d’en face fait un kougelhopf le samedi matin. Il part avant dix heures.",
	  15 },
	{ "venir-au-cafe-a-velo", "strasbourg", "Venir au café à vélo",
	  "Strasbourg est la ville du vélo : arceaux, itinéraires et conseils pour l’hiver.",
	  "Strasbourg a l’un des plus grands réseaux cyclables de France, et beaucoup de nos membres "
	  "arrivent à vélo.\n\n"
	  "## Où se garer\n\n"
	  "Des arceaux couverts se trouvent juste devant l’entrée. Pour un vélo cargo, prévenez-nous : "
	  "la cour intérieure peut l’accueillir.\n\n"
	  "## En hiver\n\n"
	  "Un porte-manteau près de la porte reçoit les vêtements de pluie, et l’on prête volontiers "
	  "un chiffon pour la selle.\n\n"
	  "## En tram\n\n"
	  "Si la pluie l’emporte, deux lignes de tram s’arrêtent à moins de cinq minutes à pied.",
	  29 },
	{ "un-an-de-coworking", "strasbourg", "Un an de coworking au cœur de Strasbourg",
	  "Ce que notre première année nous a appris, et ce qui change pour la suivante.",
	  "Il y a un an, nous ouvrions nos portes avec une idée simple : un café où l’on peut "
	  "vraiment travailler, et un espace de travail où l’on a plaisir à rester.\n\n"
	  "## Ce que nous avons appris\n\n"
	  "Les habitués veulent surtout de la régularité : la même place, le même café, la même "
	  "équipe. Nous avons donc allongé les horaires du matin et créé des abonnements.\n\n"
	  "## Ce qui change\n\n"
	  "- la réservation en ligne des salles, avec confirmation immédiate ;\n"
	  "- une carte d’hiver plus généreuse ;\n"
	  "- des ateliers chaque mois.\n\n"
	  "Merci à toutes celles et ceux qui ont poussé la porte. On vous garde une place.",
	  60 },
};

static bool exists(store_t *st, const char *coll, const char *slug, bool *found, struct err *e)
{
	bson_t f = BSON_INITIALIZER, out;
	store_error_t se = { 0 };
	bool ok;

	BSON_APPEND_UTF8(&f, "slug", slug);
	ok = store_find_one(st, coll, &f, NULL, &out, found, &se);
	bson_destroy(&f);
	if (ok)
		bson_destroy(&out);
	return ok || store_fail(e, "seed", &se);
}

bool article_seed(store_t *st, int64_t now, void (*report)(const char *), struct err *e)
{
	char line[200];

	for (size_t i = 0; i < sizeof seed_categories / sizeof *seed_categories; i++) {
		bool found = false;
		json_object *c;
		bool ok;
		if (!exists(st, "categories", seed_categories[i].slug, &found, e))
			return false;
		if (found)
			continue;
		c = json_object_new_object();
		json_object_object_add(c, "name", json_object_new_string(seed_categories[i].name));
		json_object_object_add(c, "slug", json_object_new_string(seed_categories[i].slug));
		json_object_object_add(c, "description", json_object_new_string(seed_categories[i].description));
		json_object_object_add(c, "color", json_object_new_string(seed_categories[i].color));
		json_object_object_add(c, "order", json_object_new_int(seed_categories[i].order));
		ok = article_category_put(st, now, c, e);
		json_object_put(c);
		if (!ok)
			return false;
		buf_fmt(line, sizeof line, "categories: %s", seed_categories[i].slug);
		report(line);
	}
	for (size_t i = 0; i < sizeof seed_articles / sizeof *seed_articles; i++) {
		bool found = false;
		json_object *a;
		bool ok;
		if (!exists(st, "articles", seed_articles[i].slug, &found, e))
			return false;
		if (found)
			continue;
		a = json_object_new_object();
		json_object_object_add(a, "title", json_object_new_string(seed_articles[i].title));
		json_object_object_add(a, "slug", json_object_new_string(seed_articles[i].slug));
		json_object_object_add(a, "excerpt", json_object_new_string(seed_articles[i].excerpt));
		json_object_object_add(a, "content", json_object_new_string(seed_articles[i].content));
		json_object_object_add(a, "category", json_object_new_string(seed_articles[i].category));
		json_object_object_add(a, "status", json_object_new_string("published"));
		json_object_object_add(a, "author", json_object_new_string("L’équipe du café"));
		/* at 9:00 UTC, `days_ago` days back */
		json_object_object_add(a, "publishedAt", json_object_new_int64(
			(now / DAY_MS - seed_articles[i].days_ago) * DAY_MS + 9 * 3600 * 1000LL));
		ok = article_put(st, now, a, e);
		json_object_put(a);
		if (!ok)
			return false;
		buf_fmt(line, sizeof line, "articles: %s", seed_articles[i].slug);
		report(line);
	}
	return true;
}
