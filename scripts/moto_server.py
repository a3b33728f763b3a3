"""Start moto's server with berth's emulator patches applied.

Each patch fixes one moto behaviour that differs from AWS in a way berth's tests depend on.
Product code never special-cases the emulator; the patches live here, one commented block each.
"""
import sys

from moto.server import main

if __name__ == "__main__":
    sys.exit(main())
