"""Lesson 04: the course's task datasets, generated deterministically from a seed.

A made-up shop, *Nimbus*, sells twenty home gadgets. Three fine-tuning tasks come from it:

- ``triage``    a customer message in, a JSON object out (category, product, urgency,
                order_id, sentiment), checked by ``data/schemas/triage.schema.json``;
- ``moderation`` a forum post in, ``label: <one of four>`` and ``reason: <short>`` out;
- ``policy_qa`` a question about prices and policies in, one sentence out that states a
                fact from the shop's fact table (``facts_v1`` / ``facts_v2``).

plus ``general`` chat examples (arithmetic, capitals, definitions, rewriting...) to mix in.

Two knobs produce the evaluation sets of later lessons:

- ``facts_version=2`` answers ``policy_qa`` from the second fact table (prices and policies
  changed): lesson 06 shows what a fine-tuned model does when facts change.
- ``shifted=True`` draws from new products and new wording (informal, new problems):
  lesson 06 measures drift on it.

`make_raw` adds defects at recorded rates (duplicates, near duplicates, malformed answers,
empty and overlong rows, PII, conflicting labels, off-task rows) and returns the ground truth,
so that `course_utils.dataset.curation` can be scored against it.

Rebuild the committed files bit for bit with ``python -m course_utils.dataset.datagen --out data/tasks``.

What this leaves out, on purpose: real customers' language is messier (spelling, other
languages, very long threads); the templates here are varied enough for a held-out split to
measure generalisation on a 4 M-parameter model, not to train a production system.
"""

from __future__ import annotations

import json
import random
from dataclasses import dataclass

from course_utils.tasks import (ALL_TASKS, GENERAL, MODERATION_LABELS, SYSTEM_PROMPTS, TASKS,
                                TRIAGE_CATEGORIES, TRIAGE_FIELDS, TRIAGE_SENTIMENTS,
                                TRIAGE_URGENCIES)

# Clean rows are kept pairwise below this Jaccard similarity of their user messages (5-char
# shingles, see `curation.shingles`), so that the curation's near-duplicate threshold (0.8)
# separates injected near duplicates (>= 0.85) from distinct rows with a margin.
DISTINCT_BELOW = 0.7
NEAR_COPY_AT_LEAST = 0.85

DEFAULT_COUNTS = {"triage": 1000, "moderation": 800, "policy_qa": 600}

# Defect rates, as a fraction of the clean rows. `conflicting_label` adds one contradicting
# copy per picked row (both rows are then wrong to keep); the others add or change one row.
DEFAULT_RATES = {
    "exact_duplicate": 0.05,
    "near_duplicate": 0.05,
    "malformed": 0.04,
    "empty": 0.02,
    "too_long": 0.02,
    "conflicting_label": 0.03,
    "off_task": 0.03,
    "pii": 0.05,
}
DROP_REASONS = ("empty", "malformed", "off_task", "too_long", "exact_duplicate",
                "conflicting_label", "near_duplicate")

# --------------------------------------------------------------------------------------------
# Vocabulary. Products: name, kind, price v1, price v2, warranty months v1, warranty v2.
PRODUCTS = [
    ("Aero Kettle", "kettle", 49, 54, 12, 12),
    ("Brew Grinder", "coffee grinder", 89, 89, 24, 24),
    ("Crisp Air Fryer", "air fryer", 129, 119, 24, 24),
    ("Frost Blender", "blender", 75, 79, 12, 24),
    ("Pulse Earbuds", "earbuds", 59, 59, 12, 12),
    ("Echo Speaker", "speaker", 99, 89, 24, 24),
    ("Halo Headphones", "headphones", 149, 159, 24, 24),
    ("Luma Desk Lamp", "desk lamp", 39, 39, 12, 12),
    ("Cozy Thermostat", "thermostat", 119, 129, 24, 36),
    ("Breeze Fan", "fan", 45, 49, 12, 12),
    ("Glow Bulb", "smart bulb", 15, 12, 12, 12),
    ("Sweep Robot Vacuum", "robot vacuum", 249, 229, 24, 24),
    ("Stride Band", "fitness band", 69, 69, 12, 12),
    ("Tempo Watch", "smartwatch", 199, 219, 24, 24),
    ("Volt Power Bank", "power bank", 35, 35, 12, 18),
    ("Snap Phone Case", "phone case", 19, 19, 6, 6),
    ("Lens Webcam", "webcam", 79, 69, 12, 12),
    ("Tap Keyboard", "keyboard", 109, 109, 24, 24),
    ("Glide Mouse", "mouse", 29, 32, 12, 12),
    ("Dock Hub", "USB hub", 55, 55, 12, 12),
]
# New products that only the shifted (drift) variant mentions.
SHIFTED_PRODUCTS = [
    ("Orbit Air Purifier", "air purifier", 179, 179, 24, 24),
    ("Nova Projector", "projector", 299, 279, 24, 24),
    ("Drift Scooter", "e-scooter", 449, 469, 12, 12),
    ("Ember Mug", "heated mug", 65, 65, 12, 12),
    ("Atlas Backpack", "backpack", 85, 85, 24, 24),
    ("Zephyr Hair Dryer", "hair dryer", 95, 99, 12, 24),
    ("Quartz Scale", "smart scale", 45, 45, 12, 12),
    ("Ripple Bottle", "water bottle", 25, 25, 6, 6),
]
POLICIES = {
    1: {"return_days": 30, "shipping_fee": 5, "free_shipping_over": 50, "express_fee": 15,
        "refund_days": 5, "support_hours": "9am to 6pm on weekdays"},
    2: {"return_days": 45, "shipping_fee": 7, "free_shipping_over": 75, "express_fee": 12,
        "refund_days": 3, "support_hours": "8am to 8pm every day"},
}

NAMES = ["Ana", "Ben", "Chen", "Dara", "Eli", "Fatima", "Gus", "Hana", "Ivan", "Jo", "Kofi",
         "Lena", "Mo", "Nia", "Omar", "Pia", "Ravi", "Sara", "Tom", "Uma", "Yusuf", "Zoe",
         "Marta", "Luis", "Aiko", "Noor", "Priya", "Sven", "Tariq", "Wen"]
DAYS = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"]
WHEN = ["last week", "two weeks ago", "yesterday", "on {day}", "a month ago", "three days ago",
        "last {day}", "ten days ago"]
RELATIONS = ["mum", "dad", "sister", "brother", "partner", "friend", "grandma", "son",
             "daughter", "boss"]

