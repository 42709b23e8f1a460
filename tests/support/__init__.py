"""Test support: native executors for kernelc programs and CuPy-like kernel calls."""
