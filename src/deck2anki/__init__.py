"""deck2anki: compile schema-validated YAML flashcard decks into Anki packages."""

# A literal, read by hatch at build time: asking importlib.metadata would cost every
# command (even --help) tens of milliseconds of start-up.
__version__ = "0.1.0"
