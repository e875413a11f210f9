"""Usage mediation: collect usage records from files and streams, once each.

One module per input format normalises records into :data:`~linka.usage.records.RECORD_SCHEMA`;
records that cannot be normalised become rejects with a reason and the raw text.
"""
