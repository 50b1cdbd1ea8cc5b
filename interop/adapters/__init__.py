"""Built-in adapters, one module per framework plus the protocol adapters.

Each module imports its framework at the top: the registry loads a module only
when that framework is already imported or is asked for as a target.
"""
