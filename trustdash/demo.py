"""Demo workspace: export files of a fictional bilingual home-goods brand.

The demo goes through the same import path as user files, so it is written
as plain CSV exports (one comments file and one posts file per channel)
rather than inserted into the store.  Everything is derived from one seed
with :class:`random.Random` only: its streams are stable across Python
versions, so the same seed gives byte-identical files on any machine.

The story the data tells (so the dashboard has something to find):

* a year of activity, 2025-11-01 to 2026-10-31 (UTC), French and English;
* five campaigns, mildly positive except "Summer Sale 2026", during which a
  carrier failure (early July 2026) floods facebook, instagram, x and
  trustpilot with delivery and refund complaints while brand replies get
  slower and rarer, followed by a recovery in late July / early August;
* instagram is the brand's best channel, x its worst.
"""

from __future__ import annotations

import argparse
import csv
import math
import random
from bisect import bisect_right
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path

DEMO_BRAND = "Maison Lumen"

# Author name the brand uses on each channel; x has a separate care account,
# as many brands do, so both handles must count as the brand.
BRAND_ACCOUNT_BY_CHANNEL: dict[str, str] = {
    "x": "MaisonLumenHelp",
    "facebook": "Maison Lumen",
    "instagram": "maisonlumen",
    "youtube": "Maison Lumen",
    "tiktok": "maisonlumen.official",
    "linkedin": "Maison Lumen",
    "trustpilot": "Maison Lumen (réponse de l'entreprise)",
}
DEMO_BRAND_ACCOUNTS: list[str] = sorted(set(BRAND_ACCOUNT_BY_CHANNEL.values()) | {"MaisonLumen"})

DEMO_CAMPAIGNS: list[dict] = [
    {
        "name": "Black Friday 2025",
        "start": date(2025, 11, 21),
        "end": date(2025, 12, 1),
        "description": "-30 % sitewide with code BLACK25; many questions about codes and stock.",
    },
    {
        "name": "Fêtes 2025",
        "start": date(2025, 12, 5),
        "end": date(2025, 12, 24),
        "description": "Christmas gift guide; a few worries about delivery before the 24th.",
    },
    {
        "name": "Printemps 2026",
        "start": date(2026, 3, 16),
        "end": date(2026, 4, 12),
        "description": "Spring collection launch (linen, ceramics); well received.",
    },
    {
        "name": "Summer Sale 2026",
        "start": date(2026, 6, 24),
        "end": date(2026, 7, 21),
        "description": "Up to -40 %; a carrier failure in July causes a wave of delivery "
        "and refund complaints (the trust dip of the demo).",
    },
    {
        "name": "Rentrée 2026",
        "start": date(2026, 8, 24),
        "end": date(2026, 9, 20),
        "description": "Back-to-school desk and storage range; mildly positive.",
    },
]

# The incident behind the dip, for event annotations on time charts.
DEMO_INCIDENT: dict = {
    "name": "Carrier failure",
    "start": date(2026, 7, 1),
    "end": date(2026, 8, 8),
    "description": "Parcels delayed or lost by the carrier during the Summer Sale; "
    "backlog cleared by early August.",
}

WINDOW_START = datetime(2025, 11, 1)
WINDOW_END = datetime(2026, 10, 31, 23, 59, 59)

# Lower-case word starts that mark a complaint in the generated texts; every
# complaint template contains at least one and no other template does, so a
# test can measure complaint share from the files alone.
COMPLAINT_MARKERS: tuple[str, ...] = (
    "jamais reçu",
    "toujours pas reçu",
    "toujours rien",
    "rembours",
    "retard",
    "réclamation",
    "annulé",
    "cassé",
    "abîmé",
    "arnaque",
    "aucune réponse",
    "attends",
    "défectueu",
    "perdu",
    "never arrived",
    "never received",
    "still waiting",
    "refund",
    "delayed",
    "cancelled",
    "broken",
    "damaged",
    "scam",
    "no reply",
    "no answer",
    "where is my order",
    "faulty",
    "lost",
    "complaint",
)

ID_PREFIX = {
    "x": "x",
    "facebook": "fb",
    "instagram": "ig",
    "youtube": "yt",
    "tiktok": "tt",
    "linkedin": "li",
    "trustpilot": "tp",
}


@dataclass(frozen=True)
class ChannelSpec:
    audience: int  # audience comments over the year, before replies
    fr_share: float
    intents: tuple[
        float, float, float, float, float
    ]  # praise, neutral, question, complaint, negative
    reply_rate: float  # multiplier on the base reply probabilities
    reply_median_min: float  # observed median brand response delay, minutes
    dip: float  # how hard the July carrier failure hits this channel (0..1)
    posts_per_month: tuple[int, int]
    impressions: float  # median impressions per post
    engagement: float  # likes per impression
    share_ratio: float  # shares per like
    decay_h: float  # how long a post keeps attracting comments
    post_types: tuple[str, ...]
    weekend: float  # weekend volume factor


