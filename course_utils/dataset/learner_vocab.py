"""Lesson 04: the word tables of the learner-style file (``data/learner_tickets.csv``): a bicycle
shop's help-desk export, written independently of the course's shop and its generator.

*Pedalworks* sells, services and rents bicycles. Its customers write about orders, deliveries,
returns, repairs, parts, warranties, rentals and the app; its agents answer in a sentence or
three. The tables here are data only: `course_utils.dataset.learner_file` assembles them into
the CSV, with its mess.

What this leaves out: anything from `course_utils.dataset.vocab` (no product, phrase or template
is shared with the course's own shop, so the file is data the course did not make).
"""

BIKES = ["Ridgeback Swift", "Trailmaster 29", "CityGlide 7", "Velo Sprint Disc",
         "Kestrel Gravel 2", "Urbano E-Step", "Marlin Junior 24", "Foldaway Mini",
         "Cargo Hauler", "Summit Pro Carbon", "Breeze Hybrid", "Tandem Duo", "Alpine Ascent",
         "Commuter Flat Bar", "Roadrunner 105"]
PARTS = ["rear derailleur", "chain", "cassette", "brake pads", "inner tube", "tyre", "saddle",
         "pedals", "bottom bracket", "headset", "front light", "battery charger", "spokes",
         "disc rotor", "bar tape", "kickstand", "mudguards", "pannier rack", "gear cable",
         "seat post", "crank arm", "bell", "child seat", "lock"]
SERVICES = ["full service", "basic tune-up", "brake bleed", "wheel true", "puncture repair",
            "e-bike diagnostic", "gear adjustment", "bike fit"]
SIZES = ["small", "medium", "large", "XL", "52 cm", "54 cm", "56 cm", "17 inch", "19 inch"]
STORES = ["Canal Street", "Riverside", "Old Town", "the station", "Hillcrest"]
NAMES = ["José", "Zoë", "Siobhán", "Łukasz", "Renée", "Björn", "Chloé", "Amara", "Dev",
         "Hiroshi", "Ingrid", "Kwame", "Maeve", "Nikos", "Olu", "Priya", "Rosa", "Stefan",
         "Tamsin", "Yara", "Callum", "Mehmet", "Aoife", "Bruno"]
AGENTS = ["Sam", "Rhiannon", "Theo", "Grace", "Luca", "Fatou"]
WHEN = ["last Tuesday", "on Saturday", "two weeks ago", "yesterday", "on the 3rd",
        "at the start of the month", "ten days ago", "this morning"]

GREETINGS = ["Hi,", "Hello,", "Hi there,", "Good morning,", "Hey,", "Dear Pedalworks,",
             "Hi team,", "", "", ""]
SIGNOFFS = ["Thanks, {name}", "Cheers {name}", "Regards, {name}", "{name}", "thanks!",
            "Many thanks", "", "", ""]
MOODS = ["", "", "Not impressed tbh.", "This is really frustrating.", "No rush.",
         "I need it for my commute on Monday.", "Would be great to sort this soon.",
         "Love the shop otherwise!", "Second time this has happened."]

