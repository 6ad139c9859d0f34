"""Recommenders behind one small interface (see :class:`zeerec.models.base.Recommender`)."""

from zeerec.models.base import Profile, Recommender

__all__ = ["Profile", "Recommender"]