# fmt: off
CHANNELS: dict[str, ChannelSpec] = {
    "facebook": ChannelSpec(
        audience=9000, fr_share=0.62, intents=(0.36, 0.24, 0.20, 0.13, 0.07),
        reply_rate=1.0, reply_median_min=300, dip=1.0, posts_per_month=(20, 28),
        impressions=12000, engagement=0.020, share_ratio=0.12, decay_h=36,
        post_types=("photo", "video", "link", "reel"), weekend=0.9,
    ),
    "instagram": ChannelSpec(
        audience=8200, fr_share=0.55, intents=(0.50, 0.20, 0.17, 0.07, 0.06),
        reply_rate=1.1, reply_median_min=300, dip=0.9, posts_per_month=(22, 30),
        impressions=18000, engagement=0.045, share_ratio=0.05, decay_h=36,
        post_types=("image", "carousel", "reel"), weekend=1.2,
    ),
    "x": ChannelSpec(
        audience=4300, fr_share=0.45, intents=(0.24, 0.26, 0.18, 0.22, 0.10),
        reply_rate=0.85, reply_median_min=40, dip=1.0, posts_per_month=(30, 40),
        impressions=4000, engagement=0.012, share_ratio=0.25, decay_h=12,
        post_types=("post",), weekend=0.8,
    ),
    "youtube": ChannelSpec(
        audience=2000, fr_share=0.50, intents=(0.42, 0.30, 0.14, 0.07, 0.07),
        reply_rate=0.9, reply_median_min=1200, dip=0.3, posts_per_month=(15, 18),
        impressions=9000, engagement=0.040, share_ratio=0.03, decay_h=120,
        post_types=("video", "short"), weekend=1.1,
    ),
    "tiktok": ChannelSpec(
        audience=1700, fr_share=0.50, intents=(0.45, 0.28, 0.14, 0.06, 0.07),
        reply_rate=0.8, reply_median_min=480, dip=0.3, posts_per_month=(18, 25),
        impressions=25000, engagement=0.060, share_ratio=0.08, decay_h=48,
        post_types=("video",), weekend=1.3,
    ),
    "linkedin": ChannelSpec(
        audience=600, fr_share=0.62, intents=(0.45, 0.35, 0.12, 0.04, 0.04),
        reply_rate=0.9, reply_median_min=600, dip=0.2, posts_per_month=(15, 18),
        impressions=3000, engagement=0.025, share_ratio=0.10, decay_h=48,
        post_types=("image", "article", "video"), weekend=0.4,
    ),
    # Reviews: no brand posts, ratings instead.
    "trustpilot": ChannelSpec(
        audience=1500, fr_share=0.55, intents=(0.55, 0.15, 0.04, 0.18, 0.08),
        reply_rate=1.0, reply_median_min=1800, dip=1.0, posts_per_month=(0, 0),
        impressions=0, engagement=0.0, share_ratio=0.0, decay_h=0, post_types=(), weekend=1.0,
    ),
}
# fmt: on

INTENTS = ("praise", "neutral", "question", "complaint", "negative")

# Monthly volume seasonality (gifting peak in Nov/Dec, summer lull in August).
MONTH_FACTOR = {
    11: 1.15,
    12: 1.3,
    1: 0.95,
    2: 0.8,
    3: 0.95,
    4: 1.0,
    5: 0.9,
    6: 0.95,
    7: 1.0,
    8: 0.7,
    9: 1.0,
    10: 0.95,
}

# Audience activity by UTC hour: French/UK mornings, lunch and evenings.
HOUR_WEIGHTS = (2, 1, 1, 1, 1, 2, 4, 6, 7, 6, 5, 6, 8, 7, 5, 5, 6, 8, 10, 11, 10, 8, 5, 3)

# Base chance that the brand replies, by intent (scaled per channel / incident).
REPLY_BASE = {
    "praise": 0.15,
    "neutral": 0.08,
    "question": 0.85,
    "complaint": 0.82,
    "negative": 0.55,
}

# How each campaign shifts the intent mix (added, then renormalised).
CAMPAIGN_SHIFT: dict[str, tuple[float, float, float, float, float]] = {
    "Black Friday 2025": (0.03, -0.06, 0.06, 0.0, 0.0),
    "Fêtes 2025": (0.05, -0.04, 0.0, 0.02, -0.01),
    "Printemps 2026": (0.07, -0.04, 0.0, -0.02, -0.01),
    "Summer Sale 2026": (0.02, -0.02, 0.02, 0.0, 0.0),
    "Rentrée 2026": (0.04, -0.02, 0.0, -0.01, -0.01),
}

# ---------------------------------------------------------------------------
# Vocabulary.  Products carry their article so templates stay grammatical in
# French without gender agreement logic.
PRODUCTS = {
    "fr": (
        "la lampe Orso",
        "le plaid en lin",
        "le vase Céleste",
        "la bougie Figue",
        "le coussin velours",
        "la parure Nuage",
        "la tasse en grès",
        "le miroir Soleil",
        "le panier en osier",
        "l'applique Lune",
        "le bureau Alma",
        "la boîte Rangetout",
    ),
    "en": (
        "the Orso lamp",
        "the linen throw",
        "the Celeste vase",
        "the Fig candle",
        "the velvet cushion",
        "the Cloud bedding set",
        "the stoneware mug",
        "the Soleil mirror",
        "the wicker basket",
        "the Lune wall light",
        "the Alma desk",
        "the Tidy box",
    ),
}

FIRST_NAMES = {
    "fr": (
        "Camille",
        "Léa",
        "Manon",
        "Chloé",
        "Inès",
        "Sarah",
        "Julie",
        "Emma",
        "Louise",
        "Jade",
        "Lucas",
        "Hugo",
        "Théo",
        "Nathan",
        "Louis",
        "Mathis",
        "Antoine",
        "Julien",
        "Nicolas",
        "Thomas",
        "Margaux",
        "Pauline",
        "Élodie",
        "Amandine",
        "Sophie",
        "Céline",
        "Aurélie",
        "Karim",
        "Yanis",
        "Mehdi",
        "Fatou",
        "Awa",
        "Bastien",
        "Romain",
        "Clément",
        "Maëlle",
        "Océane",
        "Anaïs",
        "Hélène",
        "Mathilde",
    ),
    "en": (
        "Emily",
        "Olivia",
        "Jack",
        "Harry",
        "Sophie",
        "Chloe",
        "James",
        "Oliver",
        "Grace",
        "Amelia",
        "Liam",
        "Noah",
        "Ava",
        "Mia",
        "Ethan",
        "Lucas",
        "Ella",
        "Ruby",
        "Daniel",
        "Sam",
        "Priya",
        "Aisha",
        "Ben",
        "Tom",
        "Hannah",
        "Megan",
        "Ryan",
        "Kate",
        "Zoe",
        "Leo",
    ),
}
LAST_NAMES = {
    "fr": (
        "Martin",
        "Bernard",
        "Dubois",
        "Moreau",
        "Laurent",
        "Simon",
        "Michel",
        "Lefebvre",
        "Leroy",
        "Roux",
        "Fournier",
        "Girard",
        "Bonnet",
        "Dupont",
        "Lambert",
        "Fontaine",
        "Rousseau",
        "Vincent",
        "Muller",
        "Faure",
        "Benali",
        "Diallo",
        "Nguyen",
        "Mercier",
    ),
    "en": (
        "Smith",
        "Jones",
        "Taylor",
        "Brown",
        "Wilson",
        "Evans",
        "Walker",
        "Wright",
        "Green",
        "Hall",
        "Clarke",
        "Patel",
        "Khan",
        "Lewis",
        "Young",
        "King",
        "Baker",
        "Carter",
        "Murphy",
        "Kelly",
        "Okafor",
        "Reid",
    ),
}

