"""`venvbuild catalog`: a static site of a store's builds (index with search, a page per build and per
package) that works from file:// with nothing fetched at view time.

model.py turns the store's records into what the pages show (versions in PEP 440 order, numbered, so the
page's search compares positions), pages.py renders HTML, graph.py draws the dependency picture,
site.py writes the folder: only what changed, through a temporary folder swapped in.
"""
