"""The text the embedded tiny model learns from: generated here, seeded, no downloads.

Used by `course_utils.model.tiny.build` (lesson 00 shows the result). Three kinds of documents:

- plain sentences about a small made-up world (animals, colours, places, numbers, days) so the
  model learns English word order and a little arithmetic-by-rote;
- short chat conversations in the course's ChatML-style format, so the model learns to answer
  in turn and to stop (`<|im_end|>`);
- structured text: JSON records, `key: value` lines, codes and figures with digits, and chats
  that ask for a JSON answer ("Give ... as JSON", "Extract ... as JSON"). A 7B model has read
  billions of such lines; without them the tiny model's output layer never learns `{`, `"` or
  `:`, and a short LoRA run (which does not train that layer) cannot teach it the punctuation.

What this leaves out, on purpose: nothing here uses the course's task schemas (the triage
fields and labels, moderation labels, order ids, the policy facts, e-mail addresses). Lessons
05-07 must be able to show what fine-tuning adds, so the base model knows JSON in general but
not those formats.
"""

from __future__ import annotations

import json
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
# A wider vocabulary, so that most sub-word pieces of ordinary English appear as prediction
# targets (a model that never has to predict a piece gives it almost no probability, and a
# short LoRA run then starts from a loss far above what a real pre-trained model would show).
WIDE_NOUNS = """air animal answer apartment area arm army art article artist audience aunt
autumn baby back bag ball band bank base basket bath beach bean bear bed beer bell belt bench
bicycle bird birthday blanket blood board boat body bone border bottle bottom bowl brain
branch brand bread breath brick bridge brother brush bucket budget building bus butter
button cabin cake calendar camp candle canvas capital captain card career carpet castle
ceiling cell centre chain chair chance channel chapter chart cheek chest chicken chief choice
church circle citizen class clock cloud club coach coast coin collar college corner cotton
council country county cousin cover crowd crown culture cup curtain customer cycle dance
danger daughter deal debt decision degree desk detail device diet dinner direction doctor
document dollar door dozen drawer dream dress driver drop engine error event evidence
exam example factory farmer feather fee fence field figure file finger fire fish flag flight
floor fly focus fog folder forest fork form fountain frame fruit fuel future gap gate gear
glove goal gold grain grass guest guide hair hall hammer handle harbour heart heat height
hill history hole honey hook horse hospital hour island item jacket jar journey judge juice
kettle kid king knee knife ladder lake land language lawyer layer lesson level library light
line lion lock machine magazine market meal measure metal middle milk mirror model moment
motor mountain mouth movie museum nail name neck needle nest news noise nose novel number
nurse object ocean offer oil onion orange oven owner page pair palace panel paper parent
party path pattern pencil pepper piano pillow pipe planet plant pocket poem police pool
potato powder power present press prize profit project pump purpose queen radio rail range
rate record region rent result rice ring river rock roof root rope route rule salt sample
sand scale scene school science season seat second secret sense series shape sheet shelf
ship shop shoulder signal silver sister skin sky sleep slope smile smoke soap sock soil
speaker speed spring square stage stair stamp star station steam step stick stone storm
stove string student studio subject sugar summer supply surface table tail task taste tax
teacher temple tent term test thread throat thumb tide tin toe tool tooth top towel tower
toy track trade traffic tray truck tube tune twin uncle unit valley value van vehicle view
village voice volume wage wall wallet warning watch wave wheel width wife window wine
winter wire wood word worker yard youth zone""".split()
WIDE_VERBS = """accept add admit agree allow appear apply argue arrange arrive attach avoid
bake bend bite blow boil borrow breathe brush burn calculate cancel care catch cause celebrate
choose collect compare complain connect consider contain continue copy count cover cross
cry cut decide deliver describe design destroy develop dig divide double drag draw dress
drink drive earn eat enjoy enter explain fail fall fill finish fit fly fold follow forget
forgive freeze gather grow guess hang happen hate heat hide hit hold hope hunt hurry imagine
improve include invite join jump kick kill kiss knock land laugh lay lead lean learn lend
lift listen live load lock look lose manage mark match measure melt mend mix notice obey
offer paint pass pick place plant play point pour prefer prepare press pretend prevent
produce promise protect pull push raise reach receive record reduce refuse relax remember
remove rent report rescue rest ring rise roll rub rush save say search sell serve settle
shake shout sign sing sink sit ski sleep slide smell smile solve sort spell spend spill
split spread squeeze stand stay steal step stick stir store study suggest supply support
swim switch talk taste teach tear tell test thank think throw tie touch train travel trust
try turn type understand unlock visit vote walk warn waste water wave wear weigh win wish
wonder work worry wrap yell""".split()
WIDE_ADJECTIVES = """active afraid angry anxious awful basic beautiful bitter blank brave
brief bright brilliant calm careful central certain cheerful chief clean clever close cloudy
comfortable common complete complex cool correct crazy curious dangerous dark dead dear deep
direct dirty double dull eager eastern empty equal exact extra fair false famous fancy fat
final fine firm flat fresh friendly frozen funny gentle giant glad golden grand grateful
gray great guilty handsome heavy helpful honest huge hungry ill initial inner jealous kind
lazy legal level lively local lonely loose lucky mad main male medium mental mild modern
narrow nasty natural neat nervous nice noisy normal odd official open orange outer pale
patient perfect plain pleasant polite poor popular powerful pretty private proud pure rare
raw real regular rough round royal rude sad salty scared secret serious sharp short shy
silent silly single slim smooth solid sour spare special spicy square steady steep sticky
stiff strict sudden sunny super sweet tall tasty thick thin tidy tiny total tough tricky
true typical ugly unusual upper useful usual vast visible warm weak wide wild wise wooden
worried wrong yellow young""".split()
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
    if rng.random() < 0.3:  # a sentence from the wider vocabulary instead
        n1, n2, v, adj = (rng.choice(WIDE_NOUNS), rng.choice(WIDE_NOUNS), rng.choice(WIDE_VERBS),
                          rng.choice(WIDE_ADJECTIVES))
        cap = rng.choice(WIDE_ADJECTIVES).capitalize() + " " + rng.choice(WIDE_NOUNS).capitalize()
        return rng.choice([
            f"The {adj} {n1} is next to the {n2}.",
            f"{name} had to {v} the {n1} before the {n2} arrived.",
            f"Nobody wanted to {v} {_a(adj)} {n1}.",
            f"Why is the {n1} so {adj}?",
            f"We bought the {cap} for the {n1}.",
            f"The {cap} is {adj}, and the {rng.choice(WIDE_ADJECTIVES)} {n2} is not.",
            f"Please {v} my {n1}; it is {adj}.",
            f"{name} said the {n1} and the {n2} were {adj}.",
        ])
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


