"""linka — open-source telecom billing and CRM (BSS).

One package, one sub-package per bounded context (see ``docs/architecture.md``).
"""

__version__ = "0.1.0"
