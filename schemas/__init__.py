"""JSON Schemas shipped with obslint (this folder is installed as the package `obslint.schemadata`; the module `obslint.schemas` loads them)."""