def documents(n: int, seed: int = 0, chat_fraction: float = 0.6,
              structured_fraction: float = 0.25):
    """Yield `n` documents: ("text", str) or ("chat", messages), deterministically from `seed`.

    A share `structured_fraction` of them is structured text (half plain records, half chats
    answered in JSON); the rest are chats with probability `chat_fraction`, else paragraphs.
    """
    if n <= 0:
        raise ValueError(f"documents(n={n}): n must be a positive number of documents")
    for name, value in (("chat_fraction", chat_fraction),
                        ("structured_fraction", structured_fraction)):
        if not 0.0 <= value <= 1.0:
            raise ValueError(f"documents({name}={value}): must lie in [0, 1]")
    rng = random.Random(seed)
    for _ in range(n):
        if rng.random() < structured_fraction:
            if rng.random() < 0.5:
                yield "chat", json_conversation(rng)
            else:
                yield "text", structured_text(rng)
        elif rng.random() < chat_fraction:
            yield "chat", conversation(rng)
        else:
            yield "text", paragraph(rng)


# -- structured text -------------------------------------------------------------------------
# Generic records only: the keys and values below must never spell the course's task schemas
# (tests/model/test_tiny_corpus.py lists the forbidden markers).
CODE_PREFIXES = ["K", "LMP", "BX", "Q7", "ZT", "RM", "AB", "PX"]
TITLES = ["The Red Kite", "A Long Walk", "Snow in June", "The Quiet Farm", "River Days",
          "The Lost Key", "Blue Hills", "Small Rooms", "The Night Train", "Green Lamps"]
STRUCTURED_SYSTEM_PROMPTS = ["Reply with JSON only.", "Answer as JSON.",
                             "You return one JSON object and nothing else.",
                             "You are a helpful assistant."]


def _code(rng: random.Random) -> str:
    return f"{rng.choice(CODE_PREFIXES)}-{rng.randint(100, 99999)}"


def _json(obj: dict, rng: random.Random) -> str:
    compact = rng.random() < 0.6
    return json.dumps(obj, separators=(",", ":") if compact else (", ", ": "), ensure_ascii=False)


