"""Customers: parties, billing accounts, contacts, consents and the interaction timeline.

Entities
    *Customer* — a party (person or organisation, with IČO/DIČ or EU VAT id, e-mail,
    phone, address) in a segment (consumer, business), with a public 8-digit number.
    *Billing account* — how a customer is billed: currency, bill-cycle day, payment type
    (postpaid, or prepaid — the mark prepaid offerings need), payment method, variable
    symbol, invoice delivery and language, tax profile, time zone, IBAN. Lines hang off
    accounts (context ``subscriptions``). *Contact* — a person with roles (owner, billing,
    technical) on one or more accounts. *Consent* — an answer per channel and purpose.
    *Interaction* — a timeline entry; every context writes through
    :func:`linka.customers.timeline.record_interaction`.

Invariants
    Identifiers are validated with python-stdnum, phonenumbers and schwifty and stored in
    one canonical form; IČO, e-mail and variable symbol are unique (IČO and variable
    symbol also by database constraints); numbers are handed out in input order, so the
    same input gives the same numbers; consents are append-only and the latest answer
    counts (no answer means no); a change is re-validated as a whole record and leaves a
    timeline entry saying what changed.

Events
    ``CustomerCreated``, ``BillingAccountOpened``, ``CustomerChanged``,
    ``BillingAccountChanged``, ``ContactRoleAssigned``, ``ContactRoleRemoved``,
    ``ConsentRecorded`` (see :mod:`linka.customers.events`).

Creating customers in numbers (CSV import, demo) goes through
:mod:`linka.subscriptions.onboarding`, which adds their lines; ``docs/customers.md``
is the user guide.
"""
