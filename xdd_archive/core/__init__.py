"""The leaf layer: what every part of xdd-archive may import (standard library only).

- :mod:`xdd_archive.core.text`: text normalisation (what counts as the same text), one table of
  invisible characters for every stage;
- :mod:`xdd_archive.core.clock`: the current time in UTC (``$XDD_NOW`` freezes it).
"""
