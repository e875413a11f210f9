"""The demo operator: a realistic Czech MVNO generated deterministically from a seed.

``linka demo`` builds it on the embedded default: the catalog in ``demo/catalog`` plus a
generated international rate deck, customers with Czech names and addresses, valid
synthetic IČO/DIČ, IBANs and MSISDNs, and their lines. The same seed gives the same
database content; the generator scales to 100,000 customers for the benchmarks.
"""
