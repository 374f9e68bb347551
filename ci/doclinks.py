#!/usr/bin/env python3
"""Checks the workspace's generated docs (target/doc) for broken links.

rustdoc's own check (-D rustdoc::broken_intra_doc_links) catches links it cannot resolve, but
not a link it resolved to a page that `cargo doc --workspace --no-deps` never wrote, nor a
link written in a form rustdoc does not treat as one, which then shows as literal
`[cfut_core::Future]` text. This script fails on both, for the pages of our own crates.

Usage: python3 ci/doclinks.py [target/doc]
"""

import html.parser
import os
import re
import sys
import urllib.parse

OUR_CRATES = ("compare", "cfut", "cfut_core", "cfut_threads", "cfut_processes", "cfut_combinators",
              "cfut_testing", "cfut_mpi", "cfut_bench")
# Literal link syntax left in rendered text, which rustdoc did not turn into a link:
# `[`Name`]` (brackets around code) and, outside code, `[cfut_core::Future]` or `[Future]`.
# Slices in code (`[u8]`) and attributes (`#[non_exhaustive]`) are not links.
CODE_IN_BRACKETS = re.compile(r"\[<code>[^<]*</code>\]")
CODE = re.compile(r"<code>.*?</code>", re.S)
BARE_LINK = re.compile(r"(?<![#\w])\[(?:cfut_\w+::[\w:]+|[A-Z]\w*(?:::\w+)*)\]")


class Page(html.parser.HTMLParser):
    def __init__(self):
        super().__init__()
        self.hrefs = []
        self.text = []
        self.skip = 0

    def handle_starttag(self, tag, attrs):
        if tag in ("pre", "script", "style", "code") and tag != "code":
            self.skip += 1
        for name, value in attrs:
            if name == "href" and value:
                self.hrefs.append(value)

    def handle_endtag(self, tag):
        if tag in ("pre", "script", "style"):
            self.skip = max(0, self.skip - 1)

    def handle_data(self, data):
        if not self.skip:
            self.text.append(data)


def main():
    root = sys.argv[1] if len(sys.argv) > 1 else "target/doc"
    problems = []
    pages = 0
    for crate in OUR_CRATES:
        base = os.path.join(root, crate)
        if not os.path.isdir(base):
            continue
        for folder, _, files in os.walk(base):
            for name in files:
                if not name.endswith(".html"):
                    continue
                path = os.path.join(folder, name)
                pages += 1
                with open(path, encoding="utf-8") as handle:
                    source = handle.read()
                page = Page()
                page.feed(source)
                for href in page.hrefs:
                    parsed = urllib.parse.urlparse(href)
                    if parsed.scheme or href.startswith("#") or href.startswith("//"):
                        continue
                    target = os.path.normpath(
                        os.path.join(folder, urllib.parse.unquote(parsed.path)))
                    if parsed.path and not os.path.exists(target):
                        problems.append(f"{path}: link to missing {href}")
                # Rendered prose only: the docblocks' HTML, code blocks excluded.
                for block in re.findall(r'<div class="docblock[^"]*">(.*?)</div>', source, re.S):
                    prose = re.sub(r"<pre.*?</pre>", "", block, flags=re.S)
                    literals = CODE_IN_BRACKETS.findall(prose)
                    literals += BARE_LINK.findall(CODE.sub("", prose))
                    for literal in literals:
                        problems.append(f"{path}: unresolved link text {literal}")
    if pages == 0:
        print(f"doclinks: no pages of our crates under {root}", file=sys.stderr)
        return 1
    for problem in sorted(set(problems)):
        print(problem)
    print(f"doclinks: {pages} pages checked, {len(set(problems))} problems")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
