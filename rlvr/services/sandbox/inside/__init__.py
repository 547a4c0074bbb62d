"""Programs that run INSIDE the sandbox, never in the service: read as text with importlib.resources
(programs.py) and served to the sandboxed interpreter by loader.py. Standard library only: the
sandbox hides site-packages. Nothing in the service imports them.
"""
