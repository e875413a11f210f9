"""Subscriptions: service lines on billing accounts, their lifecycle, and onboarding.

Entities
    *Line* — a service on a billing account: MSISDN (E.164, stored with '+'), optional SIM
    (ICCID with Luhn check, IMSI), catalog offering, installation address, status.
    *Status change* — a dated row per transition (effective date in the account's time
    zone, recorded instant, reason, actor); a line's first row is its creation.

Lifecycle (:data:`linka.subscriptions.model.TRANSITIONS`)
    pending → active | terminated; active → suspended | barred | terminated;
    suspended → active | barred | terminated; barred → active | suspended | terminated;
    terminated is final. Anything else is refused with the allowed moves named.

Invariants
    An MSISDN, ICCID or IMSI belongs to at most one line that is not terminated (partial
    unique indexes); a line's offering exists in the catalog version valid on its
    activation date and is sold to the customer's segment and the account's payment type;
    mobile offerings get mobile numbers; effective dates never lie in the future nor
    before the previous change; every change leaves a timeline entry on the customer.

Events
    ``LineCreated``, ``LineStatusChanged``, ``CustomersOnboarded``
    (see :mod:`linka.subscriptions.events`).

:mod:`linka.subscriptions.onboarding` creates customers, accounts and lines in bulk with
set-based inserts (the CSV import in :mod:`linka.subscriptions.importing` and the demo use
it); it lives here because it is the context that knows both customers and lines.
"""