Templates = dict[str, tuple[str, ...]]

AUDIENCE: dict[str, Templates] = {
    "fr": {
        "praise": (
            "Trop beau 😍",
            "Reçu {p} hier, un vrai coup de cœur !",
            "Super qualité, je recommande à 100%",
            "J'adore ! Livraison rapide et emballage soigné",
            "Franchement au top, merci Maison Lumen",
            "Deuxième commande et toujours aussi contente",
            "Pas déçue du tout, {p} rend encore mieux en vrai",
            "Magnifique collection",
            "{P} est parfait dans mon salon",
            "Service client adorable, merci pour votre aide",
            "Coup de cœur pour cette couleur !",
            "Je valide, très bon rapport qualité prix",
            "Canon 🔥",
            "Enfin une marque qui soigne les détails",
            "Offert à ma mère, elle a adoré",
            "Commandé lundi, reçu mercredi. Parfait.",
            "Vraiment génial, bravo à toute l'équipe",
            "Ça donne envie de tout refaire chez moi",
            "Je ne m'en lasse pas",
            "Sublime, comme d'habitude",
            "Il me le faut !!",
            "Belle découverte, merci pour le conseil",
            "{P}, meilleur achat de l'année",
        ),
        "neutral": (
            "@{friend} regarde ça",
            "Je tague ma sœur @{friend}",
            "Intéressant",
            "On verra bien",
            "Première fois que je vois cette marque",
            "Ça me fait penser à la maison de ma grand-mère",
            "Ok merci pour l'info",
            "Je note pour plus tard",
            "Quelqu'un a testé {p} ?",
            "Hmm à voir en vrai",
            "Vu en story hier",
            "Commande passée, on verra",
            "@{friend} pour ton salon ?",
            "Ah tiens, nouvelle collection",
            "C'est fabriqué où ?",
            "Joli décor sur la photo",
        ),
        "question": (
            "Vous livrez en Belgique ?",
            "{P} existe en blanc ?",
            "C'est quoi les dimensions de {p} ?",
            "Le code promo marche aussi sur les soldes ?",
            "Quand est-ce que {p} revient en stock ?",
            "On peut retirer en magasin ?",
            "Quel délai de livraison en ce moment ?",
            "Il y a des frais de retour ?",
            "C'est lavable en machine ?",
            "Vous avez une boutique à Lyon ?",
            "Bonjour, comment je modifie mon adresse de livraison ?",
            "Ça marche avec une ampoule LED ?",
            "Vous faites des cartes cadeaux ?",
            "Bonjour, je peux encore échanger la couleur ?",
            "Vous livrez en Suisse ?",
        ),
        "negative": (
            "Pas terrible cette nouvelle collection",
            "Bof, je préférais les anciennes couleurs",
            "Trop cher pour ce que c'est",
            "Je ne suis pas fan du tout",
            "Déçue, les couleurs ne rendent pas pareil en vrai",
            "Franchement nul ce design",
            "Ça ne me plaît pas, dommage",
            "Pas convaincu par {p}",
            "Les prix ont encore augmenté ? 🙄",
            "Moche.",
            "Qualité pas terrible pour le prix",
            "Je n'aime pas trop, ça fait cheap",
        ),
    },
    "en": {
        "praise": (
            "Love it 😍",
            "Got {p} yesterday, absolutely gorgeous!",
            "Great quality, 100% recommend",
            "Fast delivery and lovely packaging",
            "Honestly the best, thanks Maison Lumen",
            "Second order and still just as happy",
            "Not disappointed at all, {p} is even nicer in real life",
            "Stunning collection",
            "{P} looks perfect in my living room",
            "Customer service was so kind, thank you!",
            "Obsessed with this colour",
            "Great value for money",
            "🔥🔥🔥",
            "Finally a brand that cares about details",
            "Bought it as a gift and she loved it",
            "Ordered Monday, arrived Wednesday. Perfect.",
            "Really amazing, well done team",
            "Makes me want to redo my whole flat",
            "Not bad at all for the price!",
            "Can't stop looking at it",
            "Best purchase this year, {p} is lovely",
            "Need this!!",
        ),
        "neutral": (
            "@{friend} look at this",
            "Tagging my mum @{friend}",
            "Interesting",
            "We'll see",
            "First time seeing this brand",
            "Ok thanks for the info",
            "Saving this for later",
            "Has anyone tried {p}?",
            "Hmm need to see it in person",
            "Order placed, fingers crossed",
            "Saw this in a story yesterday",
            "@{friend} for your living room?",
            "Oh, new collection",
            "Where is it made?",
        ),
        "question": (
            "Do you ship to Canada?",
            "Is {p} available in white?",
            "What are the dimensions of {p}?",
            "Does the promo code work on sale items?",
            "When will {p} be back in stock?",
            "How long is delivery at the moment?",
            "Are returns free?",
            "Is it machine washable?",
            "Hi, how do I change my delivery address?",
            "Can I use an LED bulb with it?",
            "Any plans for a store in London?",
            "Do you do gift cards?",
            "Can I still swap the colour on my order?",
            "Do you ship to Ireland?",
        ),
        "negative": (
            "Not a fan of the new colours",
            "Way too expensive for what it is",
            "Meh, I preferred the old range",
            "Not happy with {p} to be honest",
            "Don't like this one at all",
            "Disappointed, it looks nothing like the photos",
            "This isn't worth the price",
            "Ugly tbh",
            "Prices went up again? 🙄",
            "Doesn't feel as premium as before",
            "I don't get the hype",
        ),
    },
}

