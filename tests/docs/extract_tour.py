"""Writes the C++ code blocks of one section of a Markdown file to one source file.

  extract_tour.py README.md out.cpp                      # the "## API tour" section
  extract_tour.py docs/page.md out.cpp "### tapegrad"    # another section, by its heading line
"""
import re
import sys

source, target = sys.argv[1], sys.argv[2]
heading = sys.argv[3] if len(sys.argv) > 3 else "## API tour"
level = heading.split(" ")[0]  # "##": the section ends at the next heading of this level or above
text = open(source, encoding="utf-8").read()
section = re.search(
    "^" + re.escape(heading) + r"\n(.*?)(?=^#{1," + str(len(level)) + r"} |\Z)", text, re.S | re.M)
if not section:
    sys.exit(f"{source} has no '{heading}' section")
blocks = re.findall(r"```cpp\n(.*?)```", section.group(1), re.S)
if not blocks:
    sys.exit(f"{source}'s '{heading}' section has no ```cpp blocks")
with open(target, "w", encoding="utf-8") as out:
    out.write(f"// Generated from {source}'s '{heading}' by tests/docs/extract_tour.py.\n")
    out.write("\n".join(blocks))
