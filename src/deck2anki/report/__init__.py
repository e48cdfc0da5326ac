"""Printing results: problems and card diffs, one format per reporter."""