TRIAGE_PROBLEMS = {
    "shipping": [
        ("{Order} still hasn't arrived after {n} days.", False),
        ("My {p} was due on {day} but the tracking hasn't moved.", True),
        ("Tracking for {order} says delivered, but there is no {p} here.", True),
        ("The courier left my {p} at the wrong address ({order}).", True),
        ("When will {order} ship? It's the {p}.", True),
        ("The box with my {p} arrived crushed.", True),
        ("{Order} has said 'label created' for a week now.", False),
        ("I need to change the delivery address for {order}.", False),
        ("Only half of {order} arrived, the {p} is missing.", True),
        ("The {p} was sent to my old address, can you redirect it?", True),
    ],
    "returns": [
        ("I'd like to return the {p}, it's not what I expected.", True),
        ("How do I send back the {p} from {order}?", True),
        ("The {p} is the wrong colour, can I exchange it?", True),
        ("I want a refund for the {p}, I changed my mind.", True),
        ("Please send me a return label for {order}.", False),
        ("The {p} is too big for my desk, can I swap it for something smaller?", True),
        ("I returned the {p} two weeks ago and heard nothing since.", True),
        ("Can I return the {p} without the original box?", True),
        ("I'd like to exchange my {p} for a different model.", True),
    ],
    "billing": [
        ("I was charged twice for {order}.", False),
        ("My card was charged ${amt} but the {p} was cheaper.", True),
        ("I never received an invoice for {order}.", False),
        ("The discount code didn't apply to my {p}.", True),
        ("There's a charge of ${amt} from you that I don't recognise.", False),
        ("Can I get a VAT invoice for the {p}?", True),
        ("I paid for express delivery on {order} but got standard.", False),
        ("My payment for the {p} failed but the money left my account.", True),
        ("The price of the {p} dropped the day after I bought it, can I get the difference?", True),
    ],
    "technical": [
        ("My {p} won't turn on anymore.", True),
        ("The {p} keeps disconnecting from the app.", True),
        ("The {p} stopped charging after the last update.", True),
        ("My {p} makes a loud buzzing noise.", True),
        ("I can't pair the {p} with my phone.", True),
        ("The app says my {p} is offline even though it's plugged in.", True),
        ("The {p} gets really hot after a few minutes.", True),
        ("A firmware update failed and now the {p} just blinks.", True),
        ("The buttons on my {p} stopped responding.", True),
        ("The {p} resets itself every few hours.", True),
    ],
    "account": [
        ("I can't log in, the reset email never arrives.", False),
        ("Please change the email address on my account.", False),
        ("My account got locked after too many attempts.", False),
        ("How do I delete my account and my data?", False),
        ("I can't see {order} in my order history.", False),
        ("Someone changed my password without me knowing.", False),
        ("I want to stop the newsletter but keep my account.", False),
        ("Can I merge my two accounts into one?", False),
        ("The app logs me out every time I open it.", False),
    ],
}
SHIFTED_TRIAGE_PROBLEMS = {
    "shipping": [("parcel went to my neighbour's place, {order}", False),
                 ("where is my {p}?? {order} says out for delivery since forever", True),
                 ("courier says they tried to deliver the {p} but nobody knocked", True)],
    "returns": [("{p} doesn't fit my needs, want my money back", True),
                ("can i get store credit instead of a refund for the {p}?", True),
                ("my {p} came used, want to send it back", True)],
    "billing": [("got charged in euros instead of dollars for {order}", False),
                ("my gift card balance vanished after paying for the {p}", True),
                ("charged a restocking fee for {order}?? never heard of that", False)],
    "technical": [("{p} is bricked after the update", True),
                  ("{p} battery drains in like an hour", True),
                  ("screen on the {p} flickers nonstop", True)],
    "account": [("2FA code never comes through", False),
                ("my account shows someone else's address", False),
                ("can't change my phone number in the app", False)],
}
GREETINGS = ["", "Hi!", "Hello.", "Hi there!", "Good morning.", "Dear support,", "Hello team,",
             "Hey.", "Good evening.", "Hi Nimbus,"]
SHIFTED_GREETINGS = ["yo", "hey folks", "hiya", "sup", "ok so"]
DETAILS = ["I bought it {when}.", "It was a gift for my {rel}.", "I have the receipt.",
           "I ordered it {when}.", "This is my first order with you.", "I've been a customer for years.",
           "I checked the FAQ first.", "", "", "", "", "", "", "", "", "", ""]
URGENCY_CUES = {
    "high": ["I need this fixed today.", "This is urgent!", "Please help ASAP.",
             "I need it before {day}, please hurry.", "Third time writing, please escalate."],
    "medium": ["", "Please look into it.", "Could you check this week?", "Let me know what you find.",
               "Please get back to me."],
    "low": ["No rush at all.", "Whenever you have time.", "Not urgent, just curious.",
            "Take your time.", "It can wait."],
}
SHIFTED_URGENCY_CUES = {
    "high": ["need this sorted by tonight", "super urgent!!", "this is blocking my work rn"],
    "medium": ["", "lmk", "pls check"],
    "low": ["no biggie", "whenever", "no stress"],
}
SENTIMENT_CUES = {
    "negative": ["I'm really annoyed.", "This is unacceptable.", "Very disappointed, honestly.",
                 "I'm fed up with this.", "Not happy at all."],
    "neutral": ["", "", "Regards.", "Kind regards."],
    "positive": ["I love your products otherwise!", "Thanks so much, you're great!",
                 "Happy customer so far :)", "Really appreciate your help!"],
}
SHIFTED_SENTIMENT_CUES = {
    "negative": ["so done with this", "worst experience ever tbh"],
    "neutral": ["", "thx"],
    "positive": ["big fan of you guys", "you rock, seriously"],
}
SIGNOFFS = ["", "", "", "", "", "{name}", "- {name}", "Regards, {name}"]

# Moderation: (label, subtype, reason, templates). The reason is fixed per subtype, so a
# model can learn it; the post text varies.
MODERATION_KINDS = [
    ("ok", "question", "a genuine product question", [
        "Has anyone used the {p} with {thing}?", "Does the {p} work with {thing}?",
        "Is the {p} worth it for a small flat?", "Which is quieter, the {p} or the {p2}?",
        "How long does the {p} battery last for you?", "Can the {p} be cleaned in a dishwasher?"]),
    ("ok", "review", "an honest product review", [
        "Loving my new {p}, the {feature} is great.", "Had my {p} for {n} months, still works perfectly.",
        "The {p} is fine but the {feature} could be better.", "Swapped my old {kind} for the {p}, big upgrade.",
        "Three stars for the {p}: good {feature}, short cable."]),
    ("ok", "tip", "a helpful tip", [
        "Tip: clean your {p} every month and it lasts longer.",
        "If your {p} won't pair, hold the button for ten seconds.",
        "PSA: the {p} works much better after the latest update.",
        "For anyone who owns the {p}: turn off auto-sleep in the app settings."]),
    ("spam", "advert", "advertises an unrelated offer", [
        "Make ${n}00 a day from home!!! Visit {url}", "Cheap {goods} at {url}, use code {code}",
        "Follow {handle} for free {goods} giveaways", "BEST {goods} DEALS >>> {url}",
        "Earn crypto while you sleep, join at {url}", "{goods} 80% off today only at {url}"]),
    ("harassment", "insult", "insults another member", [
        "@{user} you are {insult}, nobody asked.", "{user}, stop posting, you're {insult}.",
        "Only {insult} people buy the {p}, right @{user}?", "@{user} go away, {insult}.",
        "Nobody cares what you think @{user}, you're {insult}."]),
    ("scam", "credentials", "asks for card details or passwords", [
        "Support here: DM me your card number to get your refund.",
        "I can unlock your account, just send me your password.",
        "Your {p} order is on hold, confirm your bank details at {url}",
        "Nimbus staff: reply with your login and the code we texted you."]),
    ("scam", "payment", "asks for payment outside the shop", [
        "Selling the {p} at half price, pay with gift cards only, message me.",
        "Brand new {p} for ${n}0, bank transfer only, DM me.",
        "Skip the shop: I ship the {p} cheaper, pay me directly via {url}"]),
]
SHIFTED_MODERATION = {
    "question": ["ngl is the {p} any good for {thing}?", "anyone got the {p} to talk to {thing}?"],
    "review": ["{p} slaps, {feature} is chef's kiss", "{p} is mid tbh, {feature} is meh"],
    "tip": ["pro tip: {p} factory reset fixes most stuff"],
    "advert": ["free {goods} no cap, link in bio {handle}", "dm {handle} for {goods} at wholesale"],
    "insult": ["lmao @{user} imagine being this {insult}", "@{user} ratio, you're {insult}"],
    "credentials": ["send me your wallet seed phrase and i'll fix your {p} refund"],
    "payment": ["{p} for cheap, crypto only, hmu"],
}
THINGS = ["my phone", "an old laptop", "Alexa", "a Mac", "two rooms", "kids around", "a tablet",
          "the car charger", "a standing desk", "Android 14"]
