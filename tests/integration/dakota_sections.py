#!/usr/bin/env python3
"""A standard batch results file's sections, read as Dakota reads them: lines
are collected until a line starting with '#'; a '#' line before any content
is skipped; what follows the last '#' is the last section. Batch results
have '#' between evaluations only, so one evaluation is a plain results file.

  dakota_sections.py FILE        prints the number of sections
"""
import sys


def sections(text):
    """The sections of text, each as the string of its lines."""
    out, cur = [], []
    for line in text.splitlines():
        if line.startswith('#'):
            if cur or out:
                out.append(cur)
            cur = []
        else:
            cur.append(line)
    if any(l.strip() for l in cur):
        out.append(cur)
    return [''.join(l + '\n' for l in s) for s in out]


if __name__ == '__main__':
    print(len(sections(open(sys.argv[1]).read())))
