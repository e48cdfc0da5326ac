"""What a deck must be: the schema, and the style rules past it."""