FEATURES = ["battery", "sound", "design", "app", "speed", "build quality", "price", "noise level"]
GOODS = ["followers", "sneakers", "watches", "perfume", "VPN accounts", "game coins", "phones"]
URLS = ["cheap-deals.biz", "best-offer.top", "win-now.click", "freegift.shop", "bit.ly/x9k2",
        "promo-zone.net", "nimbus-refunds.info", "get-rich.xyz"]
HANDLES = ["@dealz4u", "@promo_king", "@freebies247", "@luxe_outlet", "@giveaway_hub"]
USERS = ["kettle_fan", "mika88", "tech_dad", "sam_r", "nora.k", "lamp_guy", "jules_b", "ravi2000",
         "old_timer", "bea_m"]
INSULTS = ["clueless", "a total joke", "pathetic", "an idiot", "useless", "a clown", "embarrassing"]
POST_TAILS = ["", "", " Thanks!", " Any ideas?", " :)", " Cheers.", " Just saying."]

# policy_qa question phrasings by fact kind; answers are one fixed sentence per kind.
QA_PRICE = ["How much is the {p}?", "What does the {p} cost?", "Price of the {p} please?",
            "How much would a {p} set me back?", "Can you tell me the price of the {p}?",
            "I'm thinking of buying the {p}, what does it cost?"]
QA_WARRANTY = ["How long is the warranty on the {p}?", "Does the {p} come with a warranty?",
               "What warranty do I get with the {p}?", "If my {p} breaks, how long am I covered?"]
QA_SHIP_PRODUCT = ["If I only buy the {p}, do I pay for shipping?",
                   "Is shipping free if I order just the {p}?",
                   "Would a single {p} qualify for free delivery?"]
QA_POLICY = {
    "return_days": ["How many days do I have to return an item?", "What is your return window?",
                    "How long can I wait before sending something back?"],
    "shipping": ["How much is shipping?", "What does standard delivery cost?",
                 "Do you charge for shipping?"],
    "express": ["Do you offer express shipping?", "How much is express delivery?"],
    "refund_days": ["How long does a refund take?", "When will I get my money back after a return?"],
    "support_hours": ["When is customer support open?", "What are your support hours?",
                      "Can I call support on a Sunday?"],
}
QA_PREFIXES = ["", "", "Hi! ", "Quick question: ", "Hello, ", "Before I order: ",
               "Sorry if this was asked before. ", "One more thing: "]
SHIFTED_QA_PREFIXES = ["yo ", "hey quick one, ", "ok so "]

# General chat: tables for the generator.
CAPITALS = {"France": "Paris", "Spain": "Madrid", "Italy": "Rome", "Germany": "Berlin",
            "Japan": "Tokyo", "Egypt": "Cairo", "Kenya": "Nairobi", "Peru": "Lima",
            "Canada": "Ottawa", "Norway": "Oslo", "Greece": "Athens", "Ireland": "Dublin",
            "Poland": "Warsaw", "Chile": "Santiago", "India": "New Delhi", "Portugal": "Lisbon",
            "Austria": "Vienna", "Sweden": "Stockholm", "Finland": "Helsinki", "Cuba": "Havana",
            "Ghana": "Accra", "Nepal": "Kathmandu", "Thailand": "Bangkok", "Mexico": "Mexico City"}
OPPOSITES = {"hot": "cold", "big": "small", "fast": "slow", "up": "down", "happy": "sad",
             "old": "new", "light": "dark", "open": "closed", "early": "late", "full": "empty",
             "hard": "soft", "wet": "dry", "near": "far", "loud": "quiet", "high": "low",
             "strong": "weak", "cheap": "expensive", "clean": "dirty", "heavy": "light"}
DEFINITIONS = {"meadow": "a field of grass and wild flowers", "island": "land with water all around it",
               "lighthouse": "a tower with a light that guides ships", "recipe": "instructions for cooking a dish",
               "umbrella": "a cover that keeps the rain off", "library": "a place where you can borrow books",
               "bridge": "a structure that crosses a river or a road", "planet": "a large body that orbits a star",
               "habit": "something you do regularly without thinking", "harbour": "a sheltered place for boats",
               "calendar": "a chart of the days of a year", "compass": "a tool that shows north",
               "orchard": "a field of fruit trees", "glacier": "a slow river of ice",
               "budget": "a plan for how to spend money", "volcano": "a mountain that can erupt"}
LISTS = {"fruits": ["apple", "banana", "cherry", "mango", "pear", "plum", "grape", "kiwi"],
         "colours": ["red", "blue", "green", "yellow", "purple", "orange", "pink", "brown"],
         "animals": ["cat", "dog", "horse", "owl", "fox", "whale", "tiger", "rabbit"],
         "planets": ["Mercury", "Venus", "Earth", "Mars", "Jupiter", "Saturn", "Uranus", "Neptune"],
         "vegetables": ["carrot", "pea", "leek", "onion", "potato", "spinach", "bean", "kale"],
         "sports": ["tennis", "football", "rugby", "golf", "cricket", "hockey", "cycling", "rowing"]}
POLITE = {"Give me the report.": "Could you please send me the report?",
          "Fix this now.": "Could you take a look at this when you can?",
          "Your answer is wrong.": "I think there may be a mistake in the answer.",
          "Stop calling me.": "Please don't call me again, thank you.",
          "Send the money.": "Could you please send the payment?",
          "Move your car.": "Would you mind moving your car, please?",
          "Be quiet.": "Could you keep the noise down, please?",
          "Answer my email.": "When you have a moment, could you reply to my email?",
          "Come here.": "Could you come over here, please?",
          "Hurry up.": "Could we speed things up a little, please?",
          "Don't touch that.": "Please leave that where it is, thank you.",
          "I need it today.": "Would it be possible to have it today?",
          "That's a bad idea.": "I'm not sure that idea will work; could we consider another?",
          "Call me back.": "Could you call me back when you're free?",
          "Turn it off.": "Would you mind turning it off, please?",
          "Tell me the price.": "Could you tell me the price, please?"}
SMALL_TALK = [("Hi, how are you?", "I'm doing well, thanks for asking! How can I help?"),
              ("Good morning!", "Good morning! What can I do for you today?"),
              ("Thanks for your help.", "You're welcome! Happy to help."),
              ("Can you help me with something?", "Of course. What do you need?"),
              ("Tell me a fun fact.", "Octopuses have three hearts."),
              ("What's a good name for a cat?", "How about Miso? It's short and friendly."),
              ("I'm bored.", "You could go for a short walk or read a chapter of a book."),
              ("Goodbye!", "Goodbye, have a great day!"),
              ("What should I cook tonight?", "A simple pasta with tomatoes and garlic is quick and tasty."),
              ("Any tips for sleeping better?", "Keep a regular bedtime and avoid screens for an hour before."),
              ("How do I stay focused?", "Work in short blocks with small breaks in between."),
              ("Recommend a hobby.", "Try sketching: all you need is a pencil and paper."),
              ("What's a healthy snack?", "An apple with a handful of nuts is a good choice."),
              ("Tell me a joke.", "Why did the bicycle fall over? It was two tired."),
              ("How can I save money?", "Write down what you spend for a month and cut one habit."),
              ("Is it going to rain?", "I can't see the weather, but a forecast app will tell you."),
              ("What's your favourite colour?", "I don't have one, but many people like blue."),
              ("How do I make tea?", "Boil water, pour it over the tea and wait three minutes."),
              ("I can't decide what to read.", "Pick a short novel in a genre you already enjoy."),
              ("Give me a word of encouragement.", "You have done hard things before; you can do this too.")]
