from kernelc.cli.command import main

main()
