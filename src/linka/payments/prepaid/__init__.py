"""Prepaid credit per service line: top-ups, single-use vouchers, deduction by rated usage,
expiry, low-balance notices.

Invariants: a line's prepaid balance is the sum of its entries and is never edited; every
entry has a unique source, so re-running a top-up, a voucher or a usage deduction books
nothing twice; a voucher is redeemed at most once.
"""
