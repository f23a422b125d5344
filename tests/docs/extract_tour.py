"""Writes the C++ code blocks of README.md's "API tour" section to one source file."""
import re
import sys

text = open(sys.argv[1], encoding="utf-8").read()
section = re.search(r"^## API tour\n(.*?)(?=^## )", text, re.S | re.M)
if not section:
    sys.exit("README.md has no '## API tour' section")
blocks = re.findall(r"```cpp\n(.*?)```", section.group(1), re.S)
if not blocks:
    sys.exit("README.md's API tour has no ```cpp blocks")
with open(sys.argv[2], "w", encoding="utf-8") as out:
    out.write("// Generated from README.md's API tour by tests/docs/extract_tour.py.\n")
    out.write("\n".join(blocks))
