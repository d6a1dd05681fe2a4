"""Reference solutions to lesson 04's exercises (notebooks/04_data_curation.ipynb).

The committed splits and general pool; a raw set of its own for the variation.
"""

from course_utils import (curate, load_general, load_split, make_raw, mix, score_against_truth,
                          user_text)

CHECKS = {
    "exercise_basic": "check_mix",
    "exercise_variation": "check_rates_experiment",
    "exercise_stretch": "check_shouting_step",
}


def exercise_basic():
    """Every train row the general pool supports at 30 % task rows, drawn without replacement."""
    return mix(load_split("train"), load_general(), domain_fraction=0.30, seed=0)


def exercise_variation():
    """Seed 1, three times the lesson's exact duplicates; curated and scored against its truth."""
    raw, truth = make_raw(seed=1, rates={"exact_duplicate": 0.15})
    result = curate(raw, reference=load_general())
    return truth, score_against_truth(result.report, truth)


def drop_shouting(rows):
    """Drop rows whose user text has letters, more than half of them capitals."""
    kept, dropped = [], []
    for row in rows:
        letters = [c for c in user_text(row) if c.isalpha()]
        upper = sum(c.isupper() for c in letters)
        if letters and upper / len(letters) > 0.5:
            dropped.append((row, f"shouting: {upper} of {len(letters)} letters are capitals"))
        else:
            kept.append(row)
    return kept, dropped


def exercise_stretch():
    """A step in the shape of every curation step."""
    return drop_shouting
