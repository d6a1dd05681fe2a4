"""The embedded tiny model: its pre-training corpus and the script that builds it."""
