"""The text the embedded tiny model learns from: generated here, seeded, no downloads.

Used by `course_utils.tiny_model` (lesson 00 shows the result). Two kinds of documents:

- plain sentences about a small made-up world (animals, colours, places, numbers, days) so the
  model learns English word order and a little arithmetic-by-rote;
- short chat conversations in the course's ChatML-style format, so the model learns to answer
  in turn and to stop (`<|im_end|>`).

What this leaves out, on purpose: nothing here looks like the course's tasks (support tickets,
JSON answers, moderation labels, order ids, e-mails). Lessons 05-07 must be able to show what
fine-tuning adds, so the base model must not already know those formats.
"""

from __future__ import annotations

import random

ANIMALS = {
    "cat": "meow", "dog": "woof", "cow": "moo", "duck": "quack", "sheep": "baa",
    "pig": "oink", "horse": "neigh", "owl": "hoot", "lion": "roar", "frog": "croak",
    "mouse": "squeak", "bee": "buzz", "goat": "bleat", "snake": "hiss",
}
THING_COLOURS = {
    "the sky": "blue", "grass": "green", "snow": "white", "coal": "black", "a banana": "yellow",
    "a tomato": "red", "an orange": "orange", "a plum": "purple", "the sun": "yellow",
    "a leaf": "green", "milk": "white", "the sea": "blue", "a lemon": "yellow", "soot": "black",
    "a cherry": "red", "chocolate": "brown", "a carrot": "orange", "an eggplant": "purple",
}
CAPITALS = {
    "France": "Paris", "Spain": "Madrid", "Italy": "Rome", "Germany": "Berlin", "Japan": "Tokyo",
    "Egypt": "Cairo", "Kenya": "Nairobi", "Peru": "Lima", "Canada": "Ottawa", "Norway": "Oslo",
    "Greece": "Athens", "Ireland": "Dublin", "Poland": "Warsaw", "Chile": "Santiago",
    "India": "New Delhi", "China": "Beijing", "Brazil": "Brasilia", "Mexico": "Mexico City",
    "Portugal": "Lisbon", "Austria": "Vienna", "Sweden": "Stockholm", "Finland": "Helsinki",
    "Cuba": "Havana", "Ghana": "Accra", "Nepal": "Kathmandu", "Thailand": "Bangkok",
}
OPPOSITES = {
    "hot": "cold", "big": "small", "fast": "slow", "up": "down", "day": "night", "happy": "sad",
    "old": "new", "light": "dark", "open": "closed", "early": "late", "full": "empty",
    "hard": "soft", "wet": "dry", "near": "far", "loud": "quiet", "rich": "poor", "high": "low",
    "left": "right", "first": "last", "strong": "weak",
}
DAYS = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"]
MONTHS = ["January", "February", "March", "April", "May", "June", "July", "August",
          "September", "October", "November", "December"]
NUMBER_WORDS = ["zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine",
                "ten", "eleven", "twelve", "thirteen", "fourteen", "fifteen", "sixteen",
                "seventeen", "eighteen", "nineteen", "twenty"]
NAMES = ["Ana", "Ben", "Chen", "Dara", "Eli", "Fatima", "Gus", "Hana", "Ivan", "Jo", "Kofi",
         "Lena", "Mo", "Nia", "Omar", "Pia", "Ravi", "Sara", "Tom", "Uma", "Yusuf", "Zoe"]
PLACES = ["the park", "the garden", "the river", "the market", "the forest", "the beach",
          "the hill", "the farm", "the library", "the kitchen", "the school", "the station"]
OBJECTS = ["ball", "book", "cup", "hat", "kite", "box", "lamp", "chair", "bag", "key", "bell",
           "drum", "coat", "map", "pen", "shoe", "clock", "spoon"]
ADJECTIVES = ["small", "big", "old", "new", "red", "blue", "green", "yellow", "soft", "happy",
              "quiet", "bright", "tall", "round", "warm", "cold"]
VERBS_PAST = ["found", "saw", "took", "liked", "lost", "painted", "carried", "dropped",
              "washed", "bought"]
