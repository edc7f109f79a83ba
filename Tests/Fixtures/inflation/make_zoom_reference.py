"""Makes zoom-reference.json: positional-embedding grids resized by
`scipy.ndimage.zoom(grid, (new/old, new/old, 1), order=1)`, the function scenic and
big_vision resize with, kept so Tubelet's resize is checked against scipy without scipy in CI.

    .venv/bin/pip install scipy
    .venv/bin/python Tests/Fixtures/inflation/make_zoom_reference.py
"""

import json
from pathlib import Path

import numpy as np
import scipy
from scipy import ndimage

cases = []
rng = np.random.default_rng(7)
# The last cases are ones where the order of scipy's arithmetic shows: the coordinate ratio
# divided first (i * ((n - 1) / (m - 1)), not (i * (n - 1)) / (m - 1)) and each term
# (value * row weight) * column weight; another order differs by an ulp in some values.
for (rows, cols), (new_rows, new_cols), width in [((3, 3), (5, 5), 2), ((4, 4), (3, 3), 3), ((2, 3), (4, 7), 2),
                                                   ((14, 14), (16, 16), 2), ((5, 5), (1, 1), 2), ((1, 1), (3, 3), 2),
                                                   ((8, 8), (12, 12), 4), ((7, 7), (10, 10), 4),
                                                   ((24, 24), (16, 16), 2), ((9, 9), (14, 14), 4)]:
    grid = rng.standard_normal((rows, cols, width)).astype(np.float32)
    zoomed = ndimage.zoom(grid, (new_rows / rows, new_cols / cols, 1), order=1)
    assert zoomed.shape == (new_rows, new_cols, width), zoomed.shape
    cases.append({"input_shape": [rows, cols, width], "output_shape": [new_rows, new_cols, width],
                  "input": [float(v) for v in grid.ravel()], "output": [float(v) for v in zoomed.ravel()]})
out = Path(__file__).resolve().parent / "zoom-reference.json"
out.write_text('{"scipy": ' + json.dumps(scipy.__version__) + ', "cases": [\n'
               + ",\n".join(json.dumps(case) for case in cases) + "\n]}\n")
print("wrote", out)