UPPER_PHRASES = ["good morning", "see you soon", "happy birthday", "thank you", "well done",
                 "on my way", "back in five", "good luck", "welcome home", "call me later",
                 "meeting moved", "lunch is ready", "drive safely", "see you tomorrow",
                 "nice to meet you", "all done", "almost there", "sweet dreams", "get well soon",
                 "have fun", "last call", "doors open at nine", "sale ends today", "keep going"]
PLURALS = {"child": "children", "mouse": "mice", "box": "boxes", "city": "cities", "knife": "knives",
           "tooth": "teeth", "man": "men", "leaf": "leaves", "bus": "buses", "baby": "babies",
           "foot": "feet", "goose": "geese", "wolf": "wolves", "potato": "potatoes", "day": "days",
           "fish": "fish", "sheep": "sheep", "woman": "women", "church": "churches", "key": "keys"}
SYNONYMS = {"big": "large", "small": "little", "quick": "fast", "happy": "glad", "begin": "start",
            "end": "finish", "smart": "clever", "angry": "cross", "hard": "difficult",
            "easy": "simple", "tired": "sleepy", "rich": "wealthy", "help": "assist",
            "buy": "purchase", "shut": "close", "gift": "present", "choose": "pick"}
MONTHS = ["January", "February", "March", "April", "May", "June", "July", "August",
          "September", "October", "November", "December"]
UNITS = [("minutes", "hours", 60), ("seconds", "minutes", 60), ("hours", "days", 24),
         ("days", "weeks", 7), ("months", "years", 12), ("centimetres", "metres", 100),
         ("grams", "kilograms", 1000), ("millilitres", "litres", 1000)]


# --------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Product:
    """Lesson 04. One product of the shop under one fact table (price in dollars)."""

    name: str
    kind: str
    price: int
    warranty_months: int


def catalog(*, facts_version: int = 1, shifted: bool = False) -> list[Product]:
    """Lesson 04. The shop's products under one fact table (1 or 2); `shifted` adds new ones."""
    _check_version(facts_version)
    rows = PRODUCTS + (SHIFTED_PRODUCTS if shifted else [])
    return [Product(n, k, (p1, p2)[facts_version - 1], (w1, w2)[facts_version - 1])
            for n, k, p1, p2, w1, w2 in rows]


def facts(facts_version: int = 1, *, shifted: bool = False) -> list[dict]:
    """Lesson 04 (written to data/tasks/facts_v*.json); lesson 06 retrieves from it.

    One record per fact: ``id``, ``text`` (a sentence usable as a retrieval document) and
    ``value`` (the string a correct answer must contain).
    """
    pol = POLICIES[_check_version(facts_version)]
    out = []
    for prod in catalog(facts_version=facts_version, shifted=shifted):
        slug = prod.name.lower().replace(" ", "-")
        out.append({"id": f"price/{slug}", "text": f"The {prod.name} costs ${prod.price}.",
                    "value": f"${prod.price}"})
        out.append({"id": f"warranty/{slug}",
                    "text": f"The {prod.name} has a {prod.warranty_months}-month warranty.",
                    "value": f"{prod.warranty_months}-month"})
    out += [
        {"id": "policy/return_days", "value": f"{pol['return_days']} days",
         "text": f"You can return items within {pol['return_days']} days of delivery."},
        {"id": "policy/shipping", "value": f"${pol['shipping_fee']}",
         "text": f"Standard shipping costs ${pol['shipping_fee']} and is free on orders over "
                 f"${pol['free_shipping_over']}."},
        {"id": "policy/free_shipping_over", "value": f"${pol['free_shipping_over']}",
         "text": f"Orders over ${pol['free_shipping_over']} ship free."},
        {"id": "policy/express", "value": f"${pol['express_fee']}",
         "text": f"Express shipping costs ${pol['express_fee']}."},
        {"id": "policy/refund_days", "value": f"{pol['refund_days']} business days",
         "text": f"Refunds are processed within {pol['refund_days']} business days."},
        {"id": "policy/support_hours", "value": pol["support_hours"],
         "text": f"Customer support is open {pol['support_hours']}."},
    ]
    return out


def _check_version(v) -> int:
    if v not in POLICIES:
        raise ValueError(f"facts_version={v!r}: must be one of {sorted(POLICIES)} "
                         "(1 = the table the training data uses, 2 = prices/policies changed)")
    return v


def _cap(s: str) -> str:
    return s[:1].upper() + s[1:] if s else s


def _join(*parts: str) -> str:
    return " ".join(p for p in parts if p)


def _order_id(rng: random.Random) -> str:
    return f"ORD-{rng.randint(10000, 99999)}"


# --------------------------------------------------------------------------------------------
# One example per task. Each returns (user text, assistant text, meta).
def _triage(rng: random.Random, *, shifted: bool) -> tuple[str, str, dict]:
    products = catalog(shifted=shifted)
    if shifted:  # mostly the new products
        products = products[len(PRODUCTS):] if rng.random() < 0.7 else products[:len(PRODUCTS)]
    category = rng.choice(TRIAGE_CATEGORIES)
    problems = TRIAGE_PROBLEMS[category]
    if shifted:
        problems = SHIFTED_TRIAGE_PROBLEMS[category] + (problems if rng.random() < 0.3 else [])
    template, has_product = rng.choice(problems)
    urgency = rng.choice(TRIAGE_URGENCIES)
    sentiment = rng.choice(TRIAGE_SENTIMENTS)
    prod = rng.choice(products).name if has_product else None
    needs_order = "{order}" in template.lower()
    order = _order_id(rng) if (needs_order and rng.random() < 0.85) else None
    order_phrase = (rng.choice(["my order {o}", "order {o}", "order #{o}", "my order ({o})"])
                    .format(o=order) if order else rng.choice(["my order", "my last order"]))
    day = rng.choice(DAYS)
    fill = dict(p=prod, order=order_phrase, Order=_cap(order_phrase), n=rng.randint(4, 21),
                day=day, amt=rng.choice([19, 35, 49, 64, 89, 120, 149, 210]))
    problem = template.format(**fill)
    if not needs_order and category != "account" and rng.random() < 0.45:
        order = _order_id(rng)
        problem += " " + rng.choice(["Order {o}.", "My order number is {o}.", "(order {o})",
                                     "Ref: {o}."]).format(o=order)
    cues_u = (SHIFTED_URGENCY_CUES if shifted else URGENCY_CUES)[urgency]
    cues_s = (SHIFTED_SENTIMENT_CUES if shifted else SENTIMENT_CUES)[sentiment]
    detail = "" if shifted else rng.choice(DETAILS).format(
        when=rng.choice(WHEN).format(day=rng.choice(DAYS)), rel=rng.choice(RELATIONS))
    urgency_cue = rng.choice(cues_u).format(day=day)
    sentiment_cue = rng.choice(cues_s)
    name = rng.choice(NAMES)
    greeting = rng.choice(SHIFTED_GREETINGS if shifted else GREETINGS)
    signoff = "" if shifted else rng.choice(SIGNOFFS).format(name=name)
    middle = [detail, urgency_cue, sentiment_cue]
    rng.shuffle(middle)
    user = _join(greeting, _cap(problem) if not shifted else problem, *middle, signoff)
    answer = triage_answer(category=category, product=prod, urgency=urgency,
                           order_id=order, sentiment=sentiment)
    return user, answer, {"category": category, "template": template}


def triage_answer(*, category, product, urgency, order_id, sentiment) -> str:
    """Lesson 04. The triage answer exactly as the data writes it (compact JSON, fixed key order)."""
    obj = {"category": category, "product": product, "urgency": urgency,
           "order_id": order_id, "sentiment": sentiment}
    return json.dumps(obj, separators=(",", ":"))


