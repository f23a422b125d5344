#!/usr/bin/env python3
"""The README's "Use tapegrad in your project" shows consumer.cpp in full: that block must be
exactly tests/install/consumer.cpp (less its opening comment), which tests/install builds with
pkg-config, meson and CMake.

  check_consumer_block.py README.md tests/install/consumer.cpp
"""
import sys

readme, consumer = sys.argv[1], sys.argv[2]
text = open(readme, encoding="utf-8").read()
marker = "## Use tapegrad in your project"
if marker not in text:
    sys.exit(f"{readme}: no section '{marker}'")
section = text[text.index(marker):]
start = section.find("```cpp\n")
if start < 0:
    sys.exit(f"{readme}: no ```cpp block in '{marker}'")
start += len("```cpp\n")
block = section[start:section.index("```", start)]
lines = open(consumer, encoding="utf-8").read().splitlines(keepends=True)
while lines and lines[0].startswith("//"):
    lines.pop(0)
want = "".join(lines)
if block != want:
    sys.exit(f"{readme}: the consumer.cpp block differs from {consumer}")
print("the README's consumer.cpp is tests/install/consumer.cpp")
