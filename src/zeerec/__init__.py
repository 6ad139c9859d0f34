"""zeerec: movie recommendations from MovieLens-1M, behind a series of Jupyter notebooks."""

__version__ = "0.1.0"
