"""Payments: the customer ledger, bank statement import, matching and dunning.

Money arrives as bank statements (:mod:`linka.payments.statements` reads camt.053/054,
MT940 and the Czech GPC/ABO format into plain values); each entry is matched to a
billing account and invoice, mostly by its variable symbol, and booked once in the
customer ledger; what stays unpaid after its due date enters dunning.
"""
