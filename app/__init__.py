"""Doorbraak: doorbraak sessions of neighbourhood alliances, and the programme office's work between them."""

import os

# numpy's BLAS (the grouping suggestions: app/clusters/suggest.py) on one thread, whichever module imports numpy
# first (openpyxl does when it is there): a room's products are small, and threads that spin while they wait would
# take the cores the live room runs on; set here, as numpy reads it once, when it is first imported
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
# and the optional sentence model's engine (app/clusters/model.py, OpenMP) likewise: it reads on the thread that asks
os.environ.setdefault("OMP_NUM_THREADS", "1")
