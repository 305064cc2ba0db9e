"""The decision core: pure Python, never imports Qt."""
