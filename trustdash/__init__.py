"""trustdash: measure the trust a community gives a brand, from the exports it already has."""

__version__ = "0.1.0"
