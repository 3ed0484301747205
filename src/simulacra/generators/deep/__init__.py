"""Deep generators (PyTorch, the ``deep`` extra): ``gan`` (conditional tabular GAN) and ``vae`` (tabular VAE).

Importing this package imports no torch; the registry imports :mod:`.gan` / :mod:`.vae` when asked for.
"""