# Complaints by topic; each must contain a COMPLAINT_MARKERS entry.
COMPLAINTS: dict[str, Templates] = {
    "fr:delivery": (
        "Commande passée il y a {d} jours et toujours rien... c'est normal ?",
        "Colis jamais reçu, et aucune réponse du SAV 😡",
        "Livraison en retard de {d} jours, sans aucune nouvelle",
        "Ça fait {d} jours que j'attends mon colis {o}, toujours pas reçu",
        "Suivi bloqué depuis {d} jours, colis en retard, on fait comment ?",
        "Colis perdu, deuxième fois cette année. Pas terrible.",
        "Toujours pas reçu ma commande {o}, vous pouvez vérifier ?",
        "LIVRAISON EN RETARD ET PERSONNE NE RÉPOND",
        "J'attends ma commande depuis {d} jours, c'est inadmissible",
        "Commandé pendant les soldes, colis jamais reçu",
    ),
    "fr:refund": (
        "Remboursement ? Ça fait {d} jours que j'ai renvoyé l'article",
        "Toujours pas remboursée pour {p}, {d} jours après le retour",
        "J'attends mon remboursement depuis {d} jours, réclamation {o} sans réponse",
        "Commande annulée sans explication et pas de remboursement, c'est une arnaque ?",
        "remboursement ??",
    ),
    "fr:quality": (
        "Article arrivé cassé, {p} est inutilisable 😞",
        "Colis abîmé, verre brisé à l'intérieur",
        "Produit défectueux au bout de {d} jours, je fais comment pour le retour ?",
        "Reçu {p} avec un éclat, carton complètement abîmé",
    ),
    "fr:service": (
        "Trois mails au SAV, aucune réponse. Sérieusement ?",
        "Impossible de joindre le service client, réclamation ouverte depuis {d} jours",
        "Je ne recommande pas : réclamation ignorée depuis {d} jours",
    ),
    "fr:metoo": (
        "Pareil pour moi, toujours pas reçu ma commande",
        "Même problème, j'attends mon remboursement depuis des semaines",
        "+1, colis jamais reçu non plus",
        "Idem, livraison en retard depuis {d} jours",
    ),
    "en:delivery": (
        "Still waiting for my order {o}, placed {d} days ago",
        "My parcel never arrived and nobody answers 😡",
        "Order delayed again... {d} days now",
        "Where is my order?? Tracking hasn't moved in {d} days",
        "STILL WAITING FOR MY PARCEL",
        "Parcel lost, second time this year. Not happy.",
        "Ordered {d} days ago, never received anything. Is this a scam?",
        "Bought in the summer sale and still waiting for my order",
        "Delivery delayed by {d} days and no update at all",
    ),
    "en:refund": (
        "Still no refund after {d} days, this is ridiculous",
        "Returned {p} {d} days ago, where is my refund?",
        "You cancelled my order and I don't have my money back. Refund please",
        "Complaint {o} open for {d} days, no reply",
    ),
    "en:quality": (
        "{P} arrived broken 😞",
        "Box was damaged and {p} had a crack",
        "Faulty product after {d} days, how do I return it?",
        "Second one that arrived damaged, don't think I'll order again",
    ),
    "en:service": (
        "Emailed customer service three times, no answer. Seriously?",
        "Your chat bot is useless, I just want someone to look at my complaint",
        "No reply to my emails for {d} days",
    ),
    "en:metoo": (
        "Same here, still waiting",
        "Same problem, no refund yet",
        "+1 never arrived either",
        "Same, my order is delayed by {d} days too",
    ),
}

COMPLAINT_TOPICS = ("delivery", "refund", "quality", "service")
TOPIC_WEIGHTS_CALM = (0.35, 0.20, 0.30, 0.15)
TOPIC_WEIGHTS_INCIDENT = (0.55, 0.27, 0.06, 0.12)

BRAND_REPLIES: dict[str, Templates] = {
    "fr": {
        "complaint": (
            "Bonjour {first}, nous sommes vraiment désolés. Pouvez-vous nous envoyer votre "
            "numéro de commande en message privé ? Nous regardons ça tout de suite.",
            "Bonjour {first}, toutes nos excuses. Notre transporteur rencontre des difficultés, "
            "nous vous répondons en MP 🙏",
            "Bonjour, désolés pour ce désagrément ! Le service client revient vers vous "
            "aujourd'hui. Léa",
            "{first}, nous comprenons votre frustration. Nous avons relancé votre dossier en "
            "priorité, vous aurez des nouvelles sous 24 h.",
        ),
        "question": (
            "Bonjour {first} ! Oui, nous livrons en France, Belgique, Suisse et Luxembourg 😊",
            "Bonjour {first}, merci pour votre question ! Toutes les infos sont ici : {url}",
            "Bonne question ! Nous vous répondons en message privé.",
            "Hello {first}, {p} revient en stock d'ici deux semaines 😉",
            "Bonjour {first}, les retours sont gratuits pendant 30 jours.",
        ),
        "praise": (
            "Merci beaucoup {first} ! 💛",
            "Ça nous fait tellement plaisir, merci !",
            "Merci pour ce retour, toute l'équipe est ravie 😊",
        ),
        "negative": (
            "Merci pour votre retour {first}, nous le transmettons à l'équipe produit.",
            "Nous sommes désolés que cela ne vous plaise pas, votre avis compte pour nous.",
        ),
        "neutral": (
            "Merci {first} 😊",
            "Avec plaisir !",
            "N'hésitez pas si vous avez des questions !",
        ),
    },
    "en": {
        "complaint": (
            "Hi {first}, we're really sorry. Could you DM us your order number? "
            "We'll look into it right away.",
            "Hi {first}, our apologies. Our carrier is having issues, we'll reply by DM 🙏",
            "Sorry about this! Our customer care team will get back to you today. Lea",
            "{first}, we understand your frustration. We've escalated your case and you'll "
            "hear from us within 24 hours.",
        ),
        "question": (
            "Hi {first}! Yes, we ship to the UK, Ireland and most of Europe 😊",
            "Hi {first}, thanks for asking! All the details are here: {url}",
            "Good question! We'll reply by DM.",
            "Hey {first}, {p} will be back in stock within two weeks 😉",
            "Hi {first}, returns are free for 30 days.",
        ),
        "praise": (
            "Thank you so much {first}! 💛",
            "This made our day, thank you!",
            "Thanks for the lovely feedback, the whole team is thrilled 😊",
        ),
        "negative": (
            "Thanks for the feedback {first}, we'll pass it on to our product team.",
            "Sorry to hear it's not for you, your opinion matters to us.",
        ),
        "neutral": (
            "Thanks {first} 😊",
            "You're welcome!",
            "Let us know if you have any questions!",
        ),
    },
}

