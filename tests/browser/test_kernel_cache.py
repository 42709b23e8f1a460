"""The precompiled Chainer kernel cache travels in the served wheel and is what the runtime
looks programs up in, inside Pyodide as natively."""

from __future__ import annotations

import textwrap


def test_the_chainer_cache_is_installed_and_hit_in_the_worker(bridge_page):
    result = bridge_page.evaluate(
        "(code) => window.bridge.run(code)",
        textwrap.dedent("""
            import os
            import kernelc
            from kernelc.cache import default_cache
            cache = default_cache()
            strings = {"in_params": "T y, T gy", "out_params": "T gx",
                       "operation": "gx = y > 0 ? gy : (T)0", "name": "relu_bwd"}
            program = cache.get("elementwise", strings, target="wgsl", types={"T": "float32"})
            site = os.path.dirname(os.path.dirname(kernelc.__file__))
            [len(cache) > 100, program is not None and "@compute" in program.code,
             os.path.isfile(os.path.join(site, "kernels_chainer", "chainer-7.8.1.json.gz"))]
        """),
    )
    assert result == [True, True, True]
