"""Lesson 04: general chat conversations, mixed into training so the model keeps answering
ordinary questions while it learns the tasks.

Seventeen kinds of short exchange (arithmetic, capitals, opposites, definitions, lists,
polite rewrites, small talk, unit conversions, sorting, even/odd, days and months, reversed
words, capital letters, plurals, synonyms, word counts, alphabetical order), each answered
exactly. Most are one turn; some capital questions get a follow-up turn. The rows carry no
system prompt and ``task == "general"``.

`generate_general` also feeds the off-task defects of `course_utils.dataset.defects`, from an
independent random stream.

What this leaves out: open-ended chat (opinions, long explanations, code); the answers here
are checkable facts, so a model's general ability can be measured on them in lesson 06.
"""

from __future__ import annotations

import json
import random
from typing import Callable

from course_utils.dataset.vocab import DAYS
from course_utils.tasks import GENERAL

# The tables the conversations are drawn from.
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
# One function per kind of conversation; each draws from `rng` and returns the messages.
def _chat(question: str, answer: str) -> list[dict]:
    return [{"role": "user", "content": question}, {"role": "assistant", "content": answer}]


def _arithmetic(rng: random.Random) -> list[dict]:
    a, b = rng.randint(2, 60), rng.randint(2, 60)
    op = rng.choice(["plus", "minus", "times"])
    c = {"plus": a + b, "minus": a - b, "times": a * b}[op]
    return _chat(rng.choice([f"What is {a} {op} {b}?", f"Compute {a} {op} {b}.",
                             f"Quick maths: {a} {op} {b}?"]), f"{a} {op} {b} is {c}.")


def _capital(rng: random.Random) -> list[dict]:
    country = rng.choice(sorted(CAPITALS))
    q = rng.choice([f"What is the capital of {country}?", f"Which city is the capital of {country}?",
                    f"Name the capital of {country}."])
    ans = f"The capital of {country} is {CAPITALS[country]}."
    if rng.random() < 0.3:  # a follow-up turn
        other = rng.choice(sorted(set(CAPITALS) - {country}))
        return _chat(q, ans) + _chat(f"And {other}?", f"The capital of {other} is {CAPITALS[other]}.")
    return _chat(q, ans)


def _opposite(rng: random.Random) -> list[dict]:
    w = rng.choice(sorted(OPPOSITES))
    q = rng.choice([f"What is the opposite of {w}?", f"Give me the opposite of '{w}'.",
                    f"Opposite of {w}?"])
    return _chat(q, f"The opposite of {w} is {OPPOSITES[w]}.")


def _definition(rng: random.Random) -> list[dict]:
    w = rng.choice(sorted(DEFINITIONS))
    q = rng.choice([f"What is a {w}?", f"Define {w}.", f"What does '{w}' mean?"])
    return _chat(q, f"A {w} is {DEFINITIONS[w]}.")


def _list_items(rng: random.Random) -> list[dict]:
    cat = rng.choice(sorted(LISTS))
    k = rng.choice([2, 3, 4])
    items = rng.sample(LISTS[cat], k)
    q = rng.choice([f"Name {k} {cat}.", f"List {k} {cat}, please.", f"Give me {k} {cat}."])
    ans = ", ".join(items[:-1]) + f" and {items[-1]}."
    return _chat(q, ans[:1].upper() + ans[1:])


def _polite(rng: random.Random) -> list[dict]:
    rude = rng.choice(sorted(POLITE))
    q = rng.choice([f"Make this polite: {rude}", f"Rewrite politely: {rude}",
                    f"Say this more nicely: {rude}"])
    return _chat(q, POLITE[rude])


def _small_talk(rng: random.Random) -> list[dict]:
    return _chat(*rng.choice(SMALL_TALK))


def _units(rng: random.Random) -> list[dict]:
    small, big, factor = rng.choice(UNITS)
    n = rng.randint(2, 12)
    q = rng.choice([f"How many {small} are in {n} {big}?", f"Convert {n} {big} to {small}."])
    return _chat(q, f"{n} {big} is {n * factor} {small}.")


