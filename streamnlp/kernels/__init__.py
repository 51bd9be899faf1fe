"""Numba kernels only: no Python objects, no I/O; drivers own epochs, schedules and progress."""
