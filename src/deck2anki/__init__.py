"""deck2anki: compile schema-validated YAML flashcard decks into Anki packages."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("deck2anki")
except PackageNotFoundError:  # running from a source tree that was never installed
    __version__ = "0+unknown"
