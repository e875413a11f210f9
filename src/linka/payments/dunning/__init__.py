"""Dunning: the collections ladder for overdue accounts.

Invariants: a ladder is data (steps by days overdue, per customer segment); each step is
taken at most once per overdue episode of an account (a unique key), so a run repeated for
the same date does nothing new; every step is on the customer timeline and sends its
message through the outbox in the same transaction; an account whose debt is cleared has
the lines dunning suspended restored the same day.
"""