def _sort_numbers(rng: random.Random) -> list[dict]:
    nums = rng.sample(range(1, 99), rng.randint(3, 6))
    q = rng.choice(["Sort these numbers: ", "Put in order, smallest first: "]) + ", ".join(map(str, nums))
    return _chat(q, ", ".join(map(str, sorted(nums))))


def _even_odd(rng: random.Random) -> list[dict]:
    n = rng.randint(1, 999)
    q = rng.choice([f"Is {n} even or odd?", f"Is {n} an even number?"])
    return _chat(q, f"{n} is {'even' if n % 2 == 0 else 'odd'}.")


def _next_day_or_month(rng: random.Random) -> list[dict]:
    names = rng.choice([DAYS, MONTHS])
    what = "day" if names is DAYS else "month"
    i = rng.randrange(len(names))
    q = rng.choice([f"What {what} comes after {names[i]}?", f"Which {what} follows {names[i]}?",
                    f"Name the {what} after {names[i]}.", f"What {what} is before {names[i]}?"])
    if "before" in q:
        return _chat(q, f"{names[i - 1]} comes before {names[i]}.")
    return _chat(q, f"{names[(i + 1) % len(names)]} comes after {names[i]}.")


def _backwards(rng: random.Random) -> list[dict]:
    word = rng.choice(sorted(DEFINITIONS) + sorted(OPPOSITES))
    q = rng.choice([f"Spell '{word}' backwards.", f"Reverse the letters of {word}."])
    return _chat(q, word[::-1])


def _uppercase(rng: random.Random) -> list[dict]:
    phrase = rng.choice(UPPER_PHRASES)
    q = rng.choice([f"Write '{phrase}' in capital letters.", f"Uppercase this: {phrase}",
                    f"Make this all caps: {phrase}"])
    return _chat(q, phrase.upper())


def _plural(rng: random.Random) -> list[dict]:
    w = rng.choice(sorted(PLURALS))
    q = rng.choice([f"What is the plural of {w}?", f"Plural of '{w}'?", f"One {w}, two...?"])
    return _chat(q, f"The plural of {w} is {PLURALS[w]}.")


def _synonym(rng: random.Random) -> list[dict]:
    w = rng.choice(sorted(SYNONYMS))
    q = rng.choice([f"Give me a synonym for {w}.", f"Another word for '{w}'?",
                    f"What word means the same as {w}?"])
    return _chat(q, f"A synonym for {w} is {SYNONYMS[w]}.")


def _count_words(rng: random.Random) -> list[dict]:
    words = rng.sample(sorted(OPPOSITES) + sorted(SYNONYMS) + sorted(PLURALS), rng.randint(3, 8))
    q = rng.choice(["How many words are in: ", "Count the words: "]) + " ".join(words)
    return _chat(q, f"There are {len(words)} words.")


def _alphabetical(rng: random.Random) -> list[dict]:
    a, b = rng.sample(sorted(CAPITALS), 2)
    return _chat(f"Which comes first alphabetically, {a} or {b}?", f"{min(a, b)} comes first.")


# The order is part of the data: the generator draws an index into this tuple.
KINDS: tuple[Callable[[random.Random], list[dict]], ...] = (
    _arithmetic, _capital, _opposite, _definition, _list_items, _polite, _small_talk, _units,
    _sort_numbers, _even_odd, _next_day_or_month, _backwards, _uppercase, _plural, _synonym,
    _count_words, _alphabetical)


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
        msgs = KINDS[rng.randrange(len(KINDS))](rng)
        key = json.dumps(msgs)
        if key in seen:
            continue
        seen.add(key)
        rows.append({"id": f"{id_prefix}{len(rows) + 1:05d}", "task": GENERAL, "messages": msgs,
                     "meta": {}})
    return rows
