"""Bank statements in, plain values out: camt.053/054, MT940 and Czech GPC (ABO).

``read_statement(path, format)`` returns the file's :class:`Statement` values or raises
:class:`StatementError` for the whole file (corrupt, truncated, unknown currency, more
decimals than the currency has, balances that do not add up, a repeated entry). Nothing
here touches the database: the import books what these return. Writers produce the
same formats for tests, the demo and benchmarks. See docs/payments.md.
"""

from linka.payments.statements.camt_writer import write_camt053
from linka.payments.statements.errors import StatementError
from linka.payments.statements.gpc import write_gpc
from linka.payments.statements.model import Statement, StatementEntry, StatementFormat
from linka.payments.statements.mt940 import write_mt940
from linka.payments.statements.reader import parse_statement, read_statement

__all__ = [
    "Statement",
    "StatementEntry",
    "StatementError",
    "StatementFormat",
    "parse_statement",
    "read_statement",
    "write_camt053",
    "write_gpc",
    "write_mt940",
]
