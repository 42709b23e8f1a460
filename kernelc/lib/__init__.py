"""kernelc's shader library, as libdevice is CUDA's: the math functions the targets lack
or get wrong, the storage conversions (float16 by bits), and 64-bit integers and IEEE
float64 on pairs of 32-bit words (`int64.cu`, `float64.cu`: not yet used by the dtypes),
written once in kernelc's own C subset (`*.cu` here) and compiled by kernelc for every
target; and the device-internal shaders (`shaders/`), the one copy that kernelc, the native
devices and the browser read.

Rule: the sources are parsed and lowered once (`library.library()`, cached) into IR
functions; `link.link` adds the ones a kernel reaches to its IR before the emitters run, so
an emitter prints them like any other function. What the C subset cannot say (the targets'
own conversions and division, run-time Inf/NaN) stays in each emitter's primitives. This
package module imports nothing, so an emitter may read `shaders` without the frontend.
"""

from importlib import resources

# Templates over a complex number's component type: instantiated per kernel by the
# lowering of `complex<T>` (kernelc.ir.lower_complex) and by the runtime's complex ufuncs.
COMPLEX_SOURCE = "complex.cu"


def read_source(name: str) -> str:
    """The text of the library source `name` (`*.cu` here)."""
    return resources.files(__package__).joinpath(name).read_text(encoding="utf-8")
