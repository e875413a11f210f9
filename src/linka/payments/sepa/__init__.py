"""SEPA direct debit: mandates, pain.008 collections, returned debits, pain.001 refunds.

Invariants: an invoice is collected by at most one live direct debit; a debit's end-to-end
id is unique and names the invoice, so the bank statement that books the money (and a
return of it) is matched back to the invoice; a returned debit reverses its payment in
the ledger, never edits it.
"""
