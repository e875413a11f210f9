"""The outbox worker's channels and retry schedule, as the installation's settings say."""

from __future__ import annotations

from datetime import timedelta

from linka.engagement.email import SmtpTransport
from linka.engagement.model import Backoff, MessageChannel
from linka.engagement.ports import Transport
from linka.engagement.sms import KannelTransport
from linka.settings import Settings


def configured_transports(settings: Settings) -> dict[MessageChannel, Transport]:
    """A transport per channel whose server is configured (``LINKA_SMTP_HOST``,
    ``LINKA_KANNEL_URL``); messages of the other channels wait in the outbox."""
    transports: dict[MessageChannel, Transport] = {}
    smtp = SmtpTransport.from_settings(settings)
    if smtp is not None:
        transports[MessageChannel.EMAIL] = smtp
    kannel = KannelTransport.from_settings(settings)
    if kannel is not None:
        transports[MessageChannel.SMS] = kannel
    return transports


def configured_backoff(settings: Settings) -> Backoff:
    first = timedelta(seconds=settings.outbox_backoff_seconds)
    longest = timedelta(seconds=settings.outbox_backoff_max_seconds)
    return Backoff(first=first, factor=2, longest=max(first, longest))
