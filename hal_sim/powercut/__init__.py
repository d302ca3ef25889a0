"""Power-cut fault injection: a FUSE directory that loses what was not fsynced.

``python -m hal_sim.powercut MOUNT BACKING`` serves it; SIGUSR1 is the cut. The
rules it keeps are in :mod:`hal_sim.powercut.disk`. Imported by nothing in
``edge/``: tests put the controller's database directory on it.
"""
