# SPDX-License-Identifier: Apache-2.0
"""Shared fixtures of the Python package tests.

Run by ctest (test/CMakeLists.txt) as
  PYTHONPATH=<build>/python QC_BUILD_DIR=<build> python3 -m pytest test/Python
"""

import os

import numpy as np
import pytest

REPO = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
BUILD = os.path.abspath(os.environ.get("QC_BUILD_DIR",
                                      os.path.join(REPO, "build")))
DIGITS = os.path.join(REPO, "models", "digits_cnn")
DIGITS_ONNX = os.path.join(DIGITS, "digits_cnn.onnx")
DIGITS_CALIB = os.path.join(DIGITS, "digits_calib.npz")
LINEAR = os.path.join(REPO, "test", "CAPI", "Inputs", "linear.onnxtext")
TEST_SHAPE = {"image": [450, 1, 8, 8]}


@pytest.fixture(scope="session")
def digits_test():
    data = np.load(os.path.join(DIGITS, "digits_test.npz"))
    return data["image"], data["label"]


def accuracy(model, digits_test):
    images, labels = digits_test
    logits = model(image=images)["logits"]
    return float((logits.argmax(1) == labels).mean())
