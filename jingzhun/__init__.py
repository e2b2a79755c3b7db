"""Jingzhun (精准): precision poverty alleviation and return-to-poverty prevention."""

__version__ = "0.1.0"