# Everyday words, so that the tokenizer and the model know ordinary English beyond the
# little world above (lessons 04-07 feed the model everyday messages).
EVERYDAY_NOUNS = """time person year way day thing man woman child world life hand part eye
place work week case point number group problem fact house home room door window table
water food money price bill payment card account phone email message letter note question
answer idea story friend family team company office store shop city town street road car
bus train plane ticket trip hotel bed night morning evening weather rain wind garden tree
flower computer screen laptop camera battery cable charger screen app website password
order package box parcel delivery address week month minute hour plan list job meeting
report music song game film picture photo coffee tea bread cheese apple soup dinner lunch
breakfast kitchen bottle glass plate shirt jacket shoes bag gift size colour product
service help problem mistake change price discount sale return week weekend holiday""".split()
EVERYDAY_VERBS = """need want like love use make take give find send open close start stop
buy sell pay order bring carry wait call ask answer help fix break clean cook read write
watch hear see show check change move keep leave return visit build plan share print
charge repair replace wash pack""".split()
EVERYDAY_ADJECTIVES = """good new first last long great little own other old right big high
different small large next early young important few public bad same able late hard
major better best free full easy clear cheap expensive broken quick slow simple safe
strange busy ready sure""".split()
EVERYDAY_ADVERBS = """today yesterday tomorrow again soon later often never always usually
quickly slowly carefully twice""".split()
SYSTEM_PROMPTS = ["You are a helpful assistant.", "You are a friendly assistant. Answer briefly.",
                  "You answer questions in one short sentence."]
GREETINGS = [("Hello!", "Hello! How can I help you today?"),
             ("Hi there.", "Hi! What would you like to know?"),
             ("Good morning!", "Good morning! How can I help?"),
             ("Thank you!", "You are welcome."),
             ("Thanks for the help.", "You are welcome. Have a nice day!"),
             ("Who are you?", "I am a tiny assistant. I can answer simple questions."),
             ("Goodbye!", "Goodbye! Have a nice day.")]


def _a(word: str) -> str:
    return ("an " if word[0] in "aeiou" else "a ") + word


def _sentence(rng: random.Random) -> str:
    name, place, obj, adj = (rng.choice(NAMES), rng.choice(PLACES), rng.choice(OBJECTS),
                             rng.choice(ADJECTIVES))
    animal = rng.choice(list(ANIMALS))
    thing = rng.choice(list(THING_COLOURS))
    country = rng.choice(list(CAPITALS))
    word = rng.choice(list(OPPOSITES))
    a, b = rng.randint(0, 10), rng.randint(0, 10)
    i = rng.randrange(7)
    m = rng.randrange(12)
    choices = [
        f"{name} {rng.choice(VERBS_PAST)} {_a(adj)} {obj} in {place}.",
        f"{name} went to {place} with {_a(animal)}.",
        f"The {animal} says {ANIMALS[animal]}.",
        f"{thing[0].upper() + thing[1:]} is {THING_COLOURS[thing]}.",
        f"The capital of {country} is {CAPITALS[country]}.",
        f"{CAPITALS[country]} is the capital of {country}.",
        f"The opposite of {word} is {OPPOSITES[word]}.",
        f"{a} plus {b} is {a + b}.",
        f"{NUMBER_WORDS[a]} and {NUMBER_WORDS[b]} make {NUMBER_WORDS[a + b]}.",
        f"After {DAYS[i]} comes {DAYS[(i + 1) % 7]}.",
        f"The month after {MONTHS[m]} is {MONTHS[(m + 1) % 12]}.",
        f"{name} has {NUMBER_WORDS[a]} {obj}s and {rng.choice(NAMES)} has {NUMBER_WORDS[b]}.",
        f"It was {rng.choice(ADJECTIVES)} and {rng.choice(ADJECTIVES)} at {place} on {DAYS[i]}.",
    ]
    if rng.random() < 0.45:  # an everyday sentence instead
        n1, n2 = rng.choice(EVERYDAY_NOUNS), rng.choice(EVERYDAY_NOUNS)
        v, adj, adv = (rng.choice(EVERYDAY_VERBS), rng.choice(EVERYDAY_ADJECTIVES),
                       rng.choice(EVERYDAY_ADVERBS))
        choices = [
            f"{name} will {v} the {adj} {n1} {adv}.",
            f"We {v} {_a(adj)} {n1} for the {n2}.",
            f"Did you {v} the {n1} {adv}?",
            f"The {n1} is {adj}, so {name} had to {v} it.",
            f"I {v} my {n1} every {rng.choice(['day', 'week', 'month', 'morning', 'evening'])}.",
            f"Please {v} the {n2} before the {n1}.",
            f"My {n1} was {adj} and the {n2} was {rng.choice(EVERYDAY_ADJECTIVES)}.",
        ]
    return rng.choice(choices)