# Tickets by category: (customer message, agent reply). Slots: {bike} {bike2} {part} {service}
# {size} {alt_size} {order} {store} {when} {n} {name}, shared by the message and its reply.
TICKETS = {
    "order": [
        ("Where is my order {order}? I bought a {bike} {when} and haven't heard anything.",
         "Sorry for the wait, {name}. {order} leaves our warehouse tomorrow and you'll get a "
         "tracking link by email."),
        ("Can you tell me when {order} will be dispatched? It's the {part} for my {bike}.",
         "I've checked {order}: the {part} is packed and goes out with the next courier collection."),
        ("I ordered the {bike} in {size} {when} but the confirmation says {alt_size}.",
         "Thanks for flagging this. I've corrected the size on {order} to {size} and emailed "
         "you a new confirmation."),
        ("My order {order} says \"processing\" for {n} days now, is something wrong?",
         "Nothing is wrong: the {part} on {order} was back-ordered and arrives at our warehouse "
         "this week."),
        ("Could I add a {part} to order {order} before it ships?",
         "Yes, I've added the {part} to {order}; you'll get an updated receipt."),
        ("I'd like to cancel {order}, I found the {part} locally.",
         "Done: {order} is cancelled and the refund will show in 3-5 working days."),
        ("is {order} coming before the weekend or not",
         "It is: {order} is out for delivery on Friday."),
    ],
    "delivery": [
        ("The courier says {order} was delivered but there's no box here.",
         "I'm sorry about that. I've opened a claim with the courier for {order} and will update "
         "you within 48 hours."),
        ("My {bike} arrived with a bent {part}. Order {order}.",
         "Please send us a photo of the damage and we'll replace the {part} free of charge."),
        ("Delivery for {order} was meant to be {when}, still nothing.",
         "Apologies, the courier lost the scan. {order} is now due on Friday."),
        ("The box for {order} was left in the rain and the {part} is rusty already.",
         "That shouldn't happen. We'll send a new {part} today; no need to return the old one."),
        ("Can I collect {order} from the {store} shop instead of delivery?",
         "Of course, {order} will be ready to collect at {store} from tomorrow at 10."),
        ("the tracking link for {order} doesn't work",
         "Sorry, here is a fresh tracking link for {order}; it updates from tonight."),
    ],
    "returns": [
        ("I want to return the {part} from {order}, it doesn't fit my {bike}.",
         "You can return it within 30 days. I've emailed a free returns label for {order}."),
        ("How do I send back a {bike}? The {size} frame is too big for me.",
         "Bring it to any shop, or book a collection in the app; we'll refund or swap the size."),
        ("I returned {order} {when}, when will I get the refund?",
         "Your refund for {order} was approved today; it takes 3-5 working days to arrive."),
        ("Can I swap the {size} {bike} for a smaller one?",
         "Yes, we can swap it. Bring it to {store} or use the returns label I've sent you."),
        ("The {part} I got is the wrong colour, can I exchange it?",
         "No problem, I've arranged an exchange for the {part}."),
    ],
    "repair": [
        ("Can I book a {service} for my {bike} at {store} next week?",
         "We have {service} slots at {store} from Wednesday; reply with a day that suits you."),
        ("My {bike} needs a {service}, how long is the wait at the moment?",
         "A {service} takes about two working days at the moment."),
        ("I dropped my bike at {store} {when} for a {service}, is it ready?",
         "Your {bike} is ready to collect from {store} after 2pm."),
        ("How much is a {service} for an e-bike?",
         "A {service} for an e-bike is £65, parts extra; we quote before fitting anything."),
        ("The {part} on my {bike} squeaks after your {service}, can you look again?",
         "Sorry to hear that. Bring it back to {store} and we'll look at the {part} free of charge."),
        ("can i bring my kids bike in for a {service} without booking",
         "Yes, {store} takes walk-ins before 11am; a {service} on a kids' bike is usually same day."),
    ],
    "parts": [
        ("Will a {part} from your site fit a {bike}?",
         "Yes, that {part} fits the {bike} without any changes."),
        ("Do you have a {part} in stock for the {bike} at {store}?",
         "{store} has two in stock; we can hold one for you until Saturday."),
        ("Which {part} do you recommend for a {bike} used for commuting?",
         "For commuting on the {bike} I'd go for our mid-range {part}: durable and easy to service."),
        ("Is the {part} for the {bike} the same as for the {bike2}?",
         "They differ: the {bike2} needs the narrower {part}, so check the model on the order page."),
        ("My {part} keeps slipping, do I need a new one or an adjustment?",
         "It sounds like it needs an adjustment rather than a new {part}; any shop can do that "
         "while you wait."),
    ],
    "warranty": [
        ("The frame of my {bike} has a crack near the {part} after {n} months. Is that covered?",
         "That is covered by the frame warranty. Please book an inspection at {store} and bring "
         "your receipt."),
        ("My {part} broke after {n} weeks, is it under warranty?",
         "Parts are covered for 12 months, so yes: we'll replace the {part} under warranty."),
        ("The battery on my Urbano E-Step only lasts {n} km now, warranty claim please.",
         "I've logged a warranty claim for the battery and a technician will call you within two days."),
        ("Paint is peeling off my {bike} already, bought it {when}.",
         "That's a finish defect and it's covered; {store} will arrange a replacement frame."),
    ],
    "rental": [
        ("Can I rent a {bike} for {n} days from {store}?",
         "Yes, rentals from {store} are available by the day; a helmet and lock are included."),
        ("Do your rentals come with a {part} and a helmet?",
         "Every rental comes with a helmet and a lock; a {part} is £5 extra per day."),
        ("I'd like to extend my rental of the {bike} by {n} days.",
         "I've extended your rental; the new return date is in your confirmation email."),
        ("What happens if the rental {bike} gets a puncture on the trail?",
         "Call the number on the rental tag and we'll collect the bike or bring a spare."),
    ],
    "app": [
        ("I can't log in to the Pedalworks app, it says my password is wrong.",
         "I've sent you a password reset link; it is valid for an hour."),
        ("The app charged me twice for {order}.",
         "You were only charged once for {order}; the second line is a pending hold that drops "
         "off within 48 hours."),
        ("How do I change the delivery address on {order} in the app?",
         "In the app go to Orders, open {order} and tap 'Change address' before dispatch."),
        ("The app won't show my service history for the {bike}.",
         "Thanks, I've re-linked your {bike} to your account; the history shows after you log in again."),
        ("I never got the confirmation email for {order}.",
         "I've resent the confirmation for {order}; please check your spam folder too."),
    ],
}

