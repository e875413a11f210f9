"""XML Schemas for validating e-invoices, loaded once per thread.

libxml2's schema validators keep per-validation state in the schema object and lxml
does not guard it, so a schema shared by two threads validating at once reports
nonsense; and parsing two schemas at once in two threads fails too ("Document is not
valid XML Schema"). Exports validate on several threads, so each thread gets its own
copy of each schema, parsed one thread at a time.
"""

from __future__ import annotations

import threading

from lxml import etree

_local = threading.local()
_parsing = threading.Lock()


def xml_schema(path: str) -> etree.XMLSchema:
    """The XSD at ``path`` (a file name), parsed once in the calling thread."""
    schemas: dict[str, etree.XMLSchema] | None = getattr(_local, "schemas", None)
    if schemas is None:
        schemas = _local.schemas = {}
    schema = schemas.get(path)
    if schema is None:
        with _parsing:
            schema = schemas[path] = etree.XMLSchema(etree.parse(path))
    return schema
