"""Reading Anki exports (.apkg, .colpkg) back into plain data, safely."""
