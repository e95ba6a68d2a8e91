"""Publish an ``rssn compose`` output to the Hugging Face Hub (``rssn publish``).

The folder is validated against its manifest, written as Parquet shards with
the image bytes embedded and a dataset card, and uploaded with
``huggingface_hub``. ``datasets``, ``pyarrow`` and ``huggingface_hub`` are
imported only when a function needs them. See ``docs/publish.md``.

>>> from rssn import publish
>>> dd = publish.to_dataset_dict("out/", split_by="fg-hash:0.1")  # doctest: +SKIP
>>> publish.write_hub_folder("out/", "out/hub", split_by="fg-hash:0.1")  # doctest: +SKIP
>>> publish.push("out/hub", "me/rssn-comp1k", private=True)  # doctest: +SKIP
"""

from rssn._publish import (
    BACKGROUNDS_CONFIG,
    MAX_ROW_GROUP_BYTES,
    MAX_ROW_GROUP_ROWS,
    MAX_SHARD_BYTES,
    RECIPE_COLUMNS,
    BackgroundSet,
    ComposeSet,
    HubError,
    HubFolder,
    ManifestEntry,
    PublishError,
    SplitRule,
    assign_splits,
    background_dataset_dict,
    background_features,
    check_hub_folder,
    composite_features,
    dataset_card,
    fg_hash_fraction,
    plan_row_groups,
    plan_shards,
    push,
    read_backgrounds,
    read_card_yaml,
    read_compose,
    to_dataset_dict,
    write_hub_folder,
)

__all__ = [
    "BACKGROUNDS_CONFIG",
    "MAX_ROW_GROUP_BYTES",
    "MAX_ROW_GROUP_ROWS",
    "MAX_SHARD_BYTES",
    "RECIPE_COLUMNS",
    "BackgroundSet",
    "ComposeSet",
    "HubError",
    "HubFolder",
    "ManifestEntry",
    "PublishError",
    "SplitRule",
    "assign_splits",
    "background_dataset_dict",
    "background_features",
    "check_hub_folder",
    "composite_features",
    "dataset_card",
    "fg_hash_fraction",
    "plan_row_groups",
    "plan_shards",
    "push",
    "read_backgrounds",
    "read_card_yaml",
    "read_compose",
    "to_dataset_dict",
    "write_hub_folder",
]
