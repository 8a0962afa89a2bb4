#!/usr/bin/python3
# SPDX-License-Identifier: Apache-2.0
"""Trains qc's example CNN on scikit-learn's digits and exports it to ONNX.

The dataset (1797 8x8 grey-scale digits) ships with Debian's python3-sklearn.
A fixed split (seed 0) holds out 450 images as the test set.

    /usr/bin/python3 models/digits_cnn/train.py

writes digits_cnn.onnx, digits_test.npz (the 450 test images and labels) and
digits_calib.npz (256 training images in 32 feeds of 8, the calibration
set).

Deterministic on one CPU thread. Prints the FP32 test accuracy.
"""

import os

import numpy as np
import torch
import torch.nn as nn
from sklearn.datasets import load_digits
from sklearn.model_selection import train_test_split

HERE = os.path.dirname(os.path.abspath(__file__))


def load_split():
    """The fixed train/test split every qc tool uses: images are scaled to
    [0, 1], shape [N, 1, 8, 8], float32; labels int64."""
    digits = load_digits()
    x = (digits.images / 16.0).astype(np.float32)[:, None, :, :]
    y = digits.target.astype(np.int64)
    return train_test_split(x, y, test_size=450, random_state=0, stratify=y)


class DigitsCNN(nn.Module):
    def __init__(self):
        super().__init__()
        self.features = nn.Sequential(
            nn.Conv2d(1, 16, 3, padding=1), nn.BatchNorm2d(16), nn.ReLU(),
            nn.Conv2d(16, 32, 3, padding=1), nn.ReLU(),
            nn.MaxPool2d(2),
            nn.Conv2d(32, 64, 3, padding=1), nn.ReLU(),
            nn.AdaptiveAvgPool2d(1),
        )
        self.classifier = nn.Sequential(
            nn.Flatten(), nn.Linear(64, 64), nn.ReLU(), nn.Linear(64, 10))

    def forward(self, x):
        return self.classifier(self.features(x))


def main():
    torch.set_num_threads(1)
    torch.manual_seed(0)
    x_train, x_test, y_train, y_test = load_split()
    model = DigitsCNN()
    opt = torch.optim.Adam(model.parameters(), lr=3e-3)
    xt, yt = torch.from_numpy(x_train), torch.from_numpy(y_train)
    for epoch in range(40):
        model.train()
        perm = torch.randperm(len(xt))
        for i in range(0, len(xt), 64):
            idx = perm[i:i + 64]
            loss = nn.functional.cross_entropy(model(xt[idx]), yt[idx])
            opt.zero_grad()
            loss.backward()
            opt.step()
    model.eval()
    with torch.no_grad():
        pred = model(torch.from_numpy(x_test)).argmax(1).numpy()
    print(f"FP32 test accuracy: {(pred == y_test).mean():.4f} "
          f"on {len(y_test)} images")
    # The data qc's tests use, so that they do not need scikit-learn: the
    # held-out test set, and 256 training images for calibration.
    np.savez_compressed(os.path.join(HERE, "digits_test.npz"), image=x_test,
                        label=y_test)
    # Calibration feeds: 32 batches of 8 images, [32, 8, 1, 8, 8].
    np.savez_compressed(os.path.join(HERE, "digits_calib.npz"),
                        image=x_train[:256].reshape(32, 8, 1, 8, 8))
    torch.onnx.export(
        model, torch.zeros(1, 1, 8, 8), os.path.join(HERE, "digits_cnn.onnx"),
        input_names=["image"], output_names=["logits"],
        dynamic_axes={"image": {0: "batch"}, "logits": {0: "batch"}},
        opset_version=13, do_constant_folding=True)


if __name__ == "__main__":
    main()
