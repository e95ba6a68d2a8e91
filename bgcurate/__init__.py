"""Curate a clean, high-resolution background set (BG-20k style; Li et al., IJCV 2022, Sec. 4.1)."""

__all__: list[str] = []
