"""The `kernelc` command line: `command` (translate or check a file; the entry point) and
`scan` (`kernelc scan`, `kernelc cache build`)."""

from kernelc.cli.command import main
