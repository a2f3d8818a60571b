"""The spreadsheet engine, which names no domain: files read as tables (``reading``,
``xlsx``), cells read as values (``values``), headers matched to fields (``mapping``),
a kind's dry run and import (``plan``, ``importing``), rows written out (``exporting``,
``downloads``, ``template_files``). Each app owns its kinds of sheet and registers them
(``registry``)."""