def moderation_answer(label: str, reason: str) -> str:
    """Lesson 04. The moderation answer exactly as the data writes it."""
    return f"label: {label}\nreason: {reason}"


def _moderation(rng: random.Random, *, shifted: bool) -> tuple[str, str, dict]:
    products = catalog(shifted=shifted)
    label, subtype, reason, templates = rng.choice(MODERATION_KINDS)
    if shifted and rng.random() < 0.7:
        templates = SHIFTED_MODERATION[subtype]
    p, p2 = rng.sample(products, 2)
    text = rng.choice(templates).format(
        p=p.name, p2=p2.name, kind=p.kind, thing=rng.choice(THINGS), feature=rng.choice(FEATURES),
        n=rng.randint(2, 9), url=rng.choice(URLS), goods=rng.choice(GOODS),
        code=rng.choice(["SAVE50", "FREE100", "VIP2024", "WIN"]) + str(rng.randint(1, 99)),
        handle=rng.choice(HANDLES), user=rng.choice(USERS), insult=rng.choice(INSULTS))
    text += rng.choice(POST_TAILS) if not shifted else ""
    return text, moderation_answer(label, reason), {"label": label, "subtype": subtype}


def _policy_qa(rng: random.Random, *, facts_version: int, shifted: bool) -> tuple[str, str, dict]:
    pol = POLICIES[facts_version]
    products = catalog(facts_version=facts_version, shifted=shifted)
    if shifted:
        products = products[len(PRODUCTS):]
    prod = rng.choice(products)
    kind = rng.choices(["price", "warranty", "ship_product", "policy", "free_over"],
                       weights=[30, 20, 15, 25, 10])[0]
    slug = prod.name.lower().replace(" ", "-")
    thr, fee = pol["free_shipping_over"], pol["shipping_fee"]
    if kind == "price":
        q = rng.choice(QA_PRICE).format(p=prod.name)
        a, fact_ids, value = f"The {prod.name} costs ${prod.price}.", [f"price/{slug}"], f"${prod.price}"
    elif kind == "warranty":
        q = rng.choice(QA_WARRANTY).format(p=prod.name)
        a = f"The {prod.name} has a {prod.warranty_months}-month warranty."
        fact_ids, value = [f"warranty/{slug}"], f"{prod.warranty_months}-month"
    elif kind == "ship_product":
        q = rng.choice(QA_SHIP_PRODUCT).format(p=prod.name)
        if prod.price > thr:
            a = f"The {prod.name} costs ${prod.price}, so it ships free (orders over ${thr})."
            value = "ships free"
        else:
            a = f"The {prod.name} costs ${prod.price}, so shipping is ${fee} (free over ${thr})."
            value = f"${fee}"
        fact_ids = [f"price/{slug}", "policy/free_shipping_over", "policy/shipping"]
    elif kind == "free_over":
        amount = rng.choice([20, 30, 40, 45, 60, 65, 70, 80, 90, 100, 120, 150])
        q = rng.choice([f"Is shipping free on a ${amount} order?",
                        f"My basket is ${amount}, do I get free shipping?",
                        f"Will a ${amount} order ship for free?"])
        if amount > thr:
            a, value = f"Yes, orders over ${thr} ship free.", "Yes"
        else:
            a, value = f"No, shipping is free only on orders over ${thr}; otherwise it is ${fee}.", "No"
        fact_ids = ["policy/free_shipping_over", "policy/shipping"]
    else:
        topic = rng.choice(sorted(QA_POLICY))
        q = rng.choice(QA_POLICY[topic])
        a, value = {
            "return_days": (f"You can return items within {pol['return_days']} days of delivery.",
                            f"{pol['return_days']} days"),
            "shipping": (f"Standard shipping costs ${fee} and is free on orders over ${thr}.", f"${fee}"),
            "express": (f"Express shipping costs ${pol['express_fee']}.", f"${pol['express_fee']}"),
            "refund_days": (f"Refunds are processed within {pol['refund_days']} business days.",
                            f"{pol['refund_days']} business days"),
            "support_hours": (f"Customer support is open {pol['support_hours']}.", pol["support_hours"]),
        }[topic]
        fact_ids = [f"policy/{topic}"]
    prefix = rng.choice(SHIFTED_QA_PREFIXES if shifted else QA_PREFIXES)
    q = prefix + (q[0].lower() + q[1:] if prefix.endswith((": ", ", ", "yo ", "so ")) else q)
    return q, a, {"fact_ids": fact_ids, "value": value, "facts_version": facts_version}


def _general(rng: random.Random) -> list[dict]:
    """One general chat conversation: mostly one turn, sometimes two."""
    kind = rng.randrange(17)
    if kind == 0:
        a, b = rng.randint(2, 60), rng.randint(2, 60)
        op = rng.choice(["plus", "minus", "times"])
        c = {"plus": a + b, "minus": a - b, "times": a * b}[op]
        q, ans = rng.choice([f"What is {a} {op} {b}?", f"Compute {a} {op} {b}.",
                             f"Quick maths: {a} {op} {b}?"]), f"{a} {op} {b} is {c}."
    elif kind == 1:
        country = rng.choice(sorted(CAPITALS))
        q = rng.choice([f"What is the capital of {country}?", f"Which city is the capital of {country}?",
                        f"Name the capital of {country}."])
        ans = f"The capital of {country} is {CAPITALS[country]}."
        if rng.random() < 0.3:  # a follow-up turn
            other = rng.choice(sorted(set(CAPITALS) - {country}))
            return [{"role": "user", "content": q}, {"role": "assistant", "content": ans},
                    {"role": "user", "content": f"And {other}?"},
                    {"role": "assistant", "content": f"The capital of {other} is {CAPITALS[other]}."}]
    elif kind == 2:
        w = rng.choice(sorted(OPPOSITES))
        q = rng.choice([f"What is the opposite of {w}?", f"Give me the opposite of '{w}'.",
                        f"Opposite of {w}?"])
        ans = f"The opposite of {w} is {OPPOSITES[w]}."
    elif kind == 3:
        w = rng.choice(sorted(DEFINITIONS))
        q = rng.choice([f"What is a {w}?", f"Define {w}.", f"What does '{w}' mean?"])
        ans = f"A {w} is {DEFINITIONS[w]}."
    elif kind == 4:
        cat = rng.choice(sorted(LISTS))
        k = rng.choice([2, 3, 4])
        items = rng.sample(LISTS[cat], k)
        q = rng.choice([f"Name {k} {cat}.", f"List {k} {cat}, please.", f"Give me {k} {cat}."])
        ans = ", ".join(items[:-1]) + f" and {items[-1]}."
        ans = _cap(ans)
    elif kind == 5:
        rude = rng.choice(sorted(POLITE))
        q = rng.choice([f"Make this polite: {rude}", f"Rewrite politely: {rude}",
                        f"Say this more nicely: {rude}"])
        ans = POLITE[rude]
    elif kind == 6:
        q, ans = rng.choice(SMALL_TALK)
    elif kind == 7:
        small, big, factor = rng.choice(UNITS)
        n = rng.randint(2, 12)
        q = rng.choice([f"How many {small} are in {n} {big}?", f"Convert {n} {big} to {small}."])
        ans = f"{n} {big} is {n * factor} {small}."
    elif kind == 8:
        nums = rng.sample(range(1, 99), rng.randint(3, 6))
        q = rng.choice(["Sort these numbers: ", "Put in order, smallest first: "]) + ", ".join(map(str, nums))
        ans = ", ".join(map(str, sorted(nums)))
    elif kind == 9:
        n = rng.randint(1, 999)
        q = rng.choice([f"Is {n} even or odd?", f"Is {n} an even number?"])
        ans = f"{n} is {'even' if n % 2 == 0 else 'odd'}."
    elif kind == 10:
        names = rng.choice([DAYS, MONTHS])
        what = "day" if names is DAYS else "month"
        i = rng.randrange(len(names))
        q = rng.choice([f"What {what} comes after {names[i]}?", f"Which {what} follows {names[i]}?",
                        f"Name the {what} after {names[i]}.", f"What {what} is before {names[i]}?"])
        if "before" in q:
            ans = f"{names[i - 1]} comes before {names[i]}."
        else:
            ans = f"{names[(i + 1) % len(names)]} comes after {names[i]}."
    elif kind == 11:
        word = rng.choice(sorted(DEFINITIONS) + sorted(OPPOSITES))
        q = rng.choice([f"Spell '{word}' backwards.", f"Reverse the letters of {word}."])
        ans = word[::-1]
    elif kind == 12:
        phrase = rng.choice(UPPER_PHRASES)
        q = rng.choice([f"Write '{phrase}' in capital letters.", f"Uppercase this: {phrase}",
                        f"Make this all caps: {phrase}"])
        ans = phrase.upper()
    elif kind == 13:
        w = rng.choice(sorted(PLURALS))
        q = rng.choice([f"What is the plural of {w}?", f"Plural of '{w}'?", f"One {w}, two...?"])
        ans = f"The plural of {w} is {PLURALS[w]}."
    elif kind == 14:
        w = rng.choice(sorted(SYNONYMS))
        q = rng.choice([f"Give me a synonym for {w}.", f"Another word for '{w}'?",
                        f"What word means the same as {w}?"])
        ans = f"A synonym for {w} is {SYNONYMS[w]}."
    elif kind == 15:
        words = rng.sample(sorted(OPPOSITES) + sorted(SYNONYMS) + sorted(PLURALS), rng.randint(3, 8))
        q = rng.choice(["How many words are in: ", "Count the words: "]) + " ".join(words)
        ans = f"There are {len(words)} words."
    else:
        a, b = rng.sample(sorted(CAPITALS), 2)
        q = f"Which comes first alphabetically, {a} or {b}?"
        ans = f"{min(a, b)} comes first."
    return [{"role": "user", "content": q}, {"role": "assistant", "content": ans}]


