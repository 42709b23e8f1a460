from kernelc.cli import main

main()