POST_TEXTS: dict[str, dict[str, tuple[str, ...]]] = {
    "": {
        "fr": (
            "Nouveauté : {p} 🌿 Disponible sur le site",
            "Un dimanche cosy avec {p} ☕",
            "Dans les coulisses de notre atelier",
            "Vos intérieurs, notre plus belle vitrine ✨",
            "3 idées pour réchauffer votre salon",
            "Le saviez-vous ? {P} est fait main",
        ),
        "en": (
            "New in: {p} 🌿 Available online",
            "A cosy Sunday with {p} ☕",
            "Behind the scenes at our workshop",
            "Your homes are our best showroom ✨",
            "3 ways to warm up your living room",
            "Did you know? {P} is handmade",
        ),
    },
    "Black Friday 2025": {
        "fr": (
            "BLACK FRIDAY : -30% sur tout le site avec le code BLACK25 🖤",
            "Derniers jours du Black Friday, {p} à -30%",
        ),
        "en": (
            "Black Friday is here: 30% off sitewide with code BLACK25 🖤",
            "Last days of Black Friday, {p} at 30% off",
        ),
    },
    "Fêtes 2025": {
        "fr": ("Idées cadeaux : {p} 🎄", "Commandez avant le 18/12 pour une livraison avant Noël"),
        "en": ("Gift idea: {p} 🎄", "Order by 18 December for Christmas delivery"),
    },
    "Printemps 2026": {
        "fr": ("Le printemps s'installe 🌸 Découvrez {p}", "Collection Printemps : lin et grès"),
        "en": ("Spring is here 🌸 Meet {p}", "Spring collection: linen and stoneware"),
    },
    "Summer Sale 2026": {
        "fr": ("SUMMER SALE jusqu'à -40% ☀️", "{P} à prix doux pendant la Summer Sale"),
        "en": ("SUMMER SALE up to 40% off ☀️", "{P} on sale during the Summer Sale"),
    },
    "Rentrée 2026": {
        "fr": (
            "C'est la rentrée ! Réorganisez votre bureau avec {p}",
            "Rentrée rime avec rangement",
        ),
        "en": ("Back to school: refresh your desk with {p}", "Back to school, back to tidy"),
    },
}

# Brand posts about the incident itself, as a real community manager would
# publish them (pinned apology, then the all-clear).
INCIDENT_POSTS = (
    (
        datetime(2026, 7, 9, 9, 30),
        "Info livraison : notre transporteur rencontre d'importants "
        "retards. Nous faisons le maximum et vous tenons informés 🙏 / Delivery update: our "
        "carrier is facing major delays, we're on it.",
    ),
    (
        datetime(2026, 7, 24, 10, 0),
        "Bonne nouvelle : les livraisons reviennent à la normale. "
        "Merci pour votre patience 💛 / Deliveries are back to normal, thank you for your "
        "patience.",
    ),
)

EMOJIS = {
    "praise": ("😍", "❤️", "🔥", "👏", "✨", "💛", "🥰"),
    "neutral": ("👀", "🤞", "😊", "🙂"),
    "question": ("🤔", "🙏", "😊"),
    "complaint": ("😡", "😤", "😞", "🙄", "😠"),
    "negative": ("🙄", "😕", "👎"),
}
HASHTAGS = ("#MaisonLumen", "#deco", "#homedecor", "#cosy", "#interiordesign", "#slowliving")
CAMPAIGN_TAGS = {
    "Black Friday 2025": "#BlackFriday",
    "Fêtes 2025": "#Noel",
    "Printemps 2026": "#Printemps2026",
    "Summer Sale 2026": "#SummerSale",
    "Rentrée 2026": "#Rentree",
}
SITE = "https://maisonlumen.example"


# ---------------------------------------------------------------------------
# Time helpers


def _campaign_on(day: date) -> str:
    for c in DEMO_CAMPAIGNS:
        if c["start"] <= day <= c["end"]:
            return c["name"]
    return ""


def _severity(day: date) -> float:
    """Strength of the carrier failure on ``day``: ramps up, plateau, slow recovery."""
    start, plateau_end, end = date(2026, 7, 1), date(2026, 7, 18), DEMO_INCIDENT["end"]
    if day < start or day > end:
        return 0.0
    if day <= start + timedelta(days=3):
        return ((day - start).days + 1) / 4
    if day <= plateau_end:
        return 1.0
    return 1.0 - (day - plateau_end).days / (end - plateau_end).days


def _days() -> list[date]:
    n = (WINDOW_END.date() - WINDOW_START.date()).days + 1
    return [WINDOW_START.date() + timedelta(days=i) for i in range(n)]


def _iso(ts: datetime) -> str:
    return ts.strftime("%Y-%m-%dT%H:%M:%S")


# ---------------------------------------------------------------------------
# Authors


@dataclass(frozen=True)
class Author:
    name: str
    first: str


def _author_pool(rnd: random.Random, channel: str, lang: str, size: int) -> list[Author]:
    handles = channel in {"x", "instagram", "tiktok"}
    pool = []
    seen: set[str] = set()
    while len(pool) < size:
        first = rnd.choice(FIRST_NAMES[lang])
        last = rnd.choice(LAST_NAMES[lang])
        if handles:
            ascii_first = first.lower().translate(str.maketrans("éèëïç", "eeeic"))
            style = rnd.randrange(4)
            if style == 0:
                name = f"{ascii_first}_{last.lower()}{rnd.randrange(10, 99)}"
            elif style == 1:
                name = f"{ascii_first}.{last[:3].lower()}"
            elif style == 2:
                name = f"{ascii_first}{rnd.randrange(1980, 2008)}"
            else:
                name = f"the_{ascii_first}_{rnd.choice(('home', 'deco', 'life', 'cosy'))}"
        else:
            name = f"{first} {last[0]}." if rnd.random() < 0.6 else f"{first} {last}"
        if name in seen:
            # Few first/last combinations exist: fall back to double-barrelled names.
            name = f"{first} {last}-{rnd.choice(LAST_NAMES[lang])}"
        if name in seen:
            name = f"{first} {rnd.choice('BCDFGHJKLMNPRSTV')}. {last}"
        if name not in seen:
            seen.add(name)
            pool.append(Author(name, first))
    return pool