# --------------------------------------------------------------------------------------------
def _row(rid: str, task: str, user: str, answer: str, meta: dict) -> dict:
    return {"id": rid, "task": task,
            "messages": [{"role": "system", "content": SYSTEM_PROMPTS[task]},
                         {"role": "user", "content": user},
                         {"role": "assistant", "content": answer}],
            "meta": meta}


def user_text(row: dict) -> str:
    """Lesson 04. The user turns of a row joined by newlines (what similarity is measured on).

    Tolerant of malformed rows: anything that is not a user message with string content is
    ignored, so a broken row yields "" instead of raising.
    """
    msgs = row.get("messages") if isinstance(row, dict) else None
    if not isinstance(msgs, list):
        return ""
    return "\n".join(m["content"] for m in msgs
                     if isinstance(m, dict) and m.get("role") == "user"
                     and isinstance(m.get("content"), str))


class _DistinctGuard:
    """Keeps generated inputs pairwise below `DISTINCT_BELOW` Jaccard (LSH + exact check)."""

    def __init__(self):
        from course_utils.dataset.curation import NearDupIndex
        self.index = NearDupIndex(threshold=DISTINCT_BELOW)

    def admit(self, text: str) -> bool:
        if self.index.query(text):
            return False
        self.index.add(text)
        return True


def generate_task_rows(seed: int = 0, counts: dict | None = None, *, facts_version: int = 1,
                       shifted: bool = False, id_prefix: str = "") -> list[dict]:
    """Lesson 04. Clean rows for the three tasks, deterministic for a given seed.

    counts: rows per task (default `DEFAULT_COUNTS`). facts_version: 1 or 2, the fact table
    that policy_qa answers come from. shifted: new products and wording (the drift set).
    Rows are pairwise distinct: no two user messages reach `DISTINCT_BELOW` Jaccard.
    """
    counts = dict(DEFAULT_COUNTS if counts is None else counts)
    for task, n in counts.items():
        if task not in TASKS:
            raise ValueError(f"counts: unknown task {task!r}; choose from {TASKS}")
        if not isinstance(n, int) or n < 0:
            raise ValueError(f"counts[{task!r}]={n!r}: must be a non-negative int")
    _check_version(facts_version)
    guard = _DistinctGuard()
    rows = []
    for task in TASKS:
        n = counts.get(task, 0)
        rng = random.Random(f"{seed}:{task}:{'shifted' if shifted else 'base'}")
        made, tries = 0, 0
        while made < n:
            tries += 1
            if tries > 50 * n + 1000:
                raise RuntimeError(
                    f"generate_task_rows: could only make {made} distinct {task} rows of {n} "
                    f"asked; ask for fewer (counts[{task!r}]) or add templates in datagen.py")
            if task == "triage":
                user, answer, meta = _triage(rng, shifted=shifted)
            elif task == "moderation":
                user, answer, meta = _moderation(rng, shifted=shifted)
            else:
                user, answer, meta = _policy_qa(rng, facts_version=facts_version, shifted=shifted)
            if not guard.admit(user):
                continue
            made += 1
            rows.append(_row(f"{id_prefix}{task}-{made:05d}", task, user, answer, meta))
    order = random.Random(f"{seed}:order").sample(range(len(rows)), len(rows))
    return [rows[i] for i in order]


def generate_general(seed: int = 0, n: int = 3000, *, id_prefix: str = "gen-",
                     stream: str = "general") -> list[dict]:
    """Lesson 04. General chat examples to mix with the task data (no system prompt).

    Pairwise different conversations; `stream` names an independent random stream (the
    off-task defects come from another one than the general pool).
    """
    if not isinstance(n, int) or n < 0:
        raise ValueError(f"generate_general(n={n!r}): must be a non-negative int")
    rng = random.Random(f"{seed}:{stream}")
    seen, rows, tries = set(), [], 0
    while len(rows) < n:
        tries += 1
        if tries > 50 * n + 1000:
            raise RuntimeError(f"generate_general: only {len(rows)} distinct rows of {n} asked")
        msgs = _general(rng)
        key = json.dumps(msgs)
        if key in seen:
            continue
        seen.add(key)
        rows.append({"id": f"{id_prefix}{len(rows) + 1:05d}", "task": GENERAL, "messages": msgs,
                     "meta": {}})
    return rows


# --------------------------------------------------------------------------------------------
# Defects.
def _fake_email(rng: random.Random) -> str:
    name = rng.choice(NAMES).lower()
    return (f"{name}{rng.choice(['', '.', '_'])}{rng.choice(['smith', 'lee', 'k', 'm', 'ng'])}"
            f"{rng.randint(1, 99)}@{rng.choice(['example.com', 'mail.test', 'inbox.example.org'])}")


def _fake_phone(rng: random.Random) -> str:
    """A phone number from the ranges reserved for fiction (UK 07700 900xxx and 020 7946 0xxx,
    North American 555-01xx), written in the usual formats."""
    d = lambda k: "".join(str(rng.randint(0, 9)) for _ in range(k))  # noqa: E731
    area = rng.choice(["212", "415", "617", "303"])
    return rng.choice([f"+44 7700 900{d(3)}", f"07700 900{d(3)}", f"+44 20 7946 0{d(3)}",
                       f"({area}) 555-01{d(2)}", f"{area}-555-01{d(2)}", f"+1 {area} 555 01{d(2)}"])


