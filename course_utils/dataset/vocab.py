"""Lesson 04: the word tables the task generator draws from (the shop *Nimbus* and its inboxes).

Products and their two fact tables (prices, warranties, policies), customer-message templates
for ``triage``, forum-post templates for ``moderation``, question phrasings for ``policy_qa``,
and the cues (greetings, urgency, sentiment) that vary the wording. Every ``SHIFTED_*`` table
belongs to the drift variant (``shifted=True``): new products and new, informal wording.

Data only: `course_utils.dataset.generate` turns these tables into rows. Changing a table
changes the committed files of ``data/tasks`` (rebuild them with
``python -m course_utils.dataset.build --out data/tasks``).

What this leaves out: the general chat tables (capitals, opposites...), which live with their
generator in `course_utils.dataset.general_chat`.
"""

# Products: name, kind, price v1, price v2, warranty months v1, warranty v2.
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
# The shop's policies under fact table 1 and fact table 2.
POLICIES = {
    1: {"return_days": 30, "shipping_fee": 5, "free_shipping_over": 50, "express_fee": 15,
        "refund_days": 5, "support_hours": "9am to 6pm on weekdays"},
    2: {"return_days": 45, "shipping_fee": 7, "free_shipping_over": 75, "express_fee": 12,
        "refund_days": 3, "support_hours": "8am to 8pm every day"},
}

# Triage: customers, problems by category (template, names a product?), and the cues that
# set the urgency and the sentiment labels.
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