def _zipf_cum(n: int) -> list[float]:
    # A few loyal (or very unhappy) regulars and a long tail of one-off commenters.
    cum, total = [], 0.0
    for i in range(n):
        total += 1.0 / (i + 3) ** 0.9
        cum.append(total)
    return cum


# ---------------------------------------------------------------------------
# Posts


@dataclass
class Post:
    post_id: str
    ts: datetime
    lang: str
    text: str
    post_type: str
    campaign: str
    impressions: int
    n_comments: int = 0


def _fill(rnd: random.Random, template: str, lang: str, friend: str = "") -> str:
    product = rnd.choice(PRODUCTS[lang])
    return template.format(
        p=product,
        P=product[0].upper() + product[1:],
        d=rnd.choice((3, 4, 5, 6, 8, 10, 12, 15, 21)),
        o=f"#LM{rnd.randrange(100000, 999999)}",
        friend=friend,
        url=f"{SITE}/{'aide' if lang == 'fr' else 'help'}/{rnd.randrange(10, 99)}",
        first="",
    )


def _make_posts(rnd: random.Random, channel: str, spec: ChannelSpec) -> list[Post]:
    posts: list[Post] = []
    prefix = ID_PREFIX[channel]
    month = date(2025, 11, 1)
    while month <= WINDOW_END.date():
        nxt = date(month.year + month.month // 12, month.month % 12 + 1, 1)
        days = [month + timedelta(days=i) for i in range((nxt - month).days)]
        # Campaign days get more posts: weight them up when placing the month's posts.
        weights = [2.5 if _campaign_on(d) else 1.0 for d in days]
        n = rnd.randint(*spec.posts_per_month)
        for day in rnd.choices(days, weights=weights, k=n):
            hour = rnd.choice((7, 8, 9, 11, 12, 16, 17, 18, 19))
            ts = datetime(day.year, day.month, day.day, hour, rnd.randrange(60), 0)
            if day == WINDOW_START.date():
                ts = ts.replace(hour=0, minute=5)  # first post before the first comment
            camp = _campaign_on(day)
            if camp and rnd.random() < 0.25:
                camp = ""  # not every post during a campaign belongs to it
            lang = "fr" if rnd.random() < 0.7 else "en"
            text = _fill(rnd, rnd.choice(POST_TEXTS[camp][lang]), lang)
            if rnd.random() < 0.5:
                text += " " + (CAMPAIGN_TAGS.get(camp) or rnd.choice(HASHTAGS))
            boost = 1.4 if camp else 1.0
            impressions = int(spec.impressions * boost * math.exp(rnd.gauss(0, 0.6)))
            posts.append(
                Post("", ts, lang, text, rnd.choice(spec.post_types), camp, max(impressions, 50))
            )
        month = nxt
    for ts, text in INCIDENT_POSTS:
        if channel in {"facebook", "instagram", "x"}:
            posts.append(
                Post(
                    "",
                    ts,
                    "fr",
                    text,
                    spec.post_types[0],
                    "Summer Sale 2026",
                    int(spec.impressions * 2.0),
                )
            )
    posts.sort(key=lambda p: p.ts)
    for i, p in enumerate(posts, start=1):
        p.post_id = f"{prefix}_p_{i:04d}"
    return posts


# ---------------------------------------------------------------------------
# Comments


@dataclass
class Row:
    ts: datetime
    author: str
    is_brand: bool
    text: str
    likes: int
    campaign: str
    post: Post | None = None
    parent: int | None = None  # index into the channel's row list
    rating: int | None = None
    intent: str = ""
    lang: str = ""
    first: str = ""


def _intent_weights(spec: ChannelSpec, campaign: str, sev: float, week_noise: float) -> list[float]:
    w = list(spec.intents)
    for i, delta in enumerate(CAMPAIGN_SHIFT.get(campaign, (0.0,) * 5)):
        w[i] = max(0.005, w[i] + delta)
    w[3] *= week_noise
    total = sum(w)
    w = [x / total for x in w]
    # The incident turns part of every other intent into complaints.
    extra = 0.5 * spec.dip * sev
    c_new = w[3] + extra * (1 - w[3])
    scale = (1 - c_new) / (1 - w[3])
    w = [x * scale for x in w]
    w[3] = c_new
    return w


def _decorate(
    rnd: random.Random, text: str, intent: str, channel: str, lang: str, campaign: str, sev: float
) -> str:
    """Surface variation that real comments have and a lexicon scorer must survive."""
    if intent != "question" and rnd.random() < 0.3:
        text = text.rstrip(".")
    if rnd.random() < (0.3 if intent in {"praise", "complaint"} else 0.15):
        text += (" " if rnd.random() < 0.7 else "") + rnd.choice(EMOJIS[intent]) * rnd.choice(
            (1, 1, 2, 3)
        )
    if intent == "praise" and rnd.random() < 0.15:
        text += "!!"
    if rnd.random() < 0.08:
        text += " " + (CAMPAIGN_TAGS.get(campaign) or rnd.choice(HASHTAGS))
    if intent in {"complaint", "question"} and rnd.random() < 0.025:
        path = "suivi" if lang == "fr" else "tracking"
        text += f" {SITE}/{path}/{rnd.randrange(10**7, 10**8)}"
    mention = 0.5 if channel == "x" else 0.04
    if rnd.random() < mention:
        text = f"@{'MaisonLumen' if channel == 'x' else BRAND_ACCOUNT_BY_CHANNEL[channel]} " + text
    caps = {"complaint": 0.06 + 0.08 * sev, "praise": 0.02}.get(intent, 0.01)
    if rnd.random() < caps:
        text = text.upper().replace("HTTPS://", "https://").replace(SITE.upper(), SITE)
    elif rnd.random() < 0.2:
        text = text[0].lower() + text[1:]
    if "'" in text and rnd.random() < 0.35:
        text = text.replace("'", "\u2019")  # phones and Word type curly apostrophes
    return text.replace("  ", " ")


def _comment_text(rnd: random.Random, intent: str, topic: str, lang: str, friend: str) -> str:
    if intent == "complaint":
        return _fill(rnd, rnd.choice(COMPLAINTS[f"{lang}:{topic}"]), lang)
    return _fill(rnd, rnd.choice(AUDIENCE[lang][intent]), lang, friend)


def _review_text(rnd: random.Random, intent: str, topic: str, lang: str) -> str:
    # Reviews are longer: two sentences of the same mood.
    first = _comment_text(rnd, intent, topic, lang, "")
    while "@" in first:  # nobody tags a friend in a review
        first = _comment_text(rnd, intent, topic, lang, "")
    if intent == "complaint":
        second = _fill(rnd, rnd.choice(COMPLAINTS[f"{lang}:{rnd.choice(COMPLAINT_TOPICS)}"]), lang)
    else:
        pool = AUDIENCE[lang][intent if intent != "question" else "neutral"]
        second = _fill(rnd, rnd.choice([t for t in pool if "@" not in t]), lang)
    sep = ". " if not first.endswith(("!", "?", ".", "…")) else " "
    return first + sep + second


RATINGS = {
    "praise": ((5, 4), (0.72, 0.28)),
    "neutral": ((4, 3), (0.5, 0.5)),
    "question": ((3, 4), (0.6, 0.4)),
    "complaint": ((1, 2), (0.75, 0.25)),
    "negative": ((2, 3), (0.6, 0.4)),
}


def _audience_rows(
    rnd: random.Random, channel: str, spec: ChannelSpec, posts: list[Post]
) -> list[Row]:
    days = _days()
    day_w = []
    for d in days:
        w = MONTH_FACTOR[d.month] * (spec.weekend if d.weekday() >= 5 else 1.0)
        camp = _campaign_on(d)
        if camp:
            w *= 1.9 if camp == "Black Friday 2025" else 1.4
        w *= 1 + 1.3 * spec.dip * _severity(d)  # angry customers post more
        w *= math.exp(rnd.gauss(0, 0.25))
        day_w.append(w)
    week_noise = [math.exp(rnd.gauss(0, 0.15)) for _ in range(60)]

    langs = ("fr", "en")
    pool_size = max(50, spec.audience // 3)
    pools = {lg: _author_pool(rnd, channel, lg, pool_size) for lg in langs}
    zipf = _zipf_cum(pool_size)

    times = []
    day_cum = list(_accumulate(day_w))
    hour_cum = list(_accumulate(HOUR_WEIGHTS))
    for day in rnd.choices(days, cum_weights=day_cum, k=spec.audience):
        hour = rnd.choices(range(24), cum_weights=hour_cum)[0]
        times.append(
            datetime(day.year, day.month, day.day, hour) + timedelta(seconds=rnd.randrange(3600))
        )
    times.sort()

    post_times = [p.ts for p in posts]
    rows: list[Row] = []
    by_post: dict[str, list[int]] = {}
    for ts in times:
        day = ts.date()
        sev = _severity(day)
        post = None
        if posts:
            hi = bisect_right(post_times, ts)
            if hi == 0:
                ts = posts[0].ts + timedelta(minutes=rnd.randrange(5, 120))
                hi = 1
            cands = posts[max(0, hi - 20) : hi]
            weights = [
                p.impressions * math.exp(-(ts - p.ts).total_seconds() / 3600 / spec.decay_h) + 1e-9
                for p in cands
            ]
            post = rnd.choices(cands, weights=weights)[0]
        campaign = post.campaign if post else _campaign_on(day)
        week = (day - days[0]).days // 7
        intent = rnd.choices(
            INTENTS, weights=_intent_weights(spec, campaign, sev, week_noise[week])
        )[0]
        topic = rnd.choices(
            COMPLAINT_TOPICS, weights=TOPIC_WEIGHTS_INCIDENT if sev > 0.3 else TOPIC_WEIGHTS_CALM
        )[0]
        lang = "fr" if rnd.random() < spec.fr_share else "en"
        parent = None
        siblings = by_post.get(post.post_id, []) if post else []
        if siblings and rnd.random() < 0.07:
            # A reply to another member of the audience: conversations, "+1"s.
            parent = rnd.choice(siblings[-10:])
            lang = rows[parent].lang if rnd.random() < 0.85 else lang
            if rows[parent].intent == "complaint" and rnd.random() < 0.6:
                intent, topic = "complaint", "metoo"
        author = pools[lang][rnd.choices(range(pool_size), cum_weights=zipf)[0]]
        friend = rnd.choice(pools[lang]).name
        if channel == "trustpilot":
            text = _review_text(rnd, intent, topic, lang)
            stars, probs = RATINGS[intent]
            rating = rnd.choices(stars, weights=probs)[0]
        else:
            text = _comment_text(rnd, intent, topic, lang, friend)
            rating = None
        if parent is not None and channel == "x":
            text = f"@{rows[parent].author} {text}"
        text = _decorate(rnd, text, intent, channel, lang, campaign, sev)
        likes = int(rnd.paretovariate(1.6)) - 1
        if intent == "complaint" and sev > 0:
            likes += int(rnd.paretovariate(1.3))  # others pile on during the incident
        rows.append(
            Row(
                ts,
                author.name,
                False,
                text,
                likes,
                campaign,
                post,
                parent,
                rating,
                intent,
                lang,
                author.first,
            )
        )
        if post:
            by_post.setdefault(post.post_id, []).append(len(rows) - 1)
    return rows


def _accumulate(values: list[float] | tuple[int, ...]) -> list[float]:
    out, total = [], 0.0
    for v in values:
        total += v
        out.append(total)
    return out


def _brand_replies(
    rnd: random.Random, channel: str, spec: ChannelSpec, rows: list[Row]
) -> list[Row]:
    account = BRAND_ACCOUNT_BY_CHANNEL[channel]
    replies = []
    for idx, row in enumerate(rows):
        sev = _severity(row.ts.date()) * spec.dip
        p = min(0.97, REPLY_BASE[row.intent] * spec.reply_rate) * (1 - 0.45 * sev)
        if rnd.random() >= p:
            continue
        # Log-normal delays: heavy right tail, median per channel; the team is
        # swamped during the incident.  The raw median is set below the target
        # because the incident and the wait for office hours lengthen it.
        if channel == "x":
            calibration = 0.85
        else:
            calibration = 0.78 if spec.reply_median_min >= 1000 else 0.5
        raw_median = spec.reply_median_min * calibration
        delay_min = raw_median * math.exp(rnd.gauss(0, 1.1)) * (1 + 3 * sev)
        ts = row.ts + timedelta(seconds=max(60, int(delay_min * 60)))
        if channel != "x" and (ts.hour >= 21 or ts.hour < 7) and rnd.random() < 0.8:
            # Outside office hours most answers wait for the next morning shift.
            morning = ts.date() + timedelta(days=1 if ts.hour >= 21 else 0)
            ts = datetime(morning.year, morning.month, morning.day, 7) + timedelta(
                seconds=rnd.randrange(5400)
            )
        if ts > WINDOW_END:
            continue  # answered after the export was taken
        lang = row.lang
        template = rnd.choice(BRAND_REPLIES[lang][row.intent])
        product = rnd.choice(PRODUCTS[lang])
        text = template.format(
            first=row.first, p=product, url=f"{SITE}/{'aide' if lang == 'fr' else 'help'}"
        )
        text = " ".join(text.split())
        if channel == "x":
            text = f"@{row.author} {text}"
        if "'" in text and rnd.random() < 0.5:
            text = text.replace("'", "\u2019")
        replies.append(
            Row(
                ts,
                account,
                True,
                text,
                int(rnd.paretovariate(2.5)) - 1,
                row.campaign,
                row.post,
                idx,
                None,
                "reply",
                lang,
                "",
            )
        )
    return replies


# ---------------------------------------------------------------------------
# Writing


def _fmt(value: int | None) -> str:
    return "" if value is None else str(value)


def _write_channel(
    out_dir: Path,
    rnd: random.Random,
    channel: str,
    spec: ChannelSpec,
    posts: list[Post],
    rows: list[Row],
) -> list[Path]:
    prefix = ID_PREFIX[channel]
    order = sorted(range(len(rows)), key=lambda i: (rows[i].ts, i))
    ids = {}
    for n, i in enumerate(order, start=1):
        ids[i] = f"{prefix}_c_{n:06d}"
        if rows[i].post:
            rows[i].post.n_comments += 1

    has_posts = bool(posts)
    header = ["channel", "comment_id"]
    header += ["post_id"] if has_posts else []
    header += ["parent_id", "author", "is_brand", "created_at", "text", "likes"]
    header += [] if has_posts else ["rating"]
    header += ["campaign"]
    written = []
    path = out_dir / f"demo_{channel}_comments.csv"
    with path.open("w", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh, lineterminator="\n")
        w.writerow(header)
        for i in order:
            r = rows[i]
            line = [channel, ids[i]]
            line += [r.post.post_id if r.post else ""] if has_posts else []
            line += [
                ids[r.parent] if r.parent is not None else "",
                r.author,
                "true" if r.is_brand else "false",
                _iso(r.ts),
                r.text,
                str(r.likes),
            ]
            line += [] if has_posts else [_fmt(r.rating)]
            line += [r.campaign]
            w.writerow(line)
    written.append(path)
    if not has_posts:
        return written  # review sites have no brand posts

    path = out_dir / f"demo_{channel}_posts.csv"
    header = [
        "channel",
        "post_id",
        "created_at",
        "text",
        "url",
        "post_type",
        "campaign",
        "impressions",
        "reach",
        "views",
        "likes",
        "comments",
        "shares",
        "saves",
        "clicks",
    ]
    with path.open("w", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh, lineterminator="\n")
        w.writerow(header)
        for p in posts:
            sev = _severity(p.ts.date()) * spec.dip
            reach = int(p.impressions * rnd.uniform(0.55, 0.9))
            video = p.post_type in {"video", "reel", "short"}
            views = int(p.impressions * rnd.uniform(0.3, 0.7)) if video else None
            likes = int(p.impressions * spec.engagement * math.exp(rnd.gauss(0, 0.35)))
            # Advocacy: shares fall during the incident, rise on liked campaigns.
            share_f = (1 - 0.6 * sev) * (
                1.25 if p.campaign and p.campaign != "Summer Sale 2026" else 1.0
            )
            shares = int(likes * spec.share_ratio * share_f * math.exp(rnd.gauss(0, 0.4)))
            saves = (
                int(likes * 0.08 * rnd.uniform(0.5, 1.5))
                if channel in {"instagram", "tiktok"}
                else None
            )
            clicks = (
                int(p.impressions * 0.008 * rnd.uniform(0.5, 1.5))
                if channel in {"facebook", "x", "linkedin"}
                else None
            )
            url = f"https://social.example/{channel}/maisonlumen/{p.post_id}"
            w.writerow(
                [
                    channel,
                    p.post_id,
                    _iso(p.ts),
                    p.text,
                    url,
                    p.post_type,
                    p.campaign,
                    p.impressions,
                    reach,
                    _fmt(views),
                    likes,
                    p.n_comments,
                    shares,
                    _fmt(saves),
                    _fmt(clicks),
                ]
            )
    written.append(path)
    return written


def write_demo_exports(out_dir: Path, seed: int = 20261126) -> list[Path]:
    """Write the demo export files into ``out_dir`` and return their paths.

    Same seed, same bytes.  Each channel draws from its own generator
    (derived from ``seed`` and the channel name) so tuning one channel does
    not reshuffle the others.
    """
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    written: list[Path] = []
    for channel, spec in CHANNELS.items():
        rnd = random.Random(f"{seed}:{channel}")
        posts = _make_posts(rnd, channel, spec) if spec.posts_per_month[1] else []
        rows = _audience_rows(rnd, channel, spec, posts)
        rows += _brand_replies(rnd, channel, spec, rows)
        written += _write_channel(out_dir, rnd, channel, spec, posts, rows)
    return written


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Write the trustdash demo export files.")
    parser.add_argument("out_dir", type=Path)
    parser.add_argument("--seed", type=int, default=20261126)
    args = parser.parse_args(argv)
    for path in write_demo_exports(args.out_dir, args.seed):
        print(path)


if __name__ == "__main__":
    main()
