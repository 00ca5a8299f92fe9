#!/usr/bin/python3
"""Writes data/btcv-folds.json: vox2vec's 5-fold BTCV split (run with Debian's python3-sklearn).

vox2vec (vox2vec/eval/btcv.py, vox2vec/utils/split.py) takes the 30 labelled BTCV training ids sorted as strings
('0001'..'0010', '0021'..'0040'), splits them with KFold(5, shuffle=True, random_state=42) into 24 train+val and
6 test ids per fold, then takes 1 validation id out of the 24 with
train_test_split(train_val_ids, test_size=1, random_state=42). We store train and val/test lists sorted.

Usage: /usr/bin/python3 scripts/make-btcv-folds.py [--stdout]
"""
import json
import os
import sys

import sklearn
from sklearn.model_selection import KFold, train_test_split

CASE_IDS = [f"{n:04d}" for n in list(range(1, 11)) + list(range(21, 41))]


def make_folds():
    folds = []
    kfold = KFold(5, shuffle=True, random_state=42)
    for fold, (train_val_idx, test_idx) in enumerate(kfold.split(CASE_IDS)):
        train_val = [CASE_IDS[i] for i in train_val_idx]
        test = [CASE_IDS[i] for i in test_idx]
        train, val = train_test_split(train_val, test_size=1, random_state=42)
        folds.append({"fold": fold, "train": sorted(train), "val": sorted(val), "test": sorted(test)})
    return {
        "description": "vox2vec BTCV 5-fold protocol: KFold(5, shuffle=True, random_state=42) over the 30 sorted case ids, "
        "then train_test_split(train_val, test_size=1, random_state=42) for the validation case",
        "command": "/usr/bin/python3 scripts/make-btcv-folds.py",
        "sklearn": sklearn.__version__,
        "caseIds": CASE_IDS,
        "folds": folds,
    }


def main():
    text = json.dumps(make_folds(), indent=2) + "\n"
    if "--stdout" in sys.argv:
        sys.stdout.write(text)
        return
    out = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "data", "btcv-folds.json")
    tmp = out + ".tmp"
    with open(tmp, "w") as f:
        f.write(text)
    os.replace(tmp, out)


if __name__ == "__main__":
    main()
