"""RSSN composition for matting training data (Li et al., IJCV 2022, Sec. 4).

Importing ``rssn`` never imports torch or ultralytics.
"""

__all__: list[str] = []
