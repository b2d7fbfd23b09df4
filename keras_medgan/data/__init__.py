"""The data layer: readers (DICOM, PNG/JPG, NIfTI), label formats, the dataset registry,
the procedural ``phantom`` head CT, and the [-1, 1] ``tf.data`` pipeline.

    from keras_medgan.data import load_image_set, make_tf_dataset, DATASETS
    s = load_image_set("phantom", image_size=32, split="train")
    ds = make_tf_dataset(s.images, s.labels, num_classes=len(s.class_names))
"""

from keras_medgan.data.datasets import (
    DATASETS,
    check_data_arg,
    data_help,
    data_names,
    find_dataset_root,
    parse_data,
)
from keras_medgan.data.errors import DataError
from keras_medgan.data.pipeline import (
    IMAGE_SIZES,
    SPLIT_RATIOS,
    SPLITS,
    ImageSet,
    load_image_set,
    make_epoch_dataset,
    make_tf_dataset,
    split_indices,
    to_display_range,
)
from keras_medgan.data.windows import WINDOW_PRESETS, window_names

__all__ = [
    "DATASETS",
    "IMAGE_SIZES",
    "SPLITS",
    "SPLIT_RATIOS",
    "WINDOW_PRESETS",
    "DataError",
    "ImageSet",
    "check_data_arg",
    "data_help",
    "data_names",
    "find_dataset_root",
    "load_image_set",
    "make_epoch_dataset",
    "make_tf_dataset",
    "parse_data",
    "split_indices",
    "to_display_range",
    "window_names",
]
