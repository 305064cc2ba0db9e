"""The desktop window: edits a case document, asks the core for the plan, shows it.

Nothing here decides anything clinical; mgdesk.core is imported only after the first
paint, so the window appears before the unit registry and the protocol are loaded.
"""