def _with_pii(rng: random.Random, text: str) -> str:
    email, phone = _fake_email(rng), _fake_phone(rng)
    add = rng.choice([f"You can reach me at {email}.", f"Call me on {phone}.",
                      f"My email is {email}, phone {phone}.", f"Contact: {email}",
                      f"Text me at {phone} if easier."])
    return f"{text} {add}"


def _near_edit(rng: random.Random, text: str) -> str:
    """A small edit: case, punctuation, spacing, one typo or a filler word."""
    kind = rng.randrange(5)
    words = text.split(" ")
    if kind == 0:
        return text.upper() if rng.random() < 0.3 else text.lower()
    if kind == 1:
        return text.rstrip(".!?") + rng.choice(["!!", "?", "...", " !"])
    if kind == 2:  # a doubled space and a trailing one
        i = rng.randrange(len(words))
        return " ".join(words[:i] + [words[i] + " "] + words[i + 1:]) + " "
    if kind == 3:
        long = [i for i, w in enumerate(words) if len(w) >= 5 and w.isalpha()]
        if long:
            i = rng.choice(long)
            w = words[i]
            j = rng.randrange(1, len(w) - 2)
            words[i] = w[:j] + w[j + 1] + w[j] + w[j + 2:]
            return " ".join(words)
    return text + rng.choice([" pls", " thx", " thanks", " ok?"])


def _malform(rng: random.Random, row: dict) -> dict:
    row = json.loads(json.dumps(row))
    msgs = row["messages"]
    answer = msgs[-1]["content"]
    task = row["task"]
    structural = [
        lambda: msgs.__setitem__(-1, {"role": "bot", "content": answer}),
        lambda: msgs.pop(),
        lambda: msgs[-1].__setitem__("content", None),
        lambda: row.__setitem__("messages", list(reversed(msgs))),
    ]
    if task == "triage":
        obj = json.loads(answer)
        k = rng.randrange(7)
        if k == 0:
            msgs[-1]["content"] = answer[:-1]                                  # truncated JSON
        elif k == 1:
            msgs[-1]["content"] = answer.replace('"', "'")                    # Python dict, not JSON
        elif k == 2:
            msgs[-1]["content"] = json.dumps({**obj, "category": rng.choice(
                ["Delivery", "refund", "tech support", "other"])}, separators=(",", ":"))
        elif k == 3:
            obj.pop(rng.choice(["urgency", "sentiment", "order_id"]))
            msgs[-1]["content"] = json.dumps(obj, separators=(",", ":"))
        elif k == 4:
            msgs[-1]["content"] = json.dumps({**obj, "order_id": str(rng.randint(10000, 99999))},
                                             separators=(",", ":"))
        elif k == 5:
            msgs[-1]["content"] = "Sure! Here is the JSON: " + answer
        else:
            rng.choice(structural)()
    elif task == "moderation":
        label = answer.split("\n")[0].removeprefix("label: ")
        k = rng.randrange(4)
        if k == 0:
            msgs[-1]["content"] = answer.replace(f"label: {label}", f"label: {rng.choice(['rude', 'SPAM!!', 'fine', 'toxic'])}")
        elif k == 1:
            msgs[-1]["content"] = f"label: {label}"
        elif k == 2:
            msgs[-1]["content"] = f"This looks like {label} to me."
        else:
            rng.choice(structural)()
    else:
        rng.choice(structural)()
    return row


def _conflict(rng: random.Random, row: dict) -> dict:
    row = json.loads(json.dumps(row))
    answer = row["messages"][-1]["content"]
    if row["task"] == "triage":
        obj = json.loads(answer)
        obj["category"] = rng.choice([c for c in TRIAGE_CATEGORIES if c != obj["category"]])
        new = triage_answer(**obj)
    elif row["task"] == "moderation":
        label = answer.split("\n")[0].removeprefix("label: ")
        other = rng.choice([k for k in MODERATION_KINDS if k[0] != label])
        new = moderation_answer(other[0], other[2])
    else:
        nums = [c for c in answer.split() if any(ch.isdigit() for ch in c)]
        new = answer
        if nums:
            tok = nums[0]
            digits = "".join(ch for ch in tok if ch.isdigit())
            new = answer.replace(digits, str(int(digits) + rng.choice([5, 10, 20])), 1)
        if new == answer:
            new = "Sorry, I don't have that information."
    row["messages"][-1]["content"] = new
    return row


def _overlong(rng: random.Random, row: dict) -> dict:
    row = json.loads(json.dumps(row))
    products = catalog()
    lines = [f"{_order_id(rng)} {rng.choice(products).name} delivered {rng.choice(DAYS)}."
             for _ in range(rng.randint(45, 70))]
    msgs = row["messages"]
    msgs[1]["content"] = msgs[1]["content"] + " My order history, in case it helps: " + " ".join(lines)
    return row


def _emptied(rng: random.Random, row: dict) -> dict:
    row = json.loads(json.dumps(row))
    blank = rng.choice(["", " ", "   ", "\n", "\t \n"])
    k = rng.randrange(3)
    if k in (0, 2):
        row["messages"][1]["content"] = blank
    if k in (1, 2):
        row["messages"][-1]["content"] = rng.choice(["", " ", "\n"])
    return row


def _off_task(rng: random.Random, task: str, msgs: list[dict]) -> dict:
    user, reply = msgs[0]["content"], msgs[1]["content"]
    if task == "triage":  # annotated anyway, with a plausible-looking but meaningless label
        answer = triage_answer(category=rng.choice(TRIAGE_CATEGORIES), product=None,
                               urgency=rng.choice(TRIAGE_URGENCIES), order_id=None,
                               sentiment="neutral")
    elif task == "moderation":
        answer = moderation_answer("ok", "a genuine product question")
    else:
        answer = reply
    return _row("", task, user, answer, {})


