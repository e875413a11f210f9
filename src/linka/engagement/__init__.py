"""Engagement: messages to customers — the outbox and its channels (e-mail, SMS).

Entities
    *Outbox message* (:class:`~linka.engagement.tables.OutboxMessageRow`) — one e-mail or
    SMS about one event (``invoice_issued``, ``reminder_due`` …), complete as it will be
    sent, with attachment references (paths), a unique dedupe key and its delivery state.
    *Transport* (:mod:`~linka.engagement.ports`) — sends one message: SMTP
    (:mod:`~linka.engagement.email`) or Kannel HTTP ``sendsms`` (:mod:`~linka.engagement.sms`).

Invariants
    A message is written by :func:`~linka.engagement.services.enqueue_message` in the same
    transaction as the change that causes it, so a rolled-back change never sends
    anything and a committed one is never forgotten. The same dedupe key is stored once.
    A customer's latest consent answer for the channel decides: a withdrawn consent makes
    the message *suppressed* (kept, with the reason, never sent); service messages need
    no prior grant, other purposes do. Nothing is sent inside a database transaction:
    :func:`~linka.engagement.services.deliver_pending` claims due messages (``FOR UPDATE
    SKIP LOCKED`` on PostgreSQL, the write lock on SQLite) with a lease, sends them, and
    records each result; failures are retried with exponential backoff until they are
    *failed*. Delivery is at least once: a worker killed between the server's "accepted"
    and the database commit sends that message again after the lease.

Outcomes
    ``EnqueuedMessage`` and ``DeliveryReport`` (see :mod:`~linka.engagement.model`); each
    sent, suppressed or failed message of a customer also lands on their timeline
    (``message.sent``, ``message.suppressed``, ``message.failed``).

``docs/messaging.md`` is the user guide (settings, the worker, the consent rule).
"""
