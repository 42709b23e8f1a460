"""Chainer's kernels precompiled by kernelc (`chainer-*.json.gz`, see README.md); installed
beside kernelc so that `kernelc.cache.default_cache()` finds them, natively and in Pyodide."""