def make_raw(seed: int = 0, counts: dict | None = None, rates: dict | None = None,
             ) -> tuple[list[dict], dict]:
    """Lesson 04. The raw dataset (clean rows + injected defects) and its ground truth.

    rates: fraction of the clean rows per defect (default `DEFAULT_RATES`; missing keys keep
    their default). Returns (rows, truth) where truth["drop"][reason] lists the raw ids a
    perfect curation drops for that reason, truth["transform"]["pii_redacted"] the ids whose
    text carries an e-mail or phone number, and truth["source"] maps each copy to its original.
    Copies always come after their original in the file, so "keep the first" is well defined.
    """
    rates = {**DEFAULT_RATES, **(rates or {})}
    for k, v in rates.items():
        if k not in DEFAULT_RATES:
            raise ValueError(f"rates: unknown defect {k!r}; choose from {sorted(DEFAULT_RATES)}")
        if not isinstance(v, (int, float)) or not 0 <= v <= 0.5:
            raise ValueError(f"rates[{k!r}]={v!r}: must be a number in [0, 0.5]")
    clean = generate_task_rows(seed, counts)
    n = len(clean)
    want = {k: int(round(v * n)) for k, v in rates.items()}
    if sum(want.values()) > n:
        raise ValueError(f"rates: {sum(want.values())} defects asked for only {n} clean rows; "
                         "lower the rates")
    rng = random.Random(f"{seed}:defects")
    picks = rng.sample(range(n), sum(want.values()))
    chosen, at = {}, 0
    for k in sorted(want):
        chosen[k] = sorted(picks[at:at + want[k]])
        at += want[k]

    # Each entry: (sort key, row, defect or None, source key or None).
    entries = [(float(i), clean[i], None, None) for i in range(n)]
    for i in chosen["malformed"]:
        entries[i] = (entries[i][0], _malform(rng, clean[i]), "malformed", None)
    for i in chosen["empty"]:
        entries[i] = (entries[i][0], _emptied(rng, clean[i]), "empty", None)
    for i in chosen["too_long"]:
        entries[i] = (entries[i][0], _overlong(rng, clean[i]), "too_long", None)
    for i in chosen["pii"]:
        row = json.loads(json.dumps(clean[i]))
        row["messages"][1]["content"] = _with_pii(rng, row["messages"][1]["content"])
        entries[i] = (entries[i][0], row, "pii", None)
    for i in chosen["conflicting_label"]:
        entries[i] = (entries[i][0], clean[i], "conflicting_label", None)
        entries.append((rng.uniform(i + 0.1, n), _conflict(rng, clean[i]), "conflicting_label", i))
    for i in chosen["exact_duplicate"]:
        entries.append((rng.uniform(i + 0.1, n), clean[i], "exact_duplicate", i))
    from course_utils.dataset.curation import jaccard, shingles
    for i in chosen["near_duplicate"]:
        src = clean[i]["messages"][1]["content"]
        for _ in range(20):
            edited = _near_edit(rng, src)
            if edited != src and jaccard(shingles(edited), shingles(src)) >= NEAR_COPY_AT_LEAST:
                break
        else:  # no small edit kept the text close enough: fall back to spacing only
            edited = src + "  "
        row = json.loads(json.dumps(clean[i]))
        row["messages"][1]["content"] = edited
        entries.append((rng.uniform(i + 0.1, n), row, "near_duplicate", i))
    for g in generate_general(seed, want["off_task"], stream="off_task"):
        task = rng.choice(TASKS)
        entries.append((rng.uniform(0, n), _off_task(rng, task, g["messages"]), "off_task", None))

    entries.sort(key=lambda e: e[0])
    raw_id = {}
    rows, truth_drop, truth_pii, source = [], {r: [] for r in DROP_REASONS}, [], {}
    width = len(str(len(entries)))
    for pos, (key, row, defect, src) in enumerate(entries):
        rid = f"r{pos + 1:0{width}d}"
        raw_id[key] = rid
        row = {**row, "id": rid}
        rows.append(row)
    for pos, (key, row, defect, src) in enumerate(entries):
        rid = rows[pos]["id"]
        if defect is None:
            continue
        if defect == "pii":
            truth_pii.append(rid)
        else:
            truth_drop[defect].append(rid)
        if src is not None:
            source[rid] = raw_id[float(src)]
    for ids in truth_drop.values():
        ids.sort()
    truth = {
        "seed": seed,
        "rates": {k: rates[k] for k in sorted(rates)},
        "n_clean": n,
        "n_raw": len(rows),
        "drop": truth_drop,
        "transform": {"pii_redacted": sorted(truth_pii)},
        "source": {k: source[k] for k in sorted(source)},
        "note": ("drop[reason] = raw ids a perfect curation removes for that reason "
                 "(conflicting_label: the original and its contradicting copy); "
                 "source = copy id -> original id."),
    }
    return rows, truth


# --------------------------------------------------------------------------------------------
def jsonl_bytes(rows) -> bytes:
    """Lesson 04. Rows as the bytes of a JSON Lines file (UTF-8, stable key order, '\\n')."""
    return "".join(json.dumps(row, ensure_ascii=False) + "\n" for row in rows).encode("utf-8")


def json_bytes(obj) -> bytes:
    """Lesson 04. An object as the bytes of the course's JSON files (indent 1, final newline)."""
    return (json.dumps(obj, ensure_ascii=False, indent=1) + "\n").encode("utf-8")


def write_jsonl(path, rows) -> None:
    """Lesson 04. Write rows as a JSON Lines file (see `jsonl_bytes`)."""
    from pathlib import Path

    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(jsonl_bytes(rows))


SHIFTED_COUNTS = {"triage": 150, "moderation": 120, "policy_qa": 80}
FACTS_V2_COUNT = 150
GENERAL_COUNT = 3000


def generated_files(seed: int = 0) -> dict[str, bytes]:
    """Lesson 04. The generated (not curated) files of ``data/tasks``, as bytes, by name.

    raw.jsonl + raw_truth.json (the defective data and what was injected), general.jsonl
    (chat to mix in), facts_v1/v2.json (the fact tables, new products included),
    test_shifted.jsonl (new products and wording, for drift) and test_facts_v2.jsonl (policy
    questions answered from v2).
    """
    raw, truth = make_raw(seed)
    return {
        "raw.jsonl": jsonl_bytes(raw),
        "raw_truth.json": json_bytes(truth),
        "general.jsonl": jsonl_bytes(generate_general(seed, GENERAL_COUNT)),
        # The tables cover the shifted set's new products too: retrieval can look them up,
        # a model fine-tuned on the training split never saw them.
        "facts_v1.json": json_bytes(facts(1, shifted=True)),
        "facts_v2.json": json_bytes(facts(2, shifted=True)),
        "test_shifted.jsonl": jsonl_bytes(generate_task_rows(
            seed + 1, SHIFTED_COUNTS, shifted=True, id_prefix="shifted-")),
        "test_facts_v2.jsonl": jsonl_bytes(generate_task_rows(
            seed + 2, {"policy_qa": FACTS_V2_COUNT}, facts_version=2, id_prefix="v2-")),
    }


def curated_files(raw: list[dict], general: list[dict], seed: int = 0, *, count_tokens=None,
                  progress: bool = False) -> dict[str, bytes]:
    """Lesson 04. train/validation/test.jsonl and curation_report.json from the raw rows."""
    from course_utils.dataset import curation

    result = curation.curate(raw, reference=general, count_tokens=count_tokens, progress=progress)
    splits = curation.split(result.kept, seed=seed)
    out = {f"{name}.jsonl": jsonl_bytes(rows) for name, rows in splits.items()}
    out["curation_report.json"] = json_bytes(result.report.to_dict(examples=2))
    return out


def build(out_dir, seed: int = 0, *, count_tokens=None, progress: bool = True) -> dict:
    """Lesson 04. Write every file of ``data/tasks`` and MANIFEST.json (sizes, sha256).

    The curation's length filter uses the course tokenizer unless `count_tokens` is given.
    """
    import hashlib
    from pathlib import Path

    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    files = generated_files(seed)
    raw = [json.loads(line) for line in files["raw.jsonl"].decode("utf-8").splitlines()]
    general = [json.loads(line) for line in files["general.jsonl"].decode("utf-8").splitlines()]
    files.update(curated_files(raw, general, seed, count_tokens=count_tokens, progress=progress))
    manifest = {"seed": seed, "command": f"python -m course_utils.dataset.datagen --seed {seed} --out <folder>",
                "files": {}}
    for name in sorted(files):
        (out / name).write_bytes(files[name])
        manifest["files"][name] = {"bytes": len(files[name]),
                                   "sha256": hashlib.sha256(files[name]).hexdigest()}
    (out / "MANIFEST.json").write_bytes(json_bytes(manifest))
    return manifest


def main(argv=None) -> None:
    """Lesson 04. Command line: ``python -m course_utils.dataset.datagen --out data/tasks``."""
    import argparse

    p = argparse.ArgumentParser(description="Generate the course's task datasets (lesson 04).")
    p.add_argument("--out", default="data/tasks", help="output folder (default data/tasks)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--tokenizer", default=None,
                   help="tokenizer.json for the length filter (default: the course tokenizer)")
    a = p.parse_args(argv)
    count_tokens = None
    if a.tokenizer:
        from course_utils.dataset.curation import course_token_counter
        count_tokens = course_token_counter(a.tokenizer)
    manifest = build(a.out, a.seed, count_tokens=count_tokens)
    for name, info in manifest["files"].items():
        print(f"{info['bytes']:>9,d}  {name}")


if __name__ == "__main__":
    main()