# Messages that have nothing to do with bicycles, in the voice of people writing to a shop.
OFF_TASK = [
    "can you recommend a good dentist in town",
    "Do you know what time the post office shuts on Saturdays?",
    "Is the football on telly tonight?",
    "Crossword help: seven letters, a kind of tree, starts with S",
    "Who's the prime minister of Australia at the moment?",
    "What should I name my hamster? He's ginger and very fast.",
    "Please send me your recipe for banana bread, the one from the café poster.",
    "Can you translate a letter from my landlord into English for me?",
    "My laptop won't turn on after the update, any idea what to do?",
    "What are the best broadband deals at the moment?",
    "Does the supermarket next door sell camping gas?",
    "How do I get a stain out of a silk shirt?",
    "Is it going to be sunny in Brighton on Sunday?",
    "Which is bigger, a blue whale or a submarine?",
    "Good afternoon, I'm writing a school project on volcanoes, could you answer some questions?",
    "What's the capital of Mongolia?",
    "I'm looking for a plumber who can come out today, do you know anyone?",
    "Could you settle a bet: how many legs does a lobster have?",
    "Where can I watch the new detective series everyone is talking about?",
    "How many teaspoons are in a tablespoon?",
    "Tips for a first date? I'm so nervous.",
    "What's the difference between baking soda and baking powder?",
    "Hello, is this the council? I want to report a pothole.",
    "Can you tell me a joke to cheer up my nan?",
    "Which pension provider would you recommend?",
    "what rhymes with orange",
    "How do I set up a standing order with my bank?",
    "Does anyone there speak Portuguese? I need help with my tax form.",
    "Who painted the Mona Lisa?",
    "Recommend me a podcast for the train, I like true crime.",
    "Is it safe to give dogs grapes?",
    "How do you play mahjong?",
    "What's a good present for a five year old who likes dinosaurs?",
    "My neighbour's tree hangs over my garden, am I allowed to cut it?",
    "Hi, can you help me write a poem for my mum's 60th birthday?",
    "What's the time difference between Lagos and Toronto?",
    "How do I make my sourdough more sour?",
    "Which theme park is best for teenagers?",
    "Is there a cash machine near the cinema?",
    "How long does it take to learn the piano as an adult?",
    "Do I need to defrost chicken before cooking it in a slow cooker?",
    "hey whats ur favourite film",
    "Can you explain how solar panels make electricity?",
    "Where's the nearest place to get passport photos done?",
    "I think I left my umbrella on the bus, who do I call?",
]
OFF_TASK_REPLIES = ["Sorry, we can only help with bikes, orders and repairs here.",
                    "Hi! This inbox is for Pedalworks orders and servicing, so I can't help with "
                    "that one, sorry.",
                    "Good question, but I'm afraid it's outside what we can help with."]
# A pasted e-mail thread: what makes a message too long to train on.
THREAD_LINES = ["-----Original Message-----", "From: Pedalworks Support", "Sent: {when}",
                "Subject: RE: {order}", "Thanks for getting in touch about your {bike}.",
                "We have passed your message to the workshop team at {store}.",
                "Please keep your order number {order} for reference.",
                "This e-mail and any attachments are confidential and intended solely for the "
                "addressee. If you have received it in error please delete it and notify the "
                "sender.", "> On {when} you wrote:", "> Hi, any news on my {part}?"]