def paragraph(rng: random.Random) -> str:
    """A few sentences of plain text."""
    return " ".join(_sentence(rng) for _ in range(rng.randint(2, 6)))


def _qa(rng: random.Random) -> tuple[str, str]:
    kind = rng.randrange(11)
    if kind == 0:
        return rng.choice(GREETINGS)
    if kind == 1:
        c = rng.choice(list(CAPITALS))
        q = rng.choice([f"What is the capital of {c}?", f"Which city is the capital of {c}?",
                        f"Tell me the capital of {c}."])
        return q, f"The capital of {c} is {CAPITALS[c]}."
    if kind == 2:
        a, b = rng.randint(0, 10), rng.randint(0, 10)
        q = rng.choice([f"What is {a} plus {b}?", f"How much is {a} plus {b}?",
                        f"Add {a} and {b}."])
        return q, f"{a} plus {b} is {a + b}."
    if kind == 3:
        t = rng.choice(list(THING_COLOURS))
        return f"What colour is {t}?", f"{t[0].upper() + t[1:]} is {THING_COLOURS[t]}."
    if kind == 4:
        w = rng.choice(list(OPPOSITES))
        return f"What is the opposite of {w}?", f"The opposite of {w} is {OPPOSITES[w]}."
    if kind == 5:
        an = rng.choice(list(ANIMALS))
        return f"What does {_a(an)} say?", f"{_a(an).capitalize()} says {ANIMALS[an]}."
    if kind == 6:
        i = rng.randrange(7)
        return f"What day comes after {DAYS[i]}?", f"{DAYS[(i + 1) % 7]} comes after {DAYS[i]}."
    if kind == 7:
        start = rng.randint(1, 12)
        stop = start + rng.randint(2, 5)
        return (f"Count from {start} to {stop}.",
                ", ".join(str(n) for n in range(start, stop + 1)) + ".")
    if kind == 8:
        w = rng.choice(OBJECTS + list(ANIMALS))
        return f"Say the word {w}.", f"{w}"
    if kind == 9:
        m = rng.randrange(12)
        return f"Which month comes after {MONTHS[m]}?", f"{MONTHS[(m + 1) % 12]} comes after {MONTHS[m]}."
    n = rng.randint(1, 9)
    return f"Write {n} in words.", f"{n} is {NUMBER_WORDS[n]}."


def conversation(rng: random.Random) -> list[dict]:
    """One to three question/answer turns, sometimes after a system message."""
    messages: list[dict] = []
    if rng.random() < 0.3:
        messages.append({"role": "system", "content": rng.choice(SYSTEM_PROMPTS)})
    for _ in range(rng.choice([1, 1, 1, 2, 3])):
        q, a = _qa(rng)
        messages += [{"role": "user", "content": q}, {"role": "assistant", "content": a}]
    return messages


def documents(n: int, seed: int = 0, chat_fraction: float = 0.6):
    """Yield `n` documents: ("text", str) or ("chat", messages), deterministically from `seed`."""
    if n <= 0:
        raise ValueError(f"documents(n={n}): n must be a positive number of documents")
    if not 0.0 <= chat_fraction <= 1.0:
        raise ValueError(f"documents(chat_fraction={chat_fraction}): must lie in [0, 1]")
    rng = random.Random(seed)
    for _ in range(n):
        if rng.random() < chat_fraction:
            yield "chat", conversation(rng)
        else:
            yield "text", paragraph(rng)


def demo_questions() -> list[str]:
    """Questions used to show the built model answering (lesson 00 and the model card)."""
    return ["What is the capital of Norway?", "What is 4 plus 3?", "What colour is snow?",
            "What is the opposite of fast?", "What does a duck say?", "Hello!",
            "What day comes after Friday?"]
