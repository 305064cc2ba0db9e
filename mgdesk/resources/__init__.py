"""Runtime data: the unit definitions, the bundled protocol and example cases."""