def _record(rng: random.Random) -> tuple[str, dict]:
    """A short description and the record of the same facts (some fields missing -> null)."""
    kind = rng.randrange(8)
    name = rng.choice(NAMES)
    if kind == 0:
        an = rng.choice(list(ANIMALS))
        legs = 2 if an in ("duck", "owl") else 6 if an == "bee" else 0 if an == "snake" else 4
        return f"The {an} says {ANIMALS[an]} and has {legs} legs.", {
            "animal": an, "sound": ANIMALS[an], "legs": legs}
    if kind == 1:
        c = rng.choice(list(CAPITALS))
        return f"The capital of {c} is {CAPITALS[c]}.", {"country": c, "capital": CAPITALS[c]}
    if kind == 2:
        a, b = rng.randint(0, 99), rng.randint(0, 99)
        return f"{a} plus {b} is {a + b}.", {"a": a, "b": b, "sum": a + b}
    if kind == 3:
        place = rng.choice(PLACES + [None])
        an = rng.choice(list(ANIMALS))
        where = f" to {place}" if place else ""
        return f"{name} went{where} with {_a(an)} on {rng.choice(DAYS)}.", {
            "name": name, "place": place, "animal": an}
    if kind == 4:
        obj, code = rng.choice(OBJECTS), _code(rng)
        n = rng.randint(1, 40)
        colour = rng.choice(["red", "blue", "green", "yellow", "black", "white", None])
        text = f"{name} has {n} {obj}s" + (f" in {colour}" if colour else "") + f", code {code}."
        return text, {"item": obj, "count": n, "colour": colour, "code": code}
    if kind == 5:
        day, t = rng.choice(DAYS), rng.randint(-5, 35)
        rain = rng.random() < 0.4
        text = f"On {day} it was {t} degrees" + (" and it rained." if rain else " and dry.")
        return text, {"day": day, "temp_c": t, "rain": rain}
    if kind == 6:
        title, pages, year = rng.choice(TITLES), rng.randint(40, 900), rng.randint(1950, 2025)
        return f"{name} read {title}, {pages} pages, written in {year}.", {
            "reader": name, "title": title, "pages": pages, "year": year}
    w = rng.choice(list(OPPOSITES))
    return f"The opposite of {w} is {OPPOSITES[w]}.", {"word": w, "opposite": OPPOSITES[w]}


def structured_text(rng: random.Random) -> str:
    """Records as JSON lines, a JSON list, `key: value` lines, or sentences with figures."""
    kind = rng.randrange(4)
    if kind == 0:
        return "\n".join(_json(_record(rng)[1], rng) for _ in range(rng.randint(1, 4)))
    if kind == 1:
        recs = [_record(rng)[1] for _ in range(rng.randint(2, 3))]
        return _json({"items": recs, "total": len(recs)}, rng)
    if kind == 2:
        rec = _record(rng)[1]
        return "\n".join(f"{k}: {'none' if v is None else str(v).lower() if isinstance(v, bool) else v}"
                         for k, v in rec.items())
    h, m = rng.randint(0, 23), rng.choice([0, 5, 15, 20, 30, 35, 45, 50])
    return rng.choice([
        f"The train leaves at {h:02d}:{m:02d} from platform {rng.randint(1, 12)}.",
        f"Room {rng.randint(100, 599)} is on floor {rng.randint(1, 5)}.",
        f"A {rng.choice(OBJECTS)} costs ${rng.randint(1, 120)} and a {rng.choice(OBJECTS)} "
        f"costs ${rng.randint(1, 120)}.",
        f"The box with code {_code(rng)} weighs {rng.randint(1, 30)} kg.",
        f"{rng.choice(NAMES)} was born on {rng.randint(1, 28)} {rng.choice(MONTHS)} "
        f"{rng.randint(1950, 2020)}.",
    ])


def json_conversation(rng: random.Random) -> list[dict]:
    """A chat whose answer is one JSON object: facts asked for, or fields pulled from a sentence."""
    messages: list[dict] = []
    if rng.random() < 0.5:
        messages.append({"role": "system", "content": rng.choice(STRUCTURED_SYSTEM_PROMPTS)})
    text, rec = _record(rng)
    if rng.random() < 0.5:
        ask = rng.choice(["Extract the fields as JSON:", "Turn this into JSON:",
                          "Give me the JSON for this:", "As JSON, please:"])
        q = f"{ask} {text}" if rng.random() < 0.7 else f"{text}\n{ask[:-1]}."
    else:
        keys = ", ".join(rec)
        q = rng.choice([f"{text} Return the keys {keys} as JSON.",
                        f"Write a JSON object with {keys} for this: {text}"])
    messages += [{"role": "user", "content": q}, {"role": "assistant", "content": _json(rec, rng)}]
    return messages


def demo_questions() -> list[str]:
    """Questions used to show the built model answering (lesson 00 and the model card)."""
    return ["What is the capital of Norway?", "What is 4 plus 3?", "What colour is snow?",
            "What is the opposite of fast?", "What does a duck say?", "Hello!",
            "What day comes after Friday?",
            "Turn this into JSON: Ana went to the park with a dog on Monday."]
