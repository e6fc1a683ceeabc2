"""The interchange files (../shared/spec/interchange.md): all-or-nothing import of a folder of CSV files and grids.geojson, and the byte-stable export."""
