"""xortui: a terminal dashboard for training small neural networks on truth tables."""

__version__ = "0.1.0"
