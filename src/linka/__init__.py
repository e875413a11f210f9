"""linka — open-source telecom billing and CRM (BSS).

One package, one sub-package per bounded context (see ``docs/architecture.md``).

Importing linka sets one allocator option before Polars loads: Polars' allocator
(jemalloc) gives freed memory back to the system after half a second, and rating frees
and reuses hundreds of megabytes a second, so it paid the page faults again and again
(4–7 % of a 10M-record rating run, measured). Freed memory now stays with the process
for reuse: its peak is unchanged, but a long-running process keeps its peak. Setting
``_RJEM_MALLOC_CONF`` yourself overrides this.
"""

import os

os.environ.setdefault("_RJEM_MALLOC_CONF", "dirty_decay_ms:-1,muzzy_decay_ms:-1")

__version__ = "0.1.0"
