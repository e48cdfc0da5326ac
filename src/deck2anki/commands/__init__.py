"""One module per command: what each command does, callable without the command line."""
