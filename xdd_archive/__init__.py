"""xdd-archive: a scheduled scraper and versioned archive of the Party Building Magazine.

The user's layout keeps ``crawler/`` (fetching and extraction), ``storage/`` (everything persistent)
and ``scheduler.py`` at the top level; everything else lives in this package, so installing the
project beside other packages can never shadow a module of theirs (``config``, ``cli``...).
"""
