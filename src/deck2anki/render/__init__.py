"""Cards as Anki shows them: the note types, each note's fields and tags, the CSV rows."""
