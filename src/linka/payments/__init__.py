"""Payments: the customer ledger, bank statement import, matching, SEPA, prepaid, dunning.

Money arrives as bank statements (:mod:`linka.payments.statements` reads camt.053/054,
MT940 and the Czech GPC/ABO format into plain values); each credit is matched to a
billing account and invoice, mostly by its variable symbol, and booked once in the
customer ledger (:mod:`.ledger`, :mod:`.imports`, :mod:`.statement_import`); direct debits
are collected under SEPA mandates (:mod:`.sepa`); prepaid lines live on their own credit
(:mod:`.prepaid`); what stays unpaid after its due date enters dunning (:mod:`.dunning`).

Invariants: every movement is an append-only ledger entry with a unique source, so
nothing is booked twice and the balance — the sum of the entries — equals the open items
minus the credit held; a statement and each of its entries are booked at most once; a
file that does not parse or add up books nothing; allocation follows one rule (the named
invoice, then the oldest); money of one currency never pays another's items.
"""
