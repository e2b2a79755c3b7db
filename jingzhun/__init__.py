"""Jingzhun (精准): precision poverty alleviation and return-to-poverty prevention."""

import os

__version__ = "0.1.0"

# Arrow's allocator (mimalloc) keeps freed pages mapped for a while before handing them back. A
# register import frees gigabytes at a time (the parsed file, column by column), so with the default
# delay the process holds ~0.8 GB it no longer uses at a million households (peak 3.05 → 2.63 GB,
# same time). mimalloc reads this once, when Arrow is first loaded, which in this application
# happens after this package is imported; an explicit setting in the environment wins.
os.environ.setdefault("MIMALLOC_PURGE_DELAY", "0")
