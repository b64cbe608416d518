"""Version of the interposition package."""

__version__ = "0.5.0"
