"""Catalog: product offerings, tariffs, rate decks, taxes and roaming zones — as data.

A catalog is a folder of YAML files (and CSV rate decks) with stable readable ids and an
``effective_from`` date; ``docs/catalog.md`` describes every field. Compiling a folder
checks it completely (each problem names file, line, field and what was expected) and
turns it into a :class:`~linka.catalog.version.CatalogVersion`.

Invariants: every stored version is complete and valid (a failed load stores nothing);
versions are kept, so usage is always rated by the version valid at its start; every
compiled rate row names the file and line that set its price.
"""
