"""Pure decisions, free of I/O: cache plans, validity, rotation, the envelope format, argument
checks and the table of object kinds. Imports only ``_model`` (and ``safevault.errors``)."""
