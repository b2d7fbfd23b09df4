"""Exported generators: writing them (with model cards), vetting and loading files from
elsewhere, the shipped set in models_h5/, and sampling synthetic images from them."""
