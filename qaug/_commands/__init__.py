"""Sub-commands of the ``qaug`` CLI, one module per stage; each exposes ``register(subparsers)``.

``register`` adds a sub-parser and sets ``func`` (called with the parsed args, returns an exit
code). Heavy imports happen inside ``func`` so that ``qaug --help`` stays fast.
"""

from qaug._commands import augment, bench, classifier, experiments, export, gan

COMMAND_MODULES = (classifier, gan, augment, experiments, export, bench)
