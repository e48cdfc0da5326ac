"""Reading deck files: bytes -> YAML node tree with positions -> plain data."""
