"""The ``linka`` command line: one Typer sub-application per context."""
