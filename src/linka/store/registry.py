"""Every context's tables, gathered so migrations and tests see the whole schema."""

from linka.billing import tables as _billing_tables  # noqa: F401
from linka.catalog import tables as _catalog_tables  # noqa: F401
from linka.customers import tables as _customers_tables  # noqa: F401
from linka.engagement import tables as _engagement_tables  # noqa: F401
from linka.payments import tables as _payments_tables  # noqa: F401
from linka.payments.dunning import tables as _dunning_tables  # noqa: F401
from linka.payments.prepaid import tables as _prepaid_tables  # noqa: F401
from linka.payments.sepa import tables as _sepa_tables  # noqa: F401
from linka.rating import tables as _rating_tables  # noqa: F401
from linka.store.base import Base
from linka.subscriptions import tables as _subscriptions_tables  # noqa: F401
from linka.usage import tables as _usage_tables  # noqa: F401

metadata = Base.metadata
