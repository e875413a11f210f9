"""Billing: bill cycles, charges, the reconciling bill run, invoices, tax and credit notes.

A bill run derives every charge due for an account up to its last bill date (recurring
fees in advance or arrears, prorated by day; one-time fees; rated usage; discounts;
adjustments), compares them with what was already invoiced (by charge key) and invoices
only the difference — running it again adds nothing, and a run killed at any point can
simply be run again. The computations (cycles, proration, charges, tax, assembly) are
pure functions over plain values; the services load data set-based and store results in
bulk.

Invariants: an issued invoice never changes (the database refuses it); numbers are
gapless per series and year and assigned in the transaction that issues; corrections
are credit notes that reference the original; money is ``Decimal`` rounded by one rule.
"""
