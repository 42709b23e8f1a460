"""Kernel definitions found in Python sources and `.cu` files, without running them.

    result = scan("path/to/sdist.tar.gz")     # ScanResult: KernelInstances + UnresolvedSites
    bind(result)                                # the dtypes and scalars each call site uses

`scanner` walks the call sites, `evaluate` computes their string arguments, `index` maps a
package's modules and assignments, `sandbox` runs kernel-generator modules with their
imports stubbed, `source_tree` and `sources` read directories, archives and `.cu` files,
`bindings` reads how each kernel is called.

Rule: nothing here translates a kernel; the scan's records feed `kernelc.cache.build`.
"""

from kernelc.scan.bindings import bind
from kernelc.scan.scanner import KernelInstance, ScanResult, UnresolvedSite, scan
from kernelc.scan.sources import KernelDef, read_cu, read_kernels
