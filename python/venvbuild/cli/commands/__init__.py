"""One module per `venvbuild` subcommand: argument parsing and output only; the work is elsewhere."""
