"""Small tables derived from offline sources, read at run time (see resilience.gb2260)."""
