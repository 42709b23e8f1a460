"""CuPy kernels as a CuPy user writes them: `kernelc translate examples/kernels.py`."""

import cupy

relu_bwd = cupy.ElementwiseKernel(
    "T y, T gy",
    "T gx",
    "gx = y > 0 ? gy : (T)0",
    "relu_bwd",
)

axpy = cupy.ElementwiseKernel(
    "float32 a, float32 x, float32 y",
    "float32 z",
    """
    z = a * x + y;
    """,
    "axpy",
)
